r"""The text forms of settings given on a command line or in a batch file, parsed in one place.

>>> parse_motion("1,-0.5")
(1.0, -0.5)
>>> split_scale("depth:0.6", "--control")
('depth', 0.6)
>>> split_scale("C:\\looks\\ink.safetensors")
('C:\\looks\\ink.safetensors', 1.0)
"""
from __future__ import annotations

from t2vz_edit.spec.errors import UsageError


def parse_motion(text: str) -> tuple[float, float]:
    """``"1,-0.5"`` → ``(1.0, -0.5)``; anything else is refused naming ``--motion``."""
    try:
        dx, dy = (float(v) for v in text.split(","))
    except ValueError:
        raise UsageError(f"--motion {text!r}: give two numbers dx,dy, e.g. --motion 1,1") from None
    return dx, dy


def split_scale(item: str, flag: str = "--lora") -> tuple[str, float]:
    """``NAME[:scale]`` → ``(NAME, scale)``, the one parser of ``kind[:scale]`` and ``file[:scale]``.

    A colon that starts a path (a Windows drive ``C:\\``, ``C:/``) is part of the name; any other
    text after the last colon must be a number, and a bad one is refused (never folded into the name).
    """
    name, sep, scale = item.strip().rpartition(":")
    if not sep or scale.startswith(("\\", "/")):
        return item.strip(), 1.0
    try:
        return name.strip(), float(scale)
    except ValueError:
        raise UsageError(f"{flag} {item!r}: the part after ':' must be a scale number, e.g. {flag} "
                         f"{name.strip() or 'NAME'}:0.8") from None
