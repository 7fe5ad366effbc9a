"""DaVinci Resolve script: restyle the clip under the playhead and import the render next to it.

Install: copy this file and ../t2vz_action.py into Resolve's Scripts/Edit folder
(e.g. ~/.local/share/DaVinciResolve/Fusion/Scripts/Edit/), then Workspace → Scripts → t2vz_restyle_clip.
Set T2VZ_PRESET (default "watercolor") or T2VZ_INSTRUCTION to choose the look.
Resolve passes `resolve` (its scripting API) into the script's globals.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from t2vz_action import ActionFailed, restyle_clip  # noqa: E402


def main(resolve) -> None:
    project = resolve.GetProjectManager().GetCurrentProject()
    timeline = project.GetCurrentTimeline()
    item = timeline.GetCurrentVideoItem()
    if item is None:
        print("t2vz-edit: put the playhead over a video clip first")
        return
    media = item.GetMediaPoolItem()
    path = media.GetClipProperty("File Path")
    start, end = item.GetLeftOffset(), item.GetLeftOffset() + item.GetDuration()
    instruction = os.environ.get("T2VZ_INSTRUCTION")
    try:
        out = restyle_clip(path, preset=None if instruction else os.environ.get("T2VZ_PRESET", "watercolor"),
                           instruction=instruction, frame_range=f"{start}-{end}",
                           on_progress=lambda s, d, t: print(f"t2vz-edit {s}: {d}/{t}"))
    except ActionFailed as exc:
        print(f"t2vz-edit failed: {exc}")
        return
    project.GetMediaPool().ImportMedia([out])
    print(f"t2vz-edit: imported {out}")


if "resolve" in globals():
    main(globals()["resolve"])
