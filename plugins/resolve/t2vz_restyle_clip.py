"""DaVinci Resolve (Studio) script: restyle the clip under the playhead and put the render above it.

Install: copy the plugins/ folder (this folder and the t2vz_*.py files beside it) into Resolve's
Scripts/Edit folder, e.g. ~/.local/share/DaVinciResolve/Fusion/Scripts/Edit/t2vz/, then
Workspace > Scripts > t2vz_restyle_clip. Settings come from the environment:
T2VZ_EDIT_CLI (the t2vz-edit command), T2VZ_PRESET (default watercolor) or T2VZ_INSTRUCTION,
T2VZ_TRACK (video track of the clip, default 1), T2VZ_HANDLES (default 12), T2VZ_RENDER_FOLDER.
Resolve passes `resolve` (its scripting API) into the script's globals. Python 3.6 compatible.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from t2vz_resolve import ResolveError, restyle_clip_under_playhead  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from t2vz_action import ActionFailed  # noqa: E402


def main(resolve):
    instruction = os.environ.get("T2VZ_INSTRUCTION") or None
    try:
        render, track = restyle_clip_under_playhead(
            resolve, track_index=int(os.environ.get("T2VZ_TRACK", "1")),
            preset=None if instruction else os.environ.get("T2VZ_PRESET", "watercolor"), instruction=instruction,
            handles=int(os.environ.get("T2VZ_HANDLES", "12")), render_folder=os.environ.get("T2VZ_RENDER_FOLDER"),
            on_progress=lambda stage, done, total: print("t2vz-edit {}: {}/{}".format(stage, done, total)))
    except (ActionFailed, ResolveError, ValueError) as exc:
        print("t2vz-edit failed: {}".format(exc))
        return False
    print("t2vz-edit: placed {} on V{}".format(render, track))
    return True


if "resolve" in globals():
    main(globals()["resolve"])
