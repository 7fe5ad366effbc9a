"""Engine fixtures: tiny random models built once per session, synthetic clips, fixed noise."""
from __future__ import annotations

import pytest
import torch

from t2vz_edit.engine.parts import EngineParts
from t2vz_edit.engine.tiny import build_controlnet, build_tiny


@pytest.fixture(scope="session")
def sd_components():
    return build_tiny("sd", seed=0)


@pytest.fixture(scope="session")
def sd_parts(sd_components):
    nets = {"canny": build_controlnet(seed=1), "depth": build_controlnet(seed=2)}
    return EngineParts.from_components(sd_components, controlnets=nets)


@pytest.fixture(scope="session")
def instruct_parts():
    return EngineParts.from_components(build_tiny("instruct", seed=3))
