r"""The text forms of settings given on a command line or in a batch file, parsed in one place.

>>> parse_motion("1,-0.5")
(1.0, -0.5)
>>> split_scale("depth:0.6", "--control")
('depth', 0.6)
>>> split_scale("C:\\looks\\ink.safetensors")
('C:\\looks\\ink.safetensors', 1.0)
>>> parse_size("640"), parse_size("640x360")
(FrameSize(long_side=640, exact=None), FrameSize(long_side=640, exact=(640, 360)))
>>> parse_size("640x360").check((640, 360), "restyle")
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from t2vz_edit.spec.errors import UsageError

SIZE_HELP = ("Frame size: N (the long side in pixels; the other side follows the picture's aspect ratio) or WxH "
             "(both sides). restyle, conditions and score keep the source's aspect ratio (sides multiples of 8), "
             "so WxH there must be the size its long side gives; generate makes square frames; trim takes any WxH; timeline restyle and batch take N only (their "
             "clips differ in shape).")


def fit_long_side(width: int, height: int, long_side: int, multiple: int = 8) -> tuple[int, int]:
    """(width, height) scaled so the long side is ``long_side``, both sides multiples of ``multiple``.

    >>> fit_long_side(1920, 1080, 640)
    (640, 360)
    """
    long_px = long_side // multiple * multiple
    short_px = max(multiple, round(long_px * min(width, height) / max(width, height) / multiple) * multiple)
    return (long_px, short_px) if width >= height else (short_px, long_px)


@dataclass(frozen=True)
class FrameSize:
    """``--size`` as given: the long side, and both sides when it was given as ``WxH``."""

    long_side: int
    exact: tuple[int, int] | None = None

    def check(self, size_wh: tuple[int, int], what: str, flag: str = "--size") -> None:
        """Refuse a ``WxH`` that is not ``size_wh``, the size ``what`` makes from the long side."""
        if self.exact is not None and tuple(self.exact) != tuple(size_wh):
            w, h = self.exact
            raise UsageError(f"{flag} {w}x{h}: {what}, so its long side {self.long_side} gives {size_wh[0]}x{size_wh[1]} "
                             f"here; pass {flag} {self.long_side} or {flag} {size_wh[0]}x{size_wh[1]}")


def parse_size(text: str | int | None, flag: str = "--size") -> FrameSize | None:
    """``"640"`` (long side) or ``"640x360"`` (width x height) → :class:`FrameSize`; ``None`` stays ``None``."""
    if text is None or text == "":
        return None
    match = re.fullmatch(r"\s*(\d+)\s*(?:[xX]\s*(\d+)\s*)?", str(text))
    if not match:
        raise UsageError(f"{flag} {text!r}: give the long side in pixels (e.g. 512) or WIDTHxHEIGHT (e.g. 1920x1080)")
    if match.group(2) is None:
        return FrameSize(int(match.group(1)))
    width, height = int(match.group(1)), int(match.group(2))
    return FrameSize(max(width, height), (width, height))


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
