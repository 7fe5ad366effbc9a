"""DaVinci Resolve (Studio) script: restyle the current timeline through OTIO and open the result.

Exports the timeline as .otio, runs `t2vz-edit timeline restyle` (clips with a "restyle: ..."
marker by default; T2VZ_SELECT=all for every clip), imports the written timeline as
"<name> (t2vz)". Settings: T2VZ_EDIT_CLI, T2VZ_PRESET or T2VZ_INSTRUCTION, T2VZ_RENDER_FOLDER.
Python 3.6 compatible.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from t2vz_resolve import ResolveError, restyle_timeline  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from t2vz_action import ActionFailed  # noqa: E402


def main(resolve):
    selection = ("--all",) if os.environ.get("T2VZ_SELECT") == "all" else ("--marker",)
    try:
        out = restyle_timeline(resolve, selection, preset=os.environ.get("T2VZ_PRESET"),
                               instruction=os.environ.get("T2VZ_INSTRUCTION"),
                               folder=os.environ.get("T2VZ_RENDER_FOLDER"),
                               on_progress=lambda s, d, t: print("t2vz-edit {}: {}/{}".format(s, d, t)))
    except (ActionFailed, ResolveError) as exc:
        print("t2vz-edit failed: {}".format(exc))
        return False
    print("t2vz-edit: opened the restyled timeline {}".format(out))
    return True


if "resolve" in globals():
    main(globals()["resolve"])
