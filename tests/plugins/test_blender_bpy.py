"""The Blender extension in the REAL bpy wheel (4.2 LTS and 5.0.x), built by Blender's blender_ext.py.

Each version runs one bpy process (tests/plugins/blender_scenario.py) that installs the built
extension zip the way Blender does, builds a 23.976 scene whose movie strip has an offset
in-point (channel 2, start 10, offset 7, 12 frames shown), its sound strip on channel 1 cut the same
way (only in wheels built with Audaspace, as the wheel itself reports: the 4.2 wheel is not, so
`new_sound` refuses every file there; the sound-strip test runs for the others),
a colour strip on channel 3 over the used frames and one on channel 4 over the handles only), and restyles it:
through the operator (trim renderer), through the operator's steps (trim renderer, 4 handles),
with tiny random models (restyle renderer), cancelled mid-render by Esc (the operator's modal step fed
fake TIMER/ESC events: bpy never delivers real ones) and by the panel's Cancel button, and with every channel
above the source locked (placement refused: the render is kept and named). Which render frame shows
at the strip's first and last frame is read from Blender's own sequencer render.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from bpy_env import BPY_VERSIONS, blender_ext, bpy_python, wheel_has_audaspace

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "plugins"))
from build_blender_extension import build  # noqa: E402

SIZE = (160, 96)
EXPECTED_CHANNEL = 4  # channel 3 is busy over the used frames; channel 4 only over the handles
# bpy wheels built without Audaspace (bpy.app.build_options.audaspace is False): no sound strip can exist there.
# test_wheel_audio_is_as_recorded fails if one of BPY_VERSIONS disagrees, so this list stays true.
WHEELS_WITHOUT_AUDASPACE = ("4.2.23",)
AUDIO_VERSIONS = tuple(v for v in BPY_VERSIONS if wheel_has_audaspace(v))  # asked of each wheel at collection


def pytest_generate_tests(metafunc):
    """Every test that uses ``blender_run`` runs once per bpy version (one scenario run per version, shared by the
    module), or only for the versions a test names with :func:`for_versions`."""
    if "blender_run" in metafunc.fixturenames:
        versions = getattr(metafunc.function, "bpy_versions", BPY_VERSIONS)
        metafunc.parametrize("blender_run", versions, indirect=True, scope="module")


def for_versions(versions):
    def mark(test):
        test.bpy_versions = tuple(versions)
        return test
    return mark


@pytest.fixture(scope="module")
def scene_clip(tmp_path_factory) -> Path:
    from t2vz_edit.media.synth import make_clip

    path = tmp_path_factory.mktemp("blender-src") / "A001 shot.mov"
    make_clip(path, frames=36, width=SIZE[0], height=SIZE[1], rate=Fraction(24000, 1001),
              timecode="01:00:00:00", audio={"channels": 2, "sample_rate": 48000})
    return path


def _cases(tiny_instruct: Path) -> list[dict]:
    tiny = f"--model {tiny_instruct} --steps 1 --size 64 --seed 0"
    return [
        dict(name="operator_trim", how="operator", renderer="trim", handles=0, render_png=True),
        dict(name="steps_trim_handles", how="steps", renderer="trim", handles=4, render_png=True),
        dict(name="steps_tiny", how="steps", renderer="restyle", handles=2, extra_args=tiny,
             instruction="make it a watercolor painting", render_png=True),
        dict(name="cancel_tiny", how="cancel", cancel_with="esc", renderer="restyle", handles=0, extra_args=tiny,
             instruction="make it an oil painting"),
        dict(name="cancel_button_trim", how="cancel", cancel_with="button", renderer="trim", handles=0),
        dict(name="refused_trim", how="steps", renderer="trim", handles=1, lock_above=True),
    ]


@pytest.fixture(scope="module")
def blender_run(request, scene_clip, tiny_models, tmp_path_factory) -> dict:
    version = request.param
    python = bpy_python(version)
    work = tmp_path_factory.mktemp(f"bpy-{version}")
    zip_path = build(str(blender_ext(python)), str(work / "dist"), python=str(python))
    config = dict(zip=zip_path, clip=str(scene_clip), size=list(SIZE), cli=f"{sys.executable} -m t2vz_edit",
                  render_folder=str(work / "renders"), png_dir=str(work / "png"), results=str(work / "results.json"),
                  cases=_cases(tiny_models["instruct"]))
    (work / "png").mkdir()
    (work / "config.json").write_text(json.dumps(config))
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(work / "blender-user")}  # never the real ~/.config
    proc = subprocess.run([str(python), str(Path(__file__).with_name("blender_scenario.py")), str(work / "config.json")],
                          capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads((work / "results.json").read_text())
    assert results["blender"].startswith(version), results["blender"]
    return {case["name"]: case for case in results["cases"]} | {"version": version, "zip": zip_path,
                                                                  "audaspace": results["audaspace"]}


def _frames(path: str) -> np.ndarray:
    with av.open(path) as container:
        return np.stack([f.to_ndarray(format="rgb24").astype(np.float32) for f in container.decode(video=0)])


def _shown_frame(png: str, frames: np.ndarray) -> tuple[int, float]:
    """Index of the decoded frame that Blender's render at that timeline frame shows, and its mean error."""
    picture = np.asarray(Image.open(png).convert("RGB").resize(frames.shape[2:0:-1]), dtype=np.float32)
    errors = np.abs(frames - picture).mean(axis=(1, 2, 3))
    return int(errors.argmin()), float(errors.min())


def _assert_source_untouched(case: dict, clip: Path) -> None:
    source = case["source"]
    assert (source["channel"], source["frame_final_start"], source["frame_final_duration"]) == (2, 17, 12)
    assert Path(source["filepath"]).resolve() == clip.resolve()


def _assert_placed(case: dict, frame_start: int, head: int, name: str) -> dict:
    assert case.get("error") is None
    (added,) = case["added"]  # one new strip: the render (no sound strip added)
    assert added["type"] == "MOVIE" and added["name"] == name
    assert added["channel"] == EXPECTED_CHANNEL
    assert (added["frame_start"], added["frame_offset_start"], added["frame_final_duration"]) == (frame_start, head, 12)
    assert added["frame_final_start"] == 17  # the source strip's first visible frame
    return added


def test_operator_places_render_on_first_free_channel_with_same_frames(blender_run, scene_clip):
    case = blender_run["operator_trim"]
    assert case["operator"] == ["FINISHED"]
    added = _assert_placed(case, frame_start=17, head=0, name="trim")
    _assert_source_untouched(case, scene_clip)
    render = _frames(added["filepath"])
    assert len(render) == 12 and Path(added["filepath"]).name == "A001_shot.trim.f7-19.mov"
    assert _shown_frame(case["pngs"]["first_render"], render)[0] == 0  # its first frame is the render's first
    assert _shown_frame(case["pngs"]["last_render"], render)[0] == 11
    source = _frames(str(scene_clip))
    assert _shown_frame(case["pngs"]["first_source"], source)[0] == 7  # the same source frame sat there


def test_steps_with_handles_trim_them_back_off(blender_run, scene_clip):
    case = blender_run["steps_trim_handles"]
    assert case["state"] == "FINISHED" and case["progress"], case
    added = _assert_placed(case, frame_start=13, head=4, name="trim")
    render = _frames(added["filepath"])
    assert len(render) == 20 and case["rendered"] == [3, 23, 4, 4]
    assert Path(added["filepath"]).name == "A001_shot.trim.f3-23.mov"
    assert _shown_frame(case["pngs"]["first_render"], render)[0] == 4
    assert _shown_frame(case["pngs"]["last_render"], render)[0] == 15
    source = _frames(str(scene_clip))
    assert _shown_frame(case["pngs"]["first_source"], source)[0] == 7
    assert _shown_frame(case["pngs"]["last_source"], source)[0] == 18


def test_tiny_model_restyle_is_placed_like_the_source(blender_run, scene_clip):
    case = blender_run["steps_tiny"]
    assert case["state"] == "FINISHED", case
    assert any(text.startswith("denoise") for text in case["progress"]), case["progress"]
    added = _assert_placed(case, frame_start=15, head=2, name="instruction")
    assert Path(added["filepath"] + ".json").exists()  # the sidecar that reproduces it
    render = _frames(added["filepath"])
    assert len(render) == 16 and case["rendered"] == [5, 21, 2, 2]
    assert _shown_frame(case["pngs"]["first_render"], render)[0] == 2


def test_esc_mid_render_leaves_nothing(blender_run):
    case = blender_run["cancel_tiny"]
    assert case["state"] == "CANCELLED" and case["progress"][0].startswith("denoise"), case
    assert case["modal"] == ["CANCELLED"] and case["running_after"] is False  # the operator's own Esc branch
    assert case["reports"] == [["WARNING", "t2vz-edit: cancelled; nothing was written"]]
    assert case["exit_code"] == 130  # the CLI stopped mid-render (Cancelled), it did not finish
    assert case["added"] == [] and case["output_exists"] is False
    assert case["rendered"] == [7, 19, 0, 0]
    leftovers = [name for name in case["render_folder_files"] if "partial" in name or name.startswith(".")
                 or name.startswith("A001_shot.instruction.f7-19")]
    assert leftovers == [] and case["render_folder_files"] == case["render_folder_before"]


def test_wheel_audio_is_as_recorded(blender_run):
    """Which wheels lack Audaspace is a fact of each wheel: recorded here, so a wheel that gains it (or a new
    version that lacks it) fails this test rather than silently dropping or skipping the sound-strip checks."""
    version = blender_run["version"]
    expected = version not in WHEELS_WITHOUT_AUDASPACE
    assert blender_run["audaspace"] is expected, (
        f"bpy {version}: build_options.audaspace={blender_run['audaspace']}; update WHEELS_WITHOUT_AUDASPACE")
    assert (version in AUDIO_VERSIONS) is expected  # the collection-time answer is the scenario's
    sound = blender_run["operator_trim"]["sound"]["before"]
    if expected:
        assert sound["type"] == "SOUND", sound
    else:  # new_sound refuses every file in such a wheel
        assert "without Audaspace" in sound["unavailable"] and "audaspace=False" in sound["unavailable"], sound


@for_versions(AUDIO_VERSIONS)
@pytest.mark.parametrize("case_name", ["operator_trim", "steps_trim_handles", "steps_tiny", "cancel_tiny",
                                       "cancel_button_trim", "refused_trim"])
def test_sound_strip_is_left_alone(blender_run, scene_clip, case_name):
    sound = blender_run[case_name]["sound"]
    before = sound["before"]
    assert (before["type"], before["channel"], before["frame_final_start"], before["frame_final_duration"]) == (
        "SOUND", 1, 17, 12)  # cut like the movie strip
    assert before["samplerate"] == 48000 and Path(before["filepath"]).resolve() == scene_clip.resolve()
    assert sound["after"] == before  # channel, frame_start, offsets, durations, volume, mute: all unchanged


def test_panel_cancel_button_stops_the_job_and_adds_nothing(blender_run):
    case = blender_run["cancel_button_trim"]
    assert case["cancel_op"] == ["FINISHED"] and case["modal"] == ["CANCELLED"] and case["running_after"] is False
    assert case["added"] == [] and case["output_exists"] is False
    assert case["render_folder_files"] == case["render_folder_before"]  # no file added, partial or whole
    assert Path(case["output"]).name == "A001_shot.trim.f7-19_v2.mov"  # operator_trim holds the plain name


def test_refused_placement_keeps_the_render_and_names_it(blender_run, scene_clip):
    """Every channel above the source locked: nowhere to place. The finished render stays on disk and the error
    names it (the same words as Resolve's: t2vz_action.kept_render_message); nothing is added."""
    case = blender_run["refused_trim"]
    assert case["state"] == "FAILED" and case["added"] == [], case
    assert Path(case["output"]).name == "A001_shot.trim.f6-20.mov"
    assert case["output_exists"] is True and len(_frames(case["output"])) == 14  # 12 used + 1 handle each side
    assert case["error"].startswith("no free unlocked channel above channel 2"), case["error"]
    assert case["error"].endswith(f"; the render is kept at {case['output']} (place it by hand)"), case["error"]
    _assert_source_untouched(case, scene_clip)
