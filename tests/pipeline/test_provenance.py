"""The sidecar is assembled once, records what reproduces a render elsewhere, and is written once."""
from __future__ import annotations

import hashlib
from fractions import Fraction

import av

from t2vz_edit.media import sidecar as sidecar_module
from t2vz_edit.media.sidecar import read_sidecar
from t2vz_edit.pipeline.render_job import RenderRequest
from t2vz_edit.pipeline.renderers import RestyleRenderer
from t2vz_edit.pipeline.restyle import restyle
from t2vz_edit.spec.edit_spec import EditSpec


def test_sidecar_records_models_libraries_and_working_size(clip, tiny_models, tmp_path):
    result = restyle(clip, instruction="make it snowy", model=str(tiny_models["instruct"]), frame_range="0+3",
                     steps=2, size=64, output=tmp_path / "a.mov")
    prov = read_sidecar(result.output)["provenance"]
    assert prov["working_size"] == [64, 40]  # the 96x64 clip at --size 64 in multiples of 8, as the engine ran it
    assert prov["models"]["base"] == str(tiny_models["instruct"])
    base = prov["model_files"]["base"]
    weights = sorted(tiny_models["instruct"].rglob("*.safetensors"))
    assert base["resolved"] == str(tiny_models["instruct"])
    first = str(weights[0].relative_to(tiny_models["instruct"]))
    assert base["sha256"][first] == hashlib.sha256(weights[0].read_bytes()).hexdigest()
    assert prov["libraries"]["av"] == av.__version__ and prov["libraries"]["ffmpeg"]
    assert {"torch", "diffusers", "transformers"} <= set(prov["libraries"])


def test_a_timeline_render_writes_its_sidecar_once_with_the_request_keys(clip, tiny_models, tmp_path, monkeypatch):
    writes = []
    real = sidecar_module.write_sidecar
    monkeypatch.setattr("t2vz_edit.media.encode.write_sidecar", lambda *a, **k: writes.append(a) or real(*a, **k))
    monkeypatch.setattr(sidecar_module, "write_sidecar", lambda *a, **k: writes.append(a) or real(*a, **k))
    spec = EditSpec(mode="instruct", instruction="make it snowy", model=str(tiny_models["instruct"]), steps=2, size=64)
    request = RenderRequest(media_path=clip, start_frame=1, stop_frame=4, rate=Fraction(24000, 1001), spec=spec,
                            instruction="make it snowy", out_path=tmp_path / "r.mov", clip_name="shot",
                            render_key="abc", provenance={"t2vz_edit": {"render_key": "abc"}})
    RestyleRenderer()(request)
    assert len(writes) == 1
    prov = read_sidecar(tmp_path / "r.mov")["provenance"]
    assert prov["t2vz_edit"] == {"render_key": "abc"} and prov["spec"]["instruction"] == "make it snowy"
    assert prov["model_files"]["base"]["resolved"] == str(tiny_models["instruct"])


def test_sidecar_and_result_record_the_compute_dtype_and_why(clip, tiny_models, tmp_path):
    result = restyle(clip, instruction="make it snowy", model=str(tiny_models["instruct"]), frame_range="0+2",
                     steps=2, size=64, output=tmp_path / "d.mov", score=False)
    compute = read_sidecar(result.output)["provenance"]["compute"]
    assert compute == result.compute
    assert compute["device"] == "cpu" and compute["dtype"] == "float32" and compute["choice"].startswith("auto:")


def test_relative_model_and_lora_paths_are_recorded_absolute_and_reproduce_from_another_folder(
        clip, tiny_models, tmp_path, monkeypatch):
    """Issue 16 item 13: ``--model instruct --lora styles/ink.safetensors`` typed in one folder; the
    sidecar is replayed from another (before: the relative paths were recorded and failed there)."""
    import os

    from t2vz_edit.engine.tiny import save_tiny_lora
    from t2vz_edit.pipeline.restyle import restyle_from_sidecar

    home = tiny_models["instruct"].parent
    lora = save_tiny_lora(tmp_path / "styles" / "ink.safetensors", "instruct", seed=5)
    monkeypatch.chdir(home)
    result = restyle(clip, instruction="x", model="instruct", loras=[{"path": os.path.relpath(lora, home),
                                                                      "scale": 0.5}],
                     frame_range="0+3", steps=2, size=64, output=tmp_path / "a.mov", score=False)
    spec = read_sidecar(result.output)["provenance"]["spec"]
    assert spec["model"] == str(tiny_models["instruct"].resolve())
    assert spec["loras"] == [{"path": str(lora.resolve()), "scale": 0.5}]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    again = restyle_from_sidecar(f"{result.output}.json", output=tmp_path / "b.mov", score=False)
    assert again.frame_count == 3
    with av.open(str(result.output)) as a, av.open(str(again.output)) as b:
        first = [f.to_ndarray(format="rgb24") for f in a.decode(video=0)]
        second = [f.to_ndarray(format="rgb24") for f in b.decode(video=0)]
    assert all((x == y).all() for x, y in zip(first, second, strict=True))
