"""Random-weight annotator files in the real on-disk formats, for tests and offline demos.

The controlnet-aux networks have fixed shapes, so their random weights are full size
(OpenPose body ~52 M parameters, ~200 MB): build them once per test session. Depth uses a tiny
Depth Anything (Dinov2 backbone, hidden size 32) saved with ``save_pretrained`` exactly like
``depth-anything/Depth-Anything-V2-Small-hf``. Maps made with these weights are meaningless
pictures; they exercise the real loading and inference code.

>>> import tempfile, pathlib
>>> folder = write_pidinet(pathlib.Path(tempfile.mkdtemp()))
>>> (folder / "table5_pidinet.pth").is_file()
True
"""
from __future__ import annotations

from pathlib import Path

from t2vz_edit.conditions.depth import DEFAULT_DEPTH_MODEL
from t2vz_edit.conditions.weights import ANNOTATORS_REPO


def _seeded(seed: int):
    import torch

    torch.manual_seed(seed)
    return torch


def write_openpose(folder: Path, *, hands: bool = False, face: bool = False, seed: int = 0) -> Path:
    """``body_pose_model.pth`` (+ hand, face) as the original checkpoints store them."""
    from controlnet_aux.open_pose.face import FaceNet
    from controlnet_aux.open_pose.model import bodypose_model, handpose_model

    torch = _seeded(seed)
    folder.mkdir(parents=True, exist_ok=True)
    nets = [("body_pose_model.pth", bodypose_model)] + ([("hand_pose_model.pth", handpose_model)] if hands else [])
    for name, build in nets:
        # the original files lack the first name segment ("model0."), which controlnet-aux's transfer() adds back
        state = {k.split(".", 1)[1]: v for k, v in build().state_dict().items()}
        torch.save(state, folder / name)
    if face:
        torch.save(FaceNet().state_dict(), folder / "facenet.pth")
    return folder


def write_hed(folder: Path, *, seed: int = 0) -> Path:
    from controlnet_aux.hed import ControlNetHED_Apache2

    torch = _seeded(seed)
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(ControlNetHED_Apache2().state_dict(), folder / "ControlNetHED.pth")
    return folder


def write_pidinet(folder: Path, *, seed: int = 0) -> Path:
    """``table5_pidinet.pth``: a ``{"state_dict": ...}`` with DataParallel ``module.`` prefixes."""
    from controlnet_aux.pidi.model import pidinet

    torch = _seeded(seed)
    folder.mkdir(parents=True, exist_ok=True)
    state = {f"module.{k}": v for k, v in pidinet().state_dict().items()}
    torch.save({"state_dict": state}, folder / "table5_pidinet.pth")
    return folder


def write_depth_anything(folder: Path, *, seed: int = 0, input_px: int = 56) -> Path:
    """A ~130 k-parameter Depth Anything (+ its DPT image processor at ``input_px``) folder."""
    from transformers import DepthAnythingConfig, DepthAnythingForDepthEstimation, Dinov2Config, DPTImageProcessor

    _seeded(seed)
    backbone = Dinov2Config(hidden_size=32, num_hidden_layers=4, num_attention_heads=2, image_size=input_px,
                            patch_size=14, out_indices=[1, 2, 3, 4], apply_layernorm=True, reshape_hidden_states=False)
    config = DepthAnythingConfig(backbone_config=backbone, reassemble_hidden_size=32, patch_size=14,
                                 neck_hidden_sizes=[8, 16, 32, 64], fusion_hidden_size=16, head_hidden_size=8)
    model = DepthAnythingForDepthEstimation(config).eval()
    _lively(model)
    model.save_pretrained(folder, safe_serialization=True)
    # same processor settings as the released Depth-Anything-V2 checkpoints, smaller input
    DPTImageProcessor(do_resize=True, size={"height": input_px, "width": input_px}, keep_aspect_ratio=True,
                      ensure_multiple_of=14, resample=3, do_rescale=True, do_normalize=True,
                      image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225]).save_pretrained(folder)
    return folder


def _lively(model) -> None:
    """Make a random depth net's output depend on its input.

    transformers initialises weights with std 0.02, which at hidden size 32 gives outputs ~1e-7,
    and the final ReLU then zeroes most of them. PyTorch's default (Kaiming-uniform) init and a
    positive bias on the last conv keep the output positive and content-dependent.
    """
    import torch

    for module in model.modules():
        if isinstance(module, (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear)):
            module.reset_parameters()
    torch.nn.init.constant_(model.head.conv3.bias, 1.0)


def populate_store(store: Path, kinds: tuple[str, ...] = ("pose", "softedge", "depth"), *,
                   softedge_backends: tuple[str, ...] = ("pidinet",)) -> Path:
    """Write random weights for ``kinds`` where the default annotator settings look for them."""
    annotators = store / ANNOTATORS_REPO.replace("/", "--")
    if "pose" in kinds:
        write_openpose(annotators)
    if "softedge" in kinds:
        if "pidinet" in softedge_backends:
            write_pidinet(annotators)
        if "hed" in softedge_backends:
            write_hed(annotators)
    if "depth" in kinds:
        write_depth_anything(store / DEFAULT_DEPTH_MODEL.replace("/", "--"))
    return store
