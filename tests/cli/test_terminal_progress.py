"""What a person sees in a terminal: `restyle` run in a pseudo-terminal (rich draws its live
display only for a TTY), read back as the screen showed it (issue 15, the terminal session test).

Checked: each stage has one row with its own name, `load` is shown (at 0/1, while loading) before
any other stage, and no third-party progress bar (tqdm from diffusers / huggingface_hub /
transformers) leaks into the display.
"""
from __future__ import annotations

import os
import re
import sys

import pexpect

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
ROW = re.compile(r"^(\S+)\s+━+\s+(\d+)/(\d+)\s+(frames|models|frame-steps|clips)\b")
TQDM = re.compile(r"\d+%\|| it/s\]|s/it\]|Loading pipeline components|Fetching \d+ files|Steps:")


def _rows(screen: str) -> list[tuple[str, int, int]]:
    rows = []
    for line in ANSI.sub("", screen).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        match = ROW.match(line.strip())
        if match:
            rows.append((match[1], int(match[2]), int(match[3])))
    return rows


def test_restyle_in_a_terminal_shows_our_stages_only(cli_clip, tiny_store, tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "T2VZ_MODEL_STORE": str(tiny_store), "TERM": "xterm-256color",
           "COLUMNS": "110", "LINES": "30"}
    for name in ("NO_COLOR", "HF_HUB_DISABLE_PROGRESS_BARS", "CI"):
        env.pop(name, None)
    child = pexpect.spawn(sys.executable, ["-m", "t2vz_edit", "restyle", str(cli_clip), "-i", "make it snowy",
                                           "--steps", "2", "--size", "64", "-o", str(tmp_path / "out.mov")],
                          env=env, encoding="utf-8", timeout=600, dimensions=(30, 110))
    child.expect(pexpect.EOF)
    child.close()
    screen = child.before
    assert child.exitstatus == 0, ANSI.sub("", screen)[-2000:]
    assert "wrote " in screen and not TQDM.search(ANSI.sub("", screen)), ANSI.sub("", screen)[-2000:]

    seen = _rows(screen)
    first_seen = list(dict.fromkeys(name for name, _, _ in seen))
    assert first_seen[0] == "load", first_seen
    assert ("load", 0, 1) in seen, "the load row was not on screen while the models loaded"
    assert seen.index(("load", 0, 1)) < min(i for i, (name, _, _) in enumerate(seen) if name != "load")

    final = screen[: screen.index("wrote ")]
    final = final[final.rindex("\x1b[2K"):]  # the last redraw of the live display
    names = [name for name, _, _ in _rows(final)]
    assert len(names) == len(set(names)), f"a stage shown twice: {names}"
    assert {"load", "denoise", "encode"} <= set(names), names
    assert all(done == total for _, done, total in _rows(final)), _rows(final)
