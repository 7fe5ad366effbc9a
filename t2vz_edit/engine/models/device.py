"""Compute device and dtype, and the fp16 guards (VAE in float32, finite checks).

``auto`` picks CUDA float16, then MPS float16, then CPU float32 — and on a CPU with AMX (Intel
Sapphire Rapids and later: ``amx_bf16``) bfloat16 for full-size models at full working sizes
(:func:`auto_cpu_dtype`: the SD1.5 UNet ran 1.65× faster at 256² on this project's 2-core box
and up to 3.1× at 512², ~1.2 % relative error per forward; tiny models and small frames run
slower in bfloat16, so they stay float32). Any explicit choice is honoured when the hardware can
do it and refused with the setting to change when it cannot.
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


BF16_MIN_UNET_CHANNELS = 320  # SD1.5's first block width; the tiny test UNets have 32 (bf16 was 13× slower there)
BF16_MIN_PIXELS = 256 * 256  # working area: SD1.5 at 128² ran 2.3× slower in bf16, at 256² 1.65× faster
CPUINFO = "/proc/cpuinfo"


def cpu_has_amx(cpuinfo: str = CPUINFO) -> bool:
    """True when the CPU has AMX tiles with bfloat16 (Linux ``/proc/cpuinfo`` flag ``amx_bf16``)."""
    try:
        with open(cpuinfo) as fh:
            return any(line.startswith("flags") and "amx_bf16" in line.split() for line in fh)
    except OSError:
        return False


def auto_cpu_dtype(unet_config, working_hw: tuple[int, int] | None,
                   has_amx: bool | None = None) -> tuple[torch.dtype, str]:
    """(dtype, why) for ``--dtype auto`` on a CPU: bfloat16 only with AMX, a full-width UNet and a
    working area of at least 256², float32 otherwise.

    >>> auto_cpu_dtype({"block_out_channels": [32, 64]}, (64, 64), has_amx=True)[0]
    torch.float32
    >>> auto_cpu_dtype({"block_out_channels": [320, 640]}, (512, 512), has_amx=True)[0]
    torch.bfloat16
    """
    has_amx = cpu_has_amx() if has_amx is None else has_amx
    channels = int(min(_config_get(unet_config, "block_out_channels")))
    if not has_amx:
        return torch.float32, "auto: float32 (this CPU has no AMX bfloat16)"
    if channels < BF16_MIN_UNET_CHANNELS:
        return torch.float32, (f"auto: float32 (UNet width {channels} < {BF16_MIN_UNET_CHANNELS}: "
                               "bfloat16 is slower on small models)")
    if working_hw is None or working_hw[0] * working_hw[1] < BF16_MIN_PIXELS:
        size = "unknown" if working_hw is None else f"{working_hw[1]}x{working_hw[0]}"
        return torch.float32, f"auto: float32 (working size {size} is under 256x256: bfloat16 is slower there)"
    return torch.bfloat16, (f"auto: bfloat16 (CPU with AMX, UNet width {channels}, working size "
                            f"{working_hw[1]}x{working_hw[0]}); --dtype float32 for full precision")


def _config_get(config, key: str):
    return config[key] if isinstance(config, dict) else getattr(config, key)


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


__all__ = ["auto_cpu_dtype", "cpu_has_amx", "BF16_MIN_UNET_CHANNELS", "BF16_MIN_PIXELS", "resolve_device_dtype", "resolve_device", "resolve_dtype", "vae_dtype", "check_finite",
           "NonFiniteError", "DTYPES"]
