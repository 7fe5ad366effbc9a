from __future__ import annotations

import json

import pytest

from t2vz_edit.spec.edit_spec import SCHEMA, ControlSpec, EditSpec, field_help
from t2vz_edit.spec.errors import UsageError


def test_round_trip_through_json():
    spec = EditSpec(mode="controlnet", prompt="a knight", controls=(ControlSpec("pose", scale=0.8), ControlSpec("depth")),
                    seed=7, motion=(1.0, -0.5)).validated()
    again = EditSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec


def test_serialized_form_is_versioned_and_stable():
    # Changing a field name or default changes what old sidecars mean: bump SCHEMA then.
    d = EditSpec().to_dict()
    assert d["schema"] == SCHEMA == "EditSpec.1"
    assert list(d)[:6] == ["schema", "mode", "prompt", "instruction", "negative_prompt", "model"]
    assert len(d) == 31


@pytest.mark.parametrize("kw, needle", [
    (dict(mode="instruct"), "instruction"),
    (dict(mode="instruct", instruction="x", controls=(ControlSpec("canny"),)), "controls"),
    (dict(mode="controlnet", prompt="x"), "control"),
    (dict(mode="controlnet", prompt="x", controls=(ControlSpec("scribble"),)), "scribble"),
    (dict(mode="text2video", prompt="x", size=500), "multiple of 8"),
    (dict(mode="text2video", prompt="x", t0=0.9, t1=0.8), "t0 < t1"),
    (dict(mode="warp", prompt="x"), "mode"),
])
def test_invalid_specs_name_the_setting(kw, needle):
    with pytest.raises(UsageError) as err:
        EditSpec(**kw).validated()
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


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
