"""A FAKE of DaVinci Resolve's scripting API (Resolve cannot be installed here), recording every call.

It follows Blackmagic's scripting README: objects Resolve → ProjectManager → Project →
Timeline / MediaPool → MediaPoolItem / TimelineItem with the README's method names, and the
API's way of failing — returning None/False/[] instead of raising. Behaviour it models:

- ``GetLeftOffset()``/``GetDuration()``/``GetStart()`` count timeline frames, also for a clip at
  another rate (a 25 fps clip on a 24 fps timeline plays at real time);
- ``AppendToTimeline`` clipInfo: ``startFrame``/``endFrame`` source frames, end inclusive,
  ``recordFrame`` absolute, ``trackIndex`` must exist, an overlap on the track is refused;
- ``GetCurrentTimecode()`` is the playhead as timecode (``;`` when drop frame);
- ``TimelineItem.AddTake(mediaPoolItem, startFrame, endFrame)`` makes the item a take selector
  when it is not one (its own media becomes take 1; ``GetTakesCount()`` is 0 before), extents
  are the take media's frames (end inclusive, as in clipInfo), ``SelectTakeByIndex`` switches
  what ``GetMediaPoolItem()`` returns; ``MediaPool.DeleteClips`` removes imported items.

A method name put in an object's ``refuse`` set makes that call fail the way the README says
Resolve fails (None/False).

Every call lands in ``calls`` as ``(object, method, args)`` so tests can assert what the plugin did
(and did not) ask Resolve to do. Python 3.6 compatible: the plugin's tests also run under 3.6.
"""
from fractions import Fraction


class Recorder(object):
    def __init__(self):
        self.calls = []

    def log(self, owner, method, *args):
        self.calls.append((owner, method, args))

    def methods(self):
        return [method for _, method, _ in self.calls]


class FakeMediaPoolItem(object):
    def __init__(self, rec, path, fps, frames):
        self.rec, self.props = rec, {"File Path": path, "FPS": fps, "Frames": str(frames)}

    def GetClipProperty(self, key=None):
        self.rec.log("MediaPoolItem", "GetClipProperty", key)
        return dict(self.props) if key is None else self.props.get(key, "")


class FakeTimelineItem(object):
    def __init__(self, rec, media, start, duration, left_offset, name, timeline_rate=None):
        self.rec, self.media, self.start, self.duration = rec, media, start, duration
        self.left_offset, self.name, self.timeline_rate = left_offset, name, timeline_rate
        self.takes = []  # [{"mediaPoolItem", "startFrame", "endFrame"}] once a take selector
        self.selected_take = 0
        self.refuse = set()

    def _get(self, method, value):
        self.rec.log("TimelineItem", method)
        return value

    def GetStart(self):
        return self._get("GetStart", self.start)

    def GetEnd(self):
        return self._get("GetEnd", self.start + self.duration)

    def GetDuration(self):
        return self._get("GetDuration", self.duration)

    def GetLeftOffset(self):
        return self._get("GetLeftOffset", self.left_offset)

    def GetMediaPoolItem(self):
        return self._get("GetMediaPoolItem", self.media)

    def GetName(self):
        return self._get("GetName", self.name)

    def _source_extents(self):
        """The item's own source frames (end inclusive): take 1 when it becomes a take selector."""
        scale = Fraction(str(self.media.props["FPS"])) / Fraction(str(self.timeline_rate or self.media.props["FPS"]))
        first = int(round(self.left_offset * scale))
        return first, int(round((self.left_offset + self.duration) * scale)) - 1

    def AddTake(self, media, start_frame=None, end_frame=None):
        self.rec.log("TimelineItem", "AddTake", media, start_frame, end_frame)
        if "AddTake" in self.refuse:
            return None
        frames = int(media.props["Frames"])
        first = 0 if start_frame is None else start_frame
        last = frames - 1 if end_frame is None else end_frame
        if not 0 <= first <= last < frames:
            return False
        if not self.takes:  # "Initializes a take selector for the timeline item if needed"
            own_first, own_last = self._source_extents()
            self.takes.append({"mediaPoolItem": self.media, "startFrame": own_first, "endFrame": own_last})
            self.selected_take = 1
        self.takes.append({"mediaPoolItem": media, "startFrame": first, "endFrame": last})
        return True

    def GetTakesCount(self):
        return self._get("GetTakesCount", len(self.takes))

    def GetSelectedTakeIndex(self):
        return self._get("GetSelectedTakeIndex", self.selected_take)

    def GetTakeByIndex(self, index):
        self.rec.log("TimelineItem", "GetTakeByIndex", index)
        return dict(self.takes[index - 1]) if 1 <= index <= len(self.takes) else None

    def SelectTakeByIndex(self, index):
        self.rec.log("TimelineItem", "SelectTakeByIndex", index)
        if "SelectTakeByIndex" in self.refuse or not 1 <= index <= len(self.takes):
            return False
        self.selected_take = index
        self.media = self.takes[index - 1]["mediaPoolItem"]
        return True

    def FinalizeTake(self):
        """README: keeps the selected take as the clip; the item is no longer a take selector."""
        self.rec.log("TimelineItem", "FinalizeTake")
        if not self.takes:
            return False
        self.media, self.takes, self.selected_take = self.takes[self.selected_take - 1]["mediaPoolItem"], [], 0
        return True

    def DeleteTakeByIndex(self, index):
        self.rec.log("TimelineItem", "DeleteTakeByIndex", index)
        if not 1 <= index <= len(self.takes):
            return False
        del self.takes[index - 1]
        if self.selected_take > len(self.takes):
            self.selected_take = len(self.takes)
            self.media = self.takes[-1]["mediaPoolItem"]
        return True


def _frames_to_timecode(frame, rate, drop):
    nominal = int(round(rate))
    if drop:  # inverse of drop-frame counting (SMPTE 12M)
        dropped, per_10min = nominal // 15, nominal * 600 - 9 * (nominal // 15)
        per_min = nominal * 60 - dropped
        tens, rest = divmod(frame, per_10min)
        frame += 9 * dropped * tens + (dropped * ((rest - dropped) // per_min) if rest > dropped else 0)
    ff, seconds = frame % nominal, frame // nominal
    return "{:02d}:{:02d}:{:02d}{}{:02d}".format(seconds // 3600, seconds // 60 % 60, seconds % 60,
                                                 ";" if drop else ":", ff)


class FakeTimeline(object):
    def __init__(self, rec, name, rate, start_frame=86400, drop=False):
        self.rec, self.name, self.rate, self.start_frame, self.drop = rec, name, rate, start_frame, drop
        self.tracks = [[]]  # V1 exists
        self.track_names = ["Video 1"]
        self.markers = {}
        self.playhead = start_frame
        self.refuse = set()  # method names that fail (return False/None) to test error handling

    def _call(self, method, *args):
        self.rec.log("Timeline", method, *args)
        return method not in self.refuse

    def GetName(self):
        return self.name if self._call("GetName") else None

    def GetSetting(self, key):
        self._call("GetSetting", key)
        return {"timelineFrameRate": str(self.rate), "timelineDropFrameTimecode": "1" if self.drop else "0"}.get(key)

    def GetStartFrame(self):
        self._call("GetStartFrame")
        return self.start_frame

    def GetCurrentTimecode(self):
        self._call("GetCurrentTimecode")
        return _frames_to_timecode(self.playhead, Fraction(str(self.rate)), self.drop)

    def GetTrackCount(self, kind):
        self._call("GetTrackCount", kind)
        return len(self.tracks) if kind == "video" else 0

    def GetItemListInTrack(self, kind, index):
        self._call("GetItemListInTrack", kind, index)
        return list(self.tracks[index - 1]) if kind == "video" and 1 <= index <= len(self.tracks) else None

    def AddTrack(self, kind, sub_type=None):
        if not self._call("AddTrack", kind) or kind != "video":
            return False
        self.tracks.append([])
        self.track_names.append("Video {}".format(len(self.tracks)))
        return True

    def DeleteTrack(self, kind, index):
        if not self._call("DeleteTrack", kind, index) or not 1 <= index <= len(self.tracks):
            return False
        del self.tracks[index - 1], self.track_names[index - 1]
        return True

    def SetTrackName(self, kind, index, name):
        if not self._call("SetTrackName", kind, index, name) or not 1 <= index <= len(self.tracks):
            return False
        self.track_names[index - 1] = name
        return True

    def AddMarker(self, frame_id, color, name, note, duration, custom_data=""):
        if not self._call("AddMarker", frame_id, color, name, note, duration, custom_data) or frame_id in self.markers:
            return False
        self.markers[frame_id] = {"color": color, "name": name, "note": note, "duration": duration,
                                  "customData": custom_data}
        return True

    def GetMarkers(self):
        self._call("GetMarkers")
        return {frame: dict(info) for frame, info in self.markers.items()}

    def Export(self, path, export_type, sub_type=None):
        if not self._call("Export", path, export_type) or self.exporter is None:
            return False
        return self.exporter(self, path)

    exporter = None  # set by a test: writes the timeline as OTIO


class FakeMediaPool(object):
    def __init__(self, rec, timeline_getter, probe):
        self.rec, self.timeline_getter, self.probe = rec, timeline_getter, probe
        self.items = []
        self.imported_timelines = []
        self.importer = None

    def ImportMedia(self, paths):
        self.rec.log("MediaPool", "ImportMedia", list(paths))
        out = []
        for path in paths:
            info = self.probe(path)
            if info is None:
                continue  # Resolve skips files it cannot read
            out.append(FakeMediaPoolItem(self.rec, path, info[0], info[1]))
        self.items += out
        return out

    def DeleteClips(self, clips):
        self.rec.log("MediaPool", "DeleteClips", list(clips))
        if any(clip not in self.items for clip in clips):
            return False
        self.items = [item for item in self.items if item not in clips]
        return True

    def AppendToTimeline(self, clip_infos):
        self.rec.log("MediaPool", "AppendToTimeline", [dict(i) for i in clip_infos])
        timeline, placed = self.timeline_getter(), []
        for info in clip_infos:
            item = _place(self.rec, timeline, info)
            if item is None:
                return []
            placed.append(item)
        return placed

    def ImportTimelineFromFile(self, path, options=None):
        self.rec.log("MediaPool", "ImportTimelineFromFile", path, options)
        result = self.importer(path, options) if self.importer else None
        if result is not None:
            self.imported_timelines.append(result)
        return result


def _place(rec, timeline, info):
    media, track = info["mediaPoolItem"], info.get("trackIndex", 1)
    if not 1 <= track <= len(timeline.tracks) or info.get("mediaType", 1) != 1:
        return None
    clip_rate = Fraction(str(media.props["FPS"]))
    tl_rate = Fraction(str(timeline.rate))
    first, last = info.get("startFrame", 0), info.get("endFrame", int(media.props["Frames"]) - 1)
    if not 0 <= first <= last < int(media.props["Frames"]):
        return None
    duration = int(round((last + 1 - first) * tl_rate / clip_rate))
    start = info.get("recordFrame", timeline.start_frame)
    if any(i.start < start + duration and start < i.start + i.duration for i in timeline.tracks[track - 1]):
        return None
    item = FakeTimelineItem(rec, media, start, duration, int(round(first * tl_rate / clip_rate)),
                            media.props["File Path"].rsplit("/", 1)[-1], timeline.rate)
    timeline.tracks[track - 1].append(item)
    return item


class FakeProject(object):
    def __init__(self, rec, timeline, probe):
        self.rec, self.timeline = rec, timeline
        self.media_pool = FakeMediaPool(rec, lambda: self.timeline, probe)

    def GetCurrentTimeline(self):
        self.rec.log("Project", "GetCurrentTimeline")
        return self.timeline

    def GetMediaPool(self):
        self.rec.log("Project", "GetMediaPool")
        return self.media_pool

    def SetCurrentTimeline(self, timeline):
        self.rec.log("Project", "SetCurrentTimeline", getattr(timeline, "name", None))
        self.timeline = timeline
        return True


def probe_media(path):
    """What the fake's ImportMedia reads of a file, through the project's probe: (fps text, frames) or None
    (no such file). Imports t2vz_edit on use, so the fake itself stays importable under Python 3.6."""
    import os

    if not os.path.isfile(str(path)):
        return None
    from t2vz_edit.media.probe import probe

    info = probe(path)
    return "{:.3f}".format(float(info.rate)), info.frame_count


class FakeResolve(object):
    """``resolve`` as Resolve passes it to a script. ``probe(path)`` → (fps text, frames) or None."""

    EXPORT_OTIO = "EXPORT_OTIO"  # the README lists resolve.EXPORT_OTIO among Export types

    def __init__(self, timeline, probe):
        self.rec = timeline.rec
        self.project = FakeProject(self.rec, timeline, probe)

    def GetProjectManager(self):
        self.rec.log("Resolve", "GetProjectManager")
        return self

    def GetCurrentProject(self):  # ProjectManager method (the manager is this object)
        self.rec.log("ProjectManager", "GetCurrentProject")
        return self.project


def add_clip(timeline, track, path, fps, frames, record_frame, left_offset, duration, name=None):
    """Put an item on the fake timeline as if the editor had cut it in (offsets in timeline frames)."""
    media = FakeMediaPoolItem(timeline.rec, path, fps, frames)
    while len(timeline.tracks) < track:
        timeline.tracks.append([])
        timeline.track_names.append("Video {}".format(len(timeline.tracks)))
    item = FakeTimelineItem(timeline.rec, media, record_frame, duration, left_offset, name or path.rsplit("/", 1)[-1],
                            timeline.rate)
    timeline.tracks[track - 1].append(item)
    return item
