"""Issue 16 item 9: `restyle --from-sidecar` checks a sidecar like the CLI checks its options.

Every hostile sidecar names a real tiny model and a real clip, so a case that slipped through
would start rendering instead of failing with one line up front. The cases that used to eat
memory or time run through the real CLI under an address-space limit; the rest go through the
same function in-process (starting torch 20 times would cost minutes on the CI's 2 cores).
"""
from __future__ import annotations

import copy
import json
import resource
import subprocess
import sys

import pytest

from t2vz_edit.media.sidecar import SCHEMA
from t2vz_edit.media.synth import make_clip
from t2vz_edit.spec.edit_spec import EditSpec

MEMORY_LIMIT = 5 * 2**30  # bytes of address space; importing torch and diffusers maps ~3.5 GiB of it


def _limited():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@pytest.fixture(scope="module")
def good(tmp_path_factory, tiny_models):
    folder = tmp_path_factory.mktemp("hostile")
    clip = make_clip(folder / "c.mp4", frames=4, width=64, height=48)
    spec = EditSpec(mode="instruct", instruction="x", model=str(tiny_models["instruct"]), steps=1, size=64)
    return {"schema": SCHEMA, "render": "c.x.mp4", "codec": "h264", "frame_count": 4,
            "provenance": {"source": str(clip), "crf": 18, "preset": None, "job": "restyle",
                           "range": {"start_frame": 0, "stop_frame": 4}, "spec": spec.to_dict()}}


def _set(path: str, value):
    def change(data):
        keys = path.split(".")
        target = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
        return data
    return change


def _drop(path: str):
    def change(data):
        keys = path.split(".")
        target = data
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]
        return data
    return change


CASES = {
    "stop_frame 1e9": (_set("provenance.range.stop_frame", 10**9), "outside"),
    "stop past the clip": (_set("provenance.range.stop_frame", 400), "has 4 frames"),
    "mask_dilation 1e9": (lambda d: _set("provenance.spec.smooth_background", True)(
        _set("provenance.spec.mask_dilation", 10**9 + 1)(d)), "mask_dilation"),
    "crf 1000": (_set("provenance.crf", 1000), "crf"),
    "crf -5": (_set("provenance.crf", -5), "crf"),
    "negative range": (_set("provenance.range.start_frame", -3), "start_frame"),
    "reversed range": (_set("provenance.range", {"start_frame": 3, "stop_frame": 1}), "reversed"),
    "unknown schema": (_set("schema", "t2vz.sidecar.99"), "t2vz.sidecar.99"),
    "an array": (lambda d: [d], "JSON list"),
    "a string": (lambda d: "render", "JSON str"),
    "no provenance": (_drop("provenance"), "has no provenance"),
    "no range": (_drop("provenance.range"), "provenance.range"),
    "range as text": (_set("provenance.range", "0-4"), "provenance.range must be an object"),
    "frame as text": (_set("provenance.range.stop_frame", "4"), "stop_frame"),
    "source a number": (_set("provenance.source", 7), "provenance.source"),
    "codec unknown": (_set("codec", "gif"), "codec"),
    "spec a list": (_set("provenance.spec", []), "provenance.spec"),
    "controls a string": (_set("provenance.spec.controls", "canny"), "spec.controls"),
    "lora with junk keys": (_set("provenance.spec.loras", [{"path": "x", "weight": 1, "evil": 2}]), "malformed"),
    "motion not numbers": (_set("provenance.spec.motion", [1, "x"]), "motion"),
    "motion infinite": (_set("provenance.spec.motion", [1, 1e400]), "Infinity"),
    "steps a string": (_set("provenance.spec.steps", "many"), "steps"),
}


IN_THE_CLI = ("stop_frame 1e9", "mask_dilation 1e9", "crf -5", "unknown schema", "an array")


def _write(good, tmp_path, name):
    change, expected = CASES[name]
    sidecar = tmp_path / "c.x.mp4.json"
    sidecar.write_text(json.dumps(change(copy.deepcopy(good))))
    return sidecar, expected


@pytest.mark.parametrize("name", IN_THE_CLI)
def test_hostile_sidecar_in_the_cli_one_line_bounded_memory(good, tmp_path, name):
    sidecar, expected = _write(good, tmp_path, name)
    result = subprocess.run([sys.executable, "-m", "t2vz_edit", "restyle", "--from-sidecar", sidecar,
                             "--progress", "none"], capture_output=True, text=True, timeout=240,
                            preexec_fn=_limited, cwd=tmp_path)
    err = result.stderr.strip()
    assert result.returncode == 2, err
    assert len(err.splitlines()) == 1 and not err.startswith("error: unexpected") and expected in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.x.mp4.json"]


@pytest.mark.parametrize("name", [n for n in CASES if n not in IN_THE_CLI])
def test_hostile_sidecar_one_line_up_front(good, tmp_path, name):
    from t2vz_edit.pipeline.restyle import restyle_from_sidecar
    from t2vz_edit.spec.errors import UsageError

    sidecar, expected = _write(good, tmp_path, name)
    with pytest.raises(UsageError) as info:
        restyle_from_sidecar(sidecar)
    assert "\n" not in str(info.value) and expected in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.x.mp4.json"]


@pytest.mark.parametrize("blob, expected", [
    ("[" * 100_000 + "]" * 100_000, "not readable JSON"),          # nesting bomb
    ('{"schema": "t2vz.sidecar.1", "x": NaN}', "not readable JSON"),
    ("{" + '"k": 1, ' * 10 + '"big": ' + "9" * 5000 + "}", "not readable JSON"),   # int past Python's digit limit
])
def test_malformed_json_gives_one_line(tmp_path, blob, expected):
    from t2vz_edit.media.sidecar import read_sidecar
    from t2vz_edit.spec.errors import T2VZError

    path = tmp_path / "x.mp4.json"
    path.write_text(blob)
    with pytest.raises(T2VZError, match=expected) as info:
        read_sidecar(path)
    assert "\n" not in str(info.value)


def test_oversized_sidecar_is_refused_without_reading_it_all(tmp_path):
    from t2vz_edit.media.sidecar import MAX_BYTES, read_sidecar
    from t2vz_edit.spec.errors import UsageError

    path = tmp_path / "x.mp4.json"
    with open(path, "wb") as handle:
        handle.truncate(MAX_BYTES * 64)  # 1 GiB, sparse
    with pytest.raises(UsageError, match="is over 16 MiB"):
        read_sidecar(path)
