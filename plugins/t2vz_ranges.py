"""Range and placement math shared by the editor plugins (standard library, Python 3.6 compatible).

An editor shows a clip's *used* part; the plugin renders those source frames plus handles, then
places the render so that each of its frames sits where the same source frame sat.

Editors count a clip's offset and duration in timeline frames. When the clip's own rate
differs from the timeline's (a 25 fps clip on a 24 fps timeline), one timeline frame is
``clip_rate / timeline_rate`` source frames.

>>> used = used_source_range(offset=48, duration=24, clip_rate=Fraction(25), timeline_rate=Fraction(24))
>>> used
SourceRange(start=50, stop=75)
>>> padded = with_handles(used, handles=12, media_frames=80)
>>> padded, padded.stop - padded.start
(HandledRange(start=38, stop=80, head=12, tail=5), 42)
>>> render_file_name("/media/A001 take.mov", "watercolor", padded)
'A001_take.watercolor.f38-80.mov'
"""
import os
import re
from collections import namedtuple
from fractions import Fraction

SourceRange = namedtuple("SourceRange", "start stop")  # source frames, stop exclusive
# source frames [start, stop) rendered; ``head``/``tail`` = handle frames before/after the used part
HandledRange = namedtuple("HandledRange", "start stop head tail")


def parse_rate(value):
    """An exact frame rate from what hosts hand out: 24, "23.976", "29.97", 24000/1001.

    >>> parse_rate("23.976"), parse_rate("59.94"), parse_rate(25)
    (Fraction(24000, 1001), Fraction(60000, 1001), Fraction(25, 1))
    """
    rate = Fraction(str(value)) if not isinstance(value, Fraction) else value
    if rate <= 0:
        raise ValueError("frame rate {!r} is not positive".format(value))
    nominal = round(rate)
    ntsc = Fraction(nominal * 1000, 1001)
    if nominal % 6 == 0 and rate != nominal and abs(rate - ntsc) < Fraction(1, 100):
        return ntsc  # 23.976 / 29.97 / 59.94 as written by hosts mean the exact 1001 fractions
    return rate


def to_source_frames(timeline_frames, clip_rate, timeline_rate):
    """Timeline frames → the clip's own frames (rounded to the nearest frame)."""
    return int(round(Fraction(timeline_frames) * Fraction(clip_rate) / Fraction(timeline_rate)))


def used_source_range(offset, duration, clip_rate, timeline_rate):
    """Source frames a clip shows: ``offset``/``duration`` are timeline frames (left offset, length)."""
    start = to_source_frames(offset, clip_rate, timeline_rate)
    stop = to_source_frames(offset + duration, clip_rate, timeline_rate)
    if duration <= 0 or stop <= start:
        raise ValueError("the clip shows no frames (duration {})".format(duration))
    return SourceRange(start, stop)


def with_handles(used, handles, media_frames=None):
    """``used`` plus up to ``handles`` frames each side, clamped to the media (0..media_frames)."""
    if handles < 0:
        raise ValueError("handles must be 0 or more, got {}".format(handles))
    start = max(0, used.start - handles)
    stop = used.stop + handles if media_frames is None else min(int(media_frames), used.stop + handles)
    if media_frames is not None and used.stop > media_frames:
        raise ValueError("the clip uses frames up to {} but its media has {}".format(used.stop, media_frames))
    return HandledRange(start, stop, used.start - start, stop - used.stop)


def range_arg(rendered):
    """The CLI's ``--range`` for a rendered range (frames, end exclusive)."""
    return "{}-{}".format(rendered.start, rendered.stop)


def render_file_name(source_path, tag, rendered, ext=".mov"):
    """A render name from the source file, the look and the source range (no two shots collide)."""
    stem = os.path.splitext(os.path.basename(source_path))[0]
    safe = lambda text: re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "render"  # noqa: E731
    return "{}.{}.f{}-{}{}".format(safe(stem), safe(tag), rendered.start, rendered.stop, ext)


def unused_path(folder, name):
    """``folder/name``, or ``name`` with ``_v2``, ``_v3``... when an earlier render holds the name."""
    base, ext = os.path.splitext(name)
    candidate, version = os.path.join(folder, name), 1
    while os.path.exists(candidate) or os.path.exists(candidate + ".json"):
        version += 1
        candidate = os.path.join(folder, "{}_v{}{}".format(base, version, ext))
    return os.path.abspath(candidate)


def placed_strip(frame_start, frame_offset_start, frame_final_duration, head, rate_factor=1):
    """Where a render goes so that its frames line up with the source strip's (Blender's model).

    A Blender strip's content starts at ``frame_start``; ``frame_offset_start`` timeline frames
    are trimmed off the front. The render's frame 0 is source frame ``used.start - head``, so
    its content starts ``head`` (source frames, × ``rate_factor`` timeline frames per source
    frame) before the first used frame, which is trimmed back off.

    >>> placed_strip(frame_start=10, frame_offset_start=5, frame_final_duration=8, head=3)
    (12, 3, 8)
    """
    head_timeline = int(round(Fraction(head) * Fraction(rate_factor)))
    first_visible = int(round(frame_start + frame_offset_start))
    return first_visible - head_timeline, head_timeline, int(frame_final_duration)
