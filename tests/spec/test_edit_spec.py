from __future__ import annotations

import json
from dataclasses import replace

import pytest

from t2vz_edit.spec.edit_spec import SCHEMA, ControlSpec, EditSpec, LoraSpec, field_help
from t2vz_edit.spec.errors import UsageError


def test_round_trip_through_json():
    spec = EditSpec(mode="controlnet", prompt="a knight", controls=(ControlSpec("pose", scale=0.8), ControlSpec("depth")),
                    seed=7, motion=(1.0, -0.5))
    again = EditSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec


# The whole serialized form: a change here changes what old sidecars and batch journals mean.
# Bump SCHEMA (and teach from_dict to read the old one) rather than editing this literal.
INSTRUCT_SNOWY = {
    "schema": "EditSpec.2", "mode": "instruct", "prompt": "", "instruction": "make it snowy", "negative_prompt": "",
    "model": "", "controls": [], "loras": [], "scheduler": "", "steps": 0, "guidance_scale": 0.0,
    "image_guidance_scale": 1.5, "seed": 0, "noise": "", "size": 512, "frames": 8, "chunk_size": 8,
    "cross_frame": "anchor", "motion": [1.0, 1.0], "motion_strength": 12.0, "motion_dynamics": False,
    "t0": 0.88, "t1": 0.94, "warp": "spectral", "warp_padding": "wrap", "smooth_background": False,
    "mask_provider": "motion", "smooth_strength": 0.4, "smooth_step": 0.94, "mask_dilation": 5, "draft": False,
    "draft_lora": "", "draft_vae": "", "draft_scheduler": "lcm", "draft_steps": 4, "draft_guidance": 1.0,
    "dtype": "auto", "device": "auto",
}


def test_serialized_form_is_versioned_and_tested_whole():
    spec = EditSpec(mode="instruct", instruction="make it snowy")
    assert SCHEMA == "EditSpec.2"
    assert json.loads(json.dumps(spec.to_dict())) == INSTRUCT_SNOWY
    assert list(spec.to_dict()) == list(INSTRUCT_SNOWY)  # key order is part of the form sidecars show
    controls = EditSpec(mode="controlnet", prompt="a knight", controls=(ControlSpec("canny", params=(("low", 50),)),),
                        loras=(LoraSpec("ink.safetensors", 0.7),)).to_dict()
    assert controls["controls"] == [{"kind": "canny", "model": "", "scale": 1.0, "params": {"low": 50}}]
    assert controls["loras"] == [{"path": "ink.safetensors", "scale": 0.7}]


def test_an_unknown_version_is_refused_with_what_this_version_reads():
    with pytest.raises(UsageError) as err:
        EditSpec.from_dict({**INSTRUCT_SNOWY, "schema": "EditSpec.3"}, source="render.mp4.json")
    assert str(err.value) == ("render.mp4.json: schema 'EditSpec.3' is not supported; this version reads "
                              "EditSpec.1, EditSpec.2")


def test_version_1_sidecars_read_as_full_quality_renders():
    v1 = {k: v for k, v in INSTRUCT_SNOWY.items() if not k.startswith("draft")} | {"schema": "EditSpec.1"}
    spec = EditSpec.from_dict(v1)
    assert spec == EditSpec(mode="instruct", instruction="make it snowy") and not spec.draft


def test_an_edit_spec_1_sidecar_keeps_its_meaning():
    """v1 had no motion_dynamics (shared noise in controlnet mode turned them on) and warped bilinear."""
    v1 = {k: v for k, v in INSTRUCT_SNOWY.items()
          if k not in ("motion_dynamics", "warp", "warp_padding") and not k.startswith("draft")}
    old = EditSpec.from_dict({**v1, "schema": "EditSpec.1"})
    assert (old.warp, old.warp_padding, old.motion_dynamics) == ("bilinear", "border", False)
    restyle = dict(v1, schema="EditSpec.1", mode="controlnet", instruction="", prompt="p", noise="shared",
                   controls=[{"kind": "canny"}], scheduler="ddim")
    assert EditSpec.from_dict(restyle).uses_motion_dynamics
    assert not EditSpec.from_dict({**restyle, "noise": ""}).uses_motion_dynamics


@pytest.mark.parametrize("kw, needle", [
    (dict(mode="instruct"), "instruction"),
    (dict(mode="instruct", instruction="x", controls=(ControlSpec("canny"),)), "controls"),
    (dict(mode="controlnet", prompt="x"), "control"),
    (dict(mode="text2video", prompt="x", size=500), "multiple of 8"),
    (dict(mode="text2video", prompt="x", t0=0.9, t1=0.8), "t0 < t1"),
    (dict(mode="warp", prompt="x"), "mode"),
])
def test_an_invalid_spec_cannot_be_made(kw, needle):
    with pytest.raises(UsageError) as err:
        EditSpec(**kw)
    assert needle in str(err.value)
    assert "\n" not in str(err.value)
    with pytest.raises(UsageError):
        EditSpec.from_dict(kw)


def test_every_way_of_making_a_spec_checks_it():
    spec = EditSpec(mode="instruct", instruction="x")
    with pytest.raises(UsageError, match="steps"):
        spec.with_overrides(steps=-1)
    with pytest.raises(UsageError, match="size"):
        replace(spec, size=500)
    with pytest.raises(UsageError, match="instruction"):
        EditSpec.from_dict({"mode": "instruct"})


@pytest.mark.parametrize("kw, needle", [
    (dict(mode="text2video", prompt="x", scheduler="euler_a"), "--scheduler ddim"),
    (dict(mode="controlnet", prompt="x", controls=(ControlSpec("canny"),), motion_dynamics=True,
          scheduler="unipc"), "--scheduler ddim"),
    (dict(mode="text2video", prompt="x", steps=1), "--steps"),  # no step to warp after
    (dict(mode="text2video", prompt="x", t0=0.95, t1=0.9), "t0 < t1"),
])
def test_rules_that_depend_only_on_the_spec_live_in_the_spec(kw, needle):
    with pytest.raises(UsageError, match=needle.replace("-", "\\-")):
        EditSpec(**kw)


def test_unknown_keys_and_wrong_types_are_refused():
    with pytest.raises(UsageError, match="unknown setting.*stepz"):
        EditSpec.from_dict({"stepz": 3}, source="preset x.toml")
    with pytest.raises(UsageError, match="steps must be a whole number"):
        EditSpec.from_dict({"steps": 2.5})
    with pytest.raises(UsageError, match="schema"):
        EditSpec.from_dict({"schema": "EditSpec.99"})


def test_guidance_groups_follow_mode_and_guidance():
    assert EditSpec(mode="instruct", instruction="x").guidance_groups == 3
    assert EditSpec(mode="text2video", prompt="x").guidance_groups == 2
    assert EditSpec(mode="text2video", prompt="x", guidance_scale=1.0).guidance_groups == 1


def test_help_text_is_described_once():
    assert "denoising steps" in field_help("steps")
