"""The sidecar's whole serialized form, checked against a JSON schema on real renders, and a
render reproduced bit for bit from its sidecar after both were moved to another folder."""
from __future__ import annotations

import copy
import json
import shutil
from importlib import resources

import jsonschema
import numpy as np
import pytest

from t2vz_edit.cli.app import main
from t2vz_edit.media.decode import iter_chunks
from t2vz_edit.media.probe import probe
from t2vz_edit.media.ranges import FrameRange


def _schema() -> dict:
    return json.loads(resources.files("t2vz_edit.spec").joinpath("sidecar.schema.json").read_text())


def _cli(*args) -> None:
    with pytest.raises(SystemExit) as exited:
        main([str(a) for a in args])
    assert (exited.value.code or 0) == 0, args


def _frames(path) -> np.ndarray:
    info = probe(path)
    return np.concatenate([c.frames for c in iter_chunks(info, FrameRange(0, info.frame_count))])


@pytest.fixture(scope="module")
def sidecars(tmp_path_factory, source_clip, tiny_models) -> dict[str, dict]:
    """Real sidecars of every kind of render: restyle (and its preview), generate, trim, conditions maps,
    batch (restyle and trim renderers), timeline."""
    root = tmp_path_factory.mktemp("sidecars")
    ip2p = tiny_models["instruct"]
    _cli("restyle", source_clip, "-i", "make it snowy", "--model", ip2p, "--steps", "1", "--size", "64",
         "--range", "0+3", "-o", root / "restyle.mov", "--preview", "--progress", "none")
    _cli("conditions", source_clip, "-k", "canny", "--range", "0+3", "--size", "64", "-o", root / "maps.mp4",
         "--progress", "none")
    _cli("restyle", source_clip, "-p", "a bronze statue", "--model", tiny_models["sd"], "--steps", "2",
         "--size", "64", "--range", "0+3", "-o", root / "controlnet.mov", "--progress", "none",
         "--preset", _controlnet_preset(root, tiny_models["controlnet"]))
    _cli("generate", "a horse", "--tiny", "--steps", "2", "--size", "64", "--frames", "3", "-o", root / "generate.mp4",
         "--progress", "none")
    _cli("trim", source_clip, "--range", "1+3", "-o", root / "trim.mov", "--progress", "none")
    (root / "footage").mkdir()
    shutil.copy(source_clip, root / "footage" / "shot.mov")
    (root / "batch.toml").write_text(f'version = 1\nroot = "footage"\noutput = "out"\n[defaults]\n'
                                     f'instruction = "make it snowy"\nsteps = 1\nsize = 64\nmodel = "{ip2p}"\n'
                                     '[[job]]\nglob = "*.mov"\nrange = "0+3"\n')
    _timeline(root / "in.otio", source_clip)
    _cli("timeline", "restyle", root / "in.otio", "-o", root / "out.otio", "--marker", "--handles", "0", "--model", ip2p,
         "--steps", "1", "--size", "64", "--progress", "none")
    (render,) = (root / "renders").rglob("*.mov.json")
    found = {"timeline": json.loads(render.read_text())}
    (preview,) = [p for p in root.glob("restyle*.json") if p.name != "restyle.mov.json"]
    found["preview"] = json.loads(preview.read_text())
    found["conditions"] = json.loads((root / "maps.mp4.json").read_text())
    found |= {name: json.loads((root / f"{name}{ext}.json").read_text())
             for name, ext in (("restyle", ".mov"), ("controlnet", ".mov"), ("generate", ".mp4"), ("trim", ".mov"))}
    for renderer in ("restyle", "trim"):
        _cli("batch", "run", root / "batch.toml", "--renderer", renderer, "--output", root / f"batch-{renderer}",
             "--progress", "none")
        (render,) = [p for p in (root / f"batch-{renderer}").glob("*.json")]
        found[f"batch-{renderer}"] = json.loads(render.read_text())
    return found


def _timeline(path, media) -> None:
    """One clip (source frames 1..3 of ``media``) with a marker that asks for a restyle."""
    import opentimelineio as otio

    rt, tr, rate = otio.opentime.RationalTime, otio.opentime.TimeRange, 24000 / 1001
    ref = otio.schema.ExternalReference(target_url=media.as_uri(), available_range=tr(rt(0, rate), rt(8, rate)))
    clip = otio.schema.Clip(name="shot", media_reference=ref, source_range=tr(rt(1, rate), rt(3, rate)))
    clip.markers.append(otio.schema.Marker(name="restyle: make it snowy", marked_range=tr(rt(2, rate), rt(0, rate))))
    track = otio.schema.Track("V1", kind=otio.schema.TrackKind.Video)
    track.append(clip)
    timeline = otio.schema.Timeline("sidecar test")
    timeline.tracks.append(track)
    otio.adapters.write_to_file(timeline, str(path))


def _controlnet_preset(root, controlnet) -> str:
    path = root / "cn.toml"
    path.write_text(f'mode = "controlnet"\nprompt = "x"\n[[controls]]\nkind = "canny"\nmodel = "{controlnet}"\n'
                    '[preset]\ndescription = "test"\n')
    return str(path)


KINDS = ("restyle", "controlnet", "generate", "trim", "batch-restyle", "batch-trim", "timeline", "preview", "conditions")


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_render_writes_a_sidecar_of_the_schema(sidecars, kind):
    jsonschema.Draft202012Validator.check_schema(_schema())
    jsonschema.validate(sidecars[kind], _schema(), cls=jsonschema.Draft202012Validator)


def test_a_timeline_render_records_its_spec_once(sidecars):
    prov = sidecars["timeline"]["provenance"]
    assert prov["spec"]["instruction"] == "make it snowy" and "spec" not in prov["t2vz_edit"]
    assert prov["t2vz_edit"]["clip"] == "shot" and prov["range"]["stop_frame"] - prov["range"]["start_frame"] == 3


def test_the_schema_names_every_key_so_a_change_of_the_form_fails(sidecars):
    validator = jsonschema.Draft202012Validator(_schema())
    changes = {
        "a new top-level key": lambda d: d.update(note="x"),
        "a spec setting renamed": lambda d: d["provenance"]["spec"].update(cfg=d["provenance"]["spec"].pop("guidance_scale")),
        "the compute record gone": lambda d: d["provenance"].pop("compute"),
        "another sidecar version": lambda d: d.update(schema="t2vz.sidecar.2"),
        "another spec version": lambda d: d["provenance"]["spec"].update(schema="EditSpec.3"),
    }
    for what, change in changes.items():
        changed = copy.deepcopy(sidecars["restyle"])
        change(changed)
        assert not validator.is_valid(changed), what


def test_a_render_moved_elsewhere_reproduces_bit_for_bit_from_its_sidecar(source_clip, tiny_models, tmp_path,
                                                                          monkeypatch):
    made, moved = tmp_path / "made", tmp_path / "elsewhere" / "deeper"
    made.mkdir()
    moved.mkdir(parents=True)
    shutil.copy(source_clip, made / "shot.mov")
    monkeypatch.chdir(made)  # relative paths on the command line, as a user types them
    _cli("restyle", "shot.mov", "-i", "make it snowy", "--model", tiny_models["instruct"], "--steps", "2",
         "--size", "64", "--range", "1+4", "--seed", "7", "-o", "r.mov", "--progress", "none")
    shutil.copy(made / "r.mov", moved / "r.mov")
    shutil.copy(made / "r.mov.json", moved / "r.mov.json")
    monkeypatch.chdir(moved)
    _cli("restyle", "--from-sidecar", "r.mov.json", "-o", "again.mov", "--progress", "none")
    original, again = _frames(made / "r.mov"), _frames(moved / "again.mov")
    assert original.shape == (4, 64, 96, 3) and np.array_equal(original, again)
    first, second = (json.loads(p.read_text())["provenance"] for p in (made / "r.mov.json", moved / "again.mov.json"))
    assert second["spec"] == first["spec"] and second["range"] == first["range"]
