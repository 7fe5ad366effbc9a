"""DaVinci Resolve (Studio) script: restyle the current timeline through OTIO and open the result.

Exports the timeline as .otio, runs `t2vz-edit timeline restyle` (clips with a "restyle: ..."
marker by default; T2VZ_SELECT=all for every clip) behind a progress window with a Cancel
button (Resolve stays usable), imports the written timeline as "<name> (t2vz)". Settings:
T2VZ_EDIT_CLI, T2VZ_PRESET or T2VZ_INSTRUCTION, T2VZ_RENDER_FOLDER, T2VZ_EXTRA_ARGS.
Python 3.6 compatible.
"""
import os
import shlex
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from t2vz_resolve import plan_timeline_job  # noqa: E402
from t2vz_resolve_window import run_resolve_action  # noqa: E402


def main(resolve, fusion=None, bmd=None, cli=None):
    """The menu action; without ``fusion``/``bmd`` (outside Resolve's Scripts menu) it waits and prints progress."""
    selection = ("--all",) if os.environ.get("T2VZ_SELECT") == "all" else ("--marker",)
    return run_resolve_action(
        lambda: plan_timeline_job(resolve, selection, preset=os.environ.get("T2VZ_PRESET"),
                                  instruction=os.environ.get("T2VZ_INSTRUCTION"),
                                  folder=os.environ.get("T2VZ_RENDER_FOLDER"),
                                  extra=shlex.split(os.environ.get("T2VZ_EXTRA_ARGS", ""))),
        lambda job: "timeline {}: {}".format(job.name, job.output), fusion, bmd, cli)


if "resolve" in globals():
    _globals = globals()
    main(_globals["resolve"], _globals.get("fusion") or _globals.get("fu"), _globals.get("bmd"))
