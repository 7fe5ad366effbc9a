"""DaVinci Resolve (Studio) script: restyle the clip under the playhead and put the render above it.

Install: copy the plugins/ folder (this folder and the t2vz_*.py files beside it) into Resolve's
Scripts/Edit folder, e.g. ~/.local/share/DaVinciResolve/Fusion/Scripts/Edit/t2vz/, then
Workspace > Scripts > t2vz_restyle_clip. A small window shows the render's progress and a
Cancel button while Resolve stays usable. Settings come from the environment:
T2VZ_EDIT_CLI (the t2vz-edit command), T2VZ_PRESET (default watercolor) or T2VZ_INSTRUCTION,
T2VZ_TRACK (video track of the clip, default 1), T2VZ_HANDLES (default 12), T2VZ_RENDER_FOLDER,
T2VZ_PLACE (``track``: a new top video track, the default; ``take``: a new take of the clip),
T2VZ_EXTRA_ARGS (more CLI arguments, e.g. "--steps 20 --seed 3").
Resolve passes `resolve`, `fusion` and `bmd` into the script's globals. Python 3.6 compatible.
"""
import os
import shlex
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from t2vz_resolve import plan_clip_job  # noqa: E402
from t2vz_resolve_window import run_resolve_action  # noqa: E402

PLACES = ("track", "take")


def settings_from_env(environ=None):
    """The action's keyword arguments from T2VZ_* variables (checked: a bad value names the variable)."""
    env = os.environ if environ is None else environ
    instruction = env.get("T2VZ_INSTRUCTION") or None
    place = env.get("T2VZ_PLACE", "track")
    if place not in PLACES:
        raise ValueError("T2VZ_PLACE={!r}: use track or take".format(place))
    try:
        track, handles = int(env.get("T2VZ_TRACK", "1")), int(env.get("T2VZ_HANDLES", "12"))
    except ValueError as exc:
        raise ValueError("T2VZ_TRACK and T2VZ_HANDLES are whole numbers: {}".format(exc))
    return {"track_index": track, "instruction": instruction, "handles": handles,
            "preset": None if instruction else env.get("T2VZ_PRESET", "watercolor"),
            "render_folder": env.get("T2VZ_RENDER_FOLDER"), "as_take": place == "take",
            "extra": shlex.split(env.get("T2VZ_EXTRA_ARGS", ""))}


def main(resolve, fusion=None, bmd=None, renderer="restyle", cli=None):
    """The menu action. Without ``fusion``/``bmd`` (run from outside Resolve's Scripts menu) it waits for
    the render and prints progress on the console."""
    def title(job):
        return "{} of {}: {}".format("take" if job.as_take else "new track", job.plan["name"],
                                     os.path.basename(job.output))

    return run_resolve_action(lambda: plan_clip_job(resolve, renderer=renderer, **settings_from_env()), title,
                              fusion, bmd, cli)


if "resolve" in globals():
    _globals = globals()
    main(_globals["resolve"], _globals.get("fusion") or _globals.get("fu"), _globals.get("bmd"))
