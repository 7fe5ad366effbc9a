"""Compute device and dtype, and the fp16 guards (VAE in float32, finite checks).

``auto`` picks CUDA float16, then MPS float16, then CPU float32; any explicit choice is honoured
when the hardware can do it and refused with the setting to change when it cannot.
SD1.5's VAE overflows in float16 (its config says ``force_upcast``), which shows as NaN or black
frames: :func:`vae_dtype` keeps it in float32 whenever the compute dtype is half precision.

>>> resolve_device_dtype("cpu", "auto")
(device(type='cpu'), torch.float32)
"""
from __future__ import annotations

import torch

from t2vz_edit.spec.errors import T2VZError, UsageError

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


class NonFiniteError(T2VZError, ArithmeticError):
    """NaN or infinity appeared in the computation (usually float16 overflow)."""


def _mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def resolve_device(device: str = "auto") -> torch.device:
    name = (device or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise UsageError(f"device {device!r} is not a device; use auto, cpu, cuda, cuda:N or mps") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise UsageError(f"device {device!r}: no CUDA GPU is visible; use --device cpu (or auto)")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise UsageError(f"device {device!r}: only {torch.cuda.device_count()} CUDA device(s); use cuda:0..")
    elif dev.type == "mps" and not _mps_available():
        raise UsageError(f"device {device!r}: MPS is not available here; use --device cpu (or auto)")
    elif dev.type not in ("cpu", "cuda", "mps"):
        raise UsageError(f"device {device!r} is not supported; use auto, cpu, cuda, cuda:N or mps")
    return dev


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    name = (dtype or "auto").strip().lower()
    if name == "auto":
        return torch.float16 if device.type in ("cuda", "mps") else torch.float32
    if name not in DTYPES:
        raise UsageError(f"dtype {dtype!r} is not allowed; use one of: auto, {', '.join(DTYPES)}")
    if name == "bfloat16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise UsageError("dtype bfloat16: this GPU does not support it; use --dtype float16 or float32")
    if name == "float16" and device.type == "cpu":
        raise UsageError("dtype float16 on CPU is slow and overflows in the VAE; use --dtype float32 or bfloat16")
    return DTYPES[name]


def resolve_device_dtype(device: str = "auto", dtype: str = "auto") -> tuple[torch.device, torch.dtype]:
    """(device, compute dtype) for the spec's ``device`` and ``dtype`` settings."""
    dev = resolve_device(device)
    return dev, resolve_dtype(dtype, dev)


def vae_dtype(compute_dtype: torch.dtype) -> torch.dtype:
    """float32 for float16 compute (SD1.5 VAE decode overflows in fp16); else the compute dtype."""
    return torch.float32 if compute_dtype == torch.float16 else compute_dtype


def check_finite(tensor: torch.Tensor, stage: str) -> torch.Tensor:
    """Return ``tensor`` unchanged, or raise :class:`NonFiniteError` naming the stage and the fix."""
    if not bool(torch.isfinite(tensor).all()):
        bad = int((~torch.isfinite(tensor)).sum())
        hint = ("rerun with --dtype float32 or bfloat16" if tensor.dtype in (torch.float16, torch.bfloat16)
                else "check the model weights (try another checkpoint)")
        raise NonFiniteError(f"{stage}: {bad} of {tensor.numel()} values are NaN or infinite "
                             f"({str(tensor.dtype).replace('torch.', '')} on {tensor.device.type}); {hint}")
    return tensor


__all__ = ["resolve_device_dtype", "resolve_device", "resolve_dtype", "vae_dtype", "check_finite",
           "NonFiniteError", "DTYPES"]
