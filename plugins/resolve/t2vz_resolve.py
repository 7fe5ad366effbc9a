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
from t2vz_action import kept_render_message, restyle_args, run_action  # noqa: E402
from t2vz_ranges import (SourceRange, parse_rate, range_arg, render_file_name, unused_path,  # noqa: E402
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
    """What to render for a timeline item: its source file, used source frames plus handles, record frame.

    A take selector (an item that got takes, e.g. earlier renders) is rendered from its first
    take, the clip it was cut from, over that take's extents (GetTakeByIndex: source frames,
    end inclusive), never from the take on show, which may be a render.
    """
    name = check(item.GetName(), "read the clip's name")
    if item.GetTakesCount():
        take = check(item.GetTakeByIndex(1), "read take 1 of {}".format(name))
        media = check(take.get("mediaPoolItem"), "find the media of take 1 of {}".format(name))
    else:
        media = check(item.GetMediaPoolItem(), "find the clip's media (is it a generator or compound clip?)")
    path = check(media.GetClipProperty("File Path"), "read the clip's file path")
    clip_rate = parse_rate(check(media.GetClipProperty("FPS"), "read the clip's frame rate"))
    media_frames = int(check(media.GetClipProperty("Frames"), "read the clip's frame count"))
    if item.GetTakesCount():
        used = SourceRange(int(take["startFrame"]), int(take["endFrame"]) + 1)
    else:
        used = used_source_range(check(item.GetLeftOffset(), "read the left offset of {}".format(name)),
                                 check(item.GetDuration(), "read the duration of {}".format(name)),
                                 clip_rate, timeline_rate)
    return {"source": path, "clip_rate": clip_rate, "used": used,
            "record_frame": check(item.GetStart(), "read the record frame of {}".format(name)),
            "rendered": with_handles(used, handles, media_frames), "name": name,
            "duration": check(item.GetDuration(), "read the duration of {}".format(name))}


def render_key(source, rendered, args):
    """A stable key for one render (source, range, CLI arguments): what the marker carries."""
    text = "\n".join([os.path.abspath(source), range_arg(rendered)] + list(args))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def _import_render(session, render_path):
    """The render as a media pool item (the caller removes it again if it cannot be placed)."""
    return check(session.media_pool.ImportMedia([render_path]), "import {}".format(render_path))[0]


def _used_in_render(plan):
    """(first, last) frames of the render that show the used part: inclusive, as clipInfo and AddTake take them."""
    used, head = plan["used"], plan["rendered"].head
    return head, head + used.stop - used.start - 1


def _undone(error, undo):
    """Re-raise ``error`` after a placement was rolled back; ``undo`` is [(result, what)]: a refused undo step
    is named in the message rather than passed over."""
    failed = [what for result, what in undo if result is None or result is False]
    if failed:
        raise ResolveError("{}; and could not {} (check the timeline)".format(error, ", ".join(failed)))
    raise error


def place_render(session, plan, render_path, key, tag):
    """Import the render and put its used frames on a new top video track at the clip's record frame."""
    media = _import_render(session, render_path)
    track = None
    try:
        check(session.timeline.AddTrack("video"), "add a video track")
        track = check(session.timeline.GetTrackCount("video"), "count video tracks")
        check(session.timeline.SetTrackName("video", track, "t2vz {}".format(tag)), "name the new track")
        first, last = _used_in_render(plan)
        info = {"mediaPoolItem": media, "startFrame": first, "endFrame": last,
                "recordFrame": plan["record_frame"], "trackIndex": track, "mediaType": 1}
        placed = check(session.media_pool.AppendToTimeline([info]), "place the render on V{}".format(track))[0]
        if placed.GetStart() != plan["record_frame"]:
            raise ResolveError("Resolve placed the render at frame {} instead of {}".format(
                placed.GetStart(), plan["record_frame"]))
    except ResolveError as exc:
        undo = [(session.timeline.DeleteTrack("video", track), "remove the new track V{}".format(track))] if track else []
        _undone(exc, undo + [(session.media_pool.DeleteClips([media]), "remove the render from the media pool")])
    add_render_marker(session, plan, render_path, key, tag)
    return placed, track


def add_take(session, item, plan, render_path, key, tag):
    """Add the render's used frames as a new take of ``item`` and select it; returns the take index.

    README: ``AddTake(mediaPoolItem, startFrame, endFrame)`` makes the item a take selector if it
    is not one (the original becomes take 1), ``SelectTakeByIndex`` shows a take. The extents
    are the render's own frames, end inclusive like AppendToTimeline's clipInfo.
    """
    media = _import_render(session, render_path)
    first, last = _used_in_render(plan)
    takes_before, added = item.GetTakesCount() or 0, None
    try:
        check(item.AddTake(media, first, last), "add {} as a take of {}".format(render_path, plan["name"]))
        added = check(item.GetTakesCount(), "count the takes of {}".format(plan["name"]))
        check(item.SelectTakeByIndex(added), "select take {} of {}".format(added, plan["name"]))
    except ResolveError as exc:
        undo = []
        if added:
            undo.append((item.DeleteTakeByIndex(added), "remove take {}".format(added)))
            if not takes_before:  # AddTake made it a take selector: back to a plain clip
                undo.append((item.FinalizeTake(), "turn {} back into a plain clip".format(plan["name"])))
        _undone(exc, undo + [(session.media_pool.DeleteClips([media]), "remove the render from the media pool")])
    add_render_marker(session, plan, render_path, key, tag)
    return added


def add_render_marker(session, plan, render_path, key, tag):
    """A timeline marker over the clip whose custom data is the render key; the first free frame of the
    clip from its record frame, so a second render of the same shot gets its own marker."""
    markers = session.timeline.GetMarkers() or {}  # {} when there are none: not a failure
    first = plan["record_frame"] - check(session.timeline.GetStartFrame(), "read the timeline's start frame")
    free = [f for f in range(first, first + plan["duration"]) if f not in markers]
    if not free:
        raise ResolveError("every frame of {} already has a marker; the render {} is placed but has no "
                           "marker".format(plan["name"], render_path))
    check(session.timeline.AddMarker(free[0], MARKER_COLOR, "t2vz {}".format(tag), render_path, 1, key),
          "add the render marker (the render {} is placed)".format(render_path))
    return free[0]


def render_args(renderer, plan, output, preset, instruction, extra):
    """CLI arguments: ``restyle`` (diffusion) or ``trim`` (copies the range: checks placement quickly)."""
    if renderer == "trim":
        return ["trim", plan["source"], "--range", range_arg(plan["rendered"]), "-o", output]
    if renderer != "restyle":
        raise ResolveError("renderer {!r}: use restyle or trim".format(renderer))
    return restyle_args(plan["source"], preset=preset, instruction=instruction, output=output,
                        frame_range=range_arg(plan["rendered"]), extra=extra)


class ClipJob(object):
    """One "restyle the clip under the playhead" run, planned (and checked) before the CLI starts."""

    def __init__(self, session, item, plan, output, args, tag, as_take):
        self.session, self.item, self.plan = session, item, plan
        self.output, self.args, self.tag, self.as_take = output, args, tag, as_take

    def place(self, render_path):
        """Put the finished render on the timeline; returns (where, message): the new track's index, or
        the new take's index when ``as_take``."""
        key = render_key(self.plan["source"], self.plan["rendered"], self.args[2:])
        name = os.path.basename(render_path)
        try:
            if self.as_take:
                take = add_take(self.session, self.item, self.plan, render_path, key, self.tag)
                return take, "added {} as take {} of {}".format(name, take, self.plan["name"])
            placed, track = place_render(self.session, self.plan, render_path, key, self.tag)
            return track, "placed {} on V{}".format(name, track)
        except ResolveError as exc:  # the finished render stays on disk, named, for placing by hand
            if "is placed" in str(exc):  # placed, only its marker refused: nothing to place by hand
                raise
            raise ResolveError(kept_render_message(str(exc), render_path))


def plan_clip_job(resolve, track_index=1, preset=None, instruction=None, handles=12, render_folder=None,
                  extra=(), renderer="restyle", as_take=False):
    """Find the clip, its range and a free render name, and build the CLI arguments; nothing runs yet."""
    session = Session(resolve)
    item = session.clip_under_playhead(track_index)
    plan = shot_plan(item, session.rate, handles)
    preset = None if instruction else (preset or "watercolor")
    tag = "trim" if renderer == "trim" else (preset or "instruction")
    folder = render_folder or os.path.join(os.path.dirname(plan["source"]), "t2vz_renders")
    output = unused_path(folder, render_file_name(plan["source"], tag, plan["rendered"]))
    args = render_args(renderer, plan, output, preset, instruction, extra)
    return ClipJob(session, item, plan, output, args, tag, as_take)


def restyle_clip_under_playhead(resolve, track_index=1, preset=None, instruction=None, handles=12,
                                render_folder=None, extra=(), cli=None, on_progress=None, renderer="restyle",
                                as_take=False):
    """The whole action, waiting for the render; returns (render path, new track index or, ``as_take``,
    new take index). Nothing is added if the render fails."""
    job = plan_clip_job(resolve, track_index, preset, instruction, handles, render_folder, extra, renderer,
                        as_take)
    done = run_action(job.args, on_progress=on_progress, cli=cli)  # ActionFailed: nothing placed
    return done["output"], job.place(done["output"])[0]


class TimelineJob(object):
    """One whole-timeline run: the exported OTIO, the CLI arguments and the timeline it will write."""

    def __init__(self, session, name, args, output):
        self.session, self.name, self.args, self.output = session, name, args, output

    def place(self, written):
        """Import the written OTIO as "<name> (t2vz)" and open it; returns (its name, message)."""
        new_name = self.name + " (t2vz)"
        imported = check(self.session.media_pool.ImportTimelineFromFile(written, {"timelineName": new_name}),
                         "import the restyled timeline {}".format(written))
        check(self.session.project.SetCurrentTimeline(imported), "open the restyled timeline")
        return new_name, "opened the restyled timeline {}".format(new_name)


def plan_timeline_job(resolve, selection=("--all",), preset=None, instruction=None, folder=None, extra=()):
    """Export the current timeline as OTIO and build the ``t2vz-edit timeline restyle`` arguments."""
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
    return TimelineJob(session, name, args + list(extra), output)


def restyle_timeline(resolve, selection=("--all",), preset=None, instruction=None, folder=None, extra=(),
                     cli=None, on_progress=None):
    """Export the timeline as OTIO, run ``t2vz-edit timeline restyle`` (waiting), import the result as a new
    timeline; returns the written OTIO's path."""
    job = plan_timeline_job(resolve, selection, preset, instruction, folder, extra)
    done = run_action(job.args, on_progress=on_progress, cli=cli)
    job.place(done["output"])
    return done["output"]
