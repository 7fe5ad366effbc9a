"""DaVinci Resolve actions: restyle the clip under the playhead, or a whole timeline through OTIO.

Runs inside Resolve's Python (Studio; 3.6 or newer): standard library only, no 3.7+ features.
Resolve's scripting API fails by returning None/False rather than raising, so every call goes
through :func:`check`, which turns a refusal into :class:`ResolveError` naming what failed.

Facts this relies on (Blackmagic's scripting README and observed behaviour): a timeline item's
``GetLeftOffset()``/``GetDuration()`` count *timeline* frames even when the clip has another
rate; ``AppendToTimeline`` clipInfo ``startFrame``/``endFrame`` are source frames with
``endFrame`` inclusive, and ``recordFrame`` is an absolute timeline frame.
"""
import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from t2vz_action import restyle_args, run_action  # noqa: E402
from t2vz_ranges import (parse_rate, range_arg, render_file_name, unused_path,  # noqa: E402
                         used_source_range, with_handles)

MARKER_COLOR = "Purple"


class ResolveError(RuntimeError):
    """Resolve refused a call, or the edit is not one this action can handle."""


def check(value, what):
    """``value`` unless Resolve signalled failure (None, False, or an empty list from ImportMedia/AppendToTimeline)."""
    if value is None or value is False or (isinstance(value, (list, tuple, dict)) and not value):
        raise ResolveError("Resolve could not {}".format(what))
    return value


def timecode_to_frame(timecode, rate, drop_frame):
    """Absolute frame of an ``HH:MM:SS:FF`` (``;`` for drop frame) timecode at ``rate``.

    >>> timecode_to_frame("01:00:00:00", parse_rate("23.976"), False)
    86400
    >>> timecode_to_frame("00:01:00;02", parse_rate("29.97"), True)
    1800
    """
    hours, minutes, seconds, frames = (int(part) for part in timecode.replace(";", ":").split(":"))
    nominal = int(round(rate))
    total = ((hours * 60 + minutes) * 60 + seconds) * nominal + frames
    if drop_frame:  # two (four at 59.94) frame numbers dropped each minute except every tenth
        dropped = nominal // 15
        total_minutes = hours * 60 + minutes
        total -= dropped * (total_minutes - total_minutes // 10)
    return total


class Session(object):
    """The current project, its timeline and media pool, fetched and checked once."""

    def __init__(self, resolve):
        manager = check(resolve.GetProjectManager(), "reach the project manager")
        self.resolve = resolve
        self.project = check(manager.GetCurrentProject(), "find an open project")
        self.timeline = check(self.project.GetCurrentTimeline(), "find a current timeline (open one)")
        self.media_pool = check(self.project.GetMediaPool(), "reach the media pool")
        self.rate = parse_rate(check(self.timeline.GetSetting("timelineFrameRate"), "read the timeline frame rate"))

    def playhead_frame(self):
        timecode = check(self.timeline.GetCurrentTimecode(), "read the playhead timecode")
        drop = self.timeline.GetSetting("timelineDropFrameTimecode") in ("1", 1, True)
        return timecode_to_frame(timecode, self.rate, drop)

    def clip_under_playhead(self, track_index):
        """The video item on ``track_index`` (V1 = 1) under the playhead, not whatever GetCurrentVideoItem picks."""
        frame = self.playhead_frame()
        items = self.timeline.GetItemListInTrack("video", track_index)
        if items is None:
            raise ResolveError("the timeline has no video track V{}".format(track_index))
        for item in items:
            if item.GetStart() <= frame < item.GetEnd():
                return item
        raise ResolveError("no clip under the playhead on V{}; move the playhead over a clip or choose its "
                           "track".format(track_index))


def shot_plan(item, timeline_rate, handles):
    """What to render for a timeline item: its source file, used source frames plus handles, record frame."""
    media = check(item.GetMediaPoolItem(), "find the clip's media (is it a generator or compound clip?)")
    path = check(media.GetClipProperty("File Path"), "read the clip's file path")
    clip_rate = parse_rate(check(media.GetClipProperty("FPS"), "read the clip's frame rate"))
    media_frames = int(check(media.GetClipProperty("Frames"), "read the clip's frame count"))
    used = used_source_range(item.GetLeftOffset(), item.GetDuration(), clip_rate, timeline_rate)
    return {"source": path, "clip_rate": clip_rate, "used": used, "record_frame": item.GetStart(),
            "rendered": with_handles(used, handles, media_frames), "name": item.GetName()}


def render_key(source, rendered, args):
    """A stable key for one render (source, range, CLI arguments): what the marker carries."""
    text = "\n".join([os.path.abspath(source), range_arg(rendered)] + list(args))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def place_render(session, plan, render_path, key, tag):
    """Import the render and put its used frames on a new top video track at the clip's record frame."""
    imported = check(session.media_pool.ImportMedia([render_path]), "import {}".format(render_path))
    check(session.timeline.AddTrack("video"), "add a video track")
    track = check(session.timeline.GetTrackCount("video"), "count video tracks")
    check(session.timeline.SetTrackName("video", track, "t2vz {}".format(tag)), "name the new track")
    used, head = plan["used"], plan["rendered"].head
    info = {"mediaPoolItem": imported[0], "startFrame": head, "endFrame": head + used.stop - used.start - 1,
            "recordFrame": plan["record_frame"], "trackIndex": track, "mediaType": 1}
    try:
        placed = check(session.media_pool.AppendToTimeline([info]), "place the render on V{}".format(track))[0]
        if placed.GetStart() != plan["record_frame"]:
            raise ResolveError("Resolve placed the render at frame {} instead of {}".format(
                placed.GetStart(), plan["record_frame"]))
    except ResolveError:
        session.timeline.DeleteTrack("video", track)  # leave no empty track behind
        raise
    start = session.timeline.GetStartFrame()
    check(session.timeline.AddMarker(plan["record_frame"] - start, MARKER_COLOR, "t2vz {}".format(tag),
                                     render_path, 1, key), "add the render marker")
    return placed, track


def render_args(renderer, plan, output, preset, instruction, extra):
    """CLI arguments: ``restyle`` (diffusion) or ``trim`` (copies the range: checks placement quickly)."""
    if renderer == "trim":
        return ["trim", plan["source"], "--range", range_arg(plan["rendered"]), "-o", output]
    if renderer != "restyle":
        raise ResolveError("renderer {!r}: use restyle or trim".format(renderer))
    return restyle_args(plan["source"], preset=preset, instruction=instruction, output=output,
                        frame_range=range_arg(plan["rendered"]), extra=extra)


def restyle_clip_under_playhead(resolve, track_index=1, preset=None, instruction=None, handles=12,
                                render_folder=None, extra=(), cli=None, on_progress=None, renderer="restyle"):
    """The whole action; returns (render path, new track index). Nothing is added if the render fails."""
    session = Session(resolve)
    plan = shot_plan(session.clip_under_playhead(track_index), session.rate, handles)
    preset = None if instruction else (preset or "watercolor")
    tag = "trim" if renderer == "trim" else (preset or "instruction")
    folder = render_folder or os.path.join(os.path.dirname(plan["source"]), "t2vz_renders")
    output = unused_path(folder, render_file_name(plan["source"], tag, plan["rendered"]))
    args = render_args(renderer, plan, output, preset, instruction, extra)
    done = run_action(args, on_progress=on_progress, cli=cli)  # ActionFailed: nothing placed
    placed, track = place_render(session, plan, done["output"], render_key(plan["source"], plan["rendered"], args[2:]),
                                 tag)
    return done["output"], track


def restyle_timeline(resolve, selection=("--all",), preset=None, instruction=None, folder=None, extra=(),
                     cli=None, on_progress=None):
    """Export the timeline as OTIO, run ``t2vz-edit timeline restyle``, import the result as a new timeline."""
    session = Session(resolve)
    name = check(session.timeline.GetName(), "read the timeline name")
    folder = folder or os.path.join(os.path.expanduser("~"), "t2vz_renders")
    if not os.path.isdir(folder):
        os.makedirs(folder)
    exported = unused_path(folder, "{}.otio".format(name.replace(os.sep, "_")))
    check(session.timeline.Export(exported, session.resolve.EXPORT_OTIO), "export the timeline as OTIO")
    output = unused_path(folder, "{}.t2vz.otio".format(name.replace(os.sep, "_")))
    args = ["timeline", "restyle", exported, "-o", output] + list(selection)
    args += ["--instruction", instruction] if instruction else (["--preset", preset] if preset else [])
    done = run_action(args + list(extra), on_progress=on_progress, cli=cli)
    imported = check(session.media_pool.ImportTimelineFromFile(done["output"], {"timelineName": name + " (t2vz)"}),
                     "import the restyled timeline {}".format(done["output"]))
    check(session.project.SetCurrentTimeline(imported), "open the restyled timeline")
    return done["output"]
