"""Write the sample clips of issue 2 into this folder (tiny: 320x180-ish, 2-3 s each).

    python samples/make_samples.py            # writes samples/*.mov|mp4
    t2vz-edit probe samples/ntsc24_tc_stereo.mov

Each clip shows a moving disc on a panning background with its frame number coded in the top
band (see t2vz_edit.media.synth).
"""
from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

from t2vz_edit.media.synth import make_clip

STEREO = {"channels": 2, "sample_rate": 48000}
SAMPLES = {
    # 23.976 with timecode 01:00:00:00, a stereo tone and colour bars
    "ntsc24_tc_stereo.mov": dict(frames=60, rate=Fraction(24000, 1001), timecode="01:00:00:00", audio=STEREO,
                                 colour_bars=True),
    # a phone clip: stored 320x180, display matrix -90 (portrait 180x320), 30 fps, AAC
    "phone_portrait.mp4": dict(frames=60, width=180, height=320, rotation=-90, rate=Fraction(30), audio=STEREO),
    # variable frame rate: every fourth frame held twice as long
    "vfr.mp4": dict(frames=60, rate=Fraction(30), vfr=True, audio=STEREO),
    # 10-bit 4:2:0 H.264 (ProRes 10-bit is larger; tests synthesize it themselves)
    "ten_bit.mp4": dict(frames=48, ten_bit=True, colour_bars=True, timecode="10:00:00:00"),
    # 29.97 drop-frame timecode
    "df2997_tc.mov": dict(frames=60, rate=Fraction(30000, 1001), timecode="00:59:59;20", audio=STEREO),
}


def main(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for name, options in SAMPLES.items():
        path = Path(make_clip(folder / name, crf=23, **options))
        total += path.stat().st_size
        print(f"{path}  {path.stat().st_size / 1024:.0f} kB")
    print(f"total {total / 1024:.0f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent))
