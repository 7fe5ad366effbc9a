"""Reaching the Hugging Face Hub: the endpoint, ``HF_HUB_OFFLINE``, and a fast no-network check.

Kept free of torch / huggingface_hub imports so ``models pull`` says "no network" in a fraction
of a second instead of after importing torch and retrying for half a minute.

>>> hub_endpoint().startswith("http")
True
"""
from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

from t2vz_edit.spec.errors import ModelError

CONNECT_TIMEOUT_SEC = 4.0


def hub_endpoint() -> str:
    """``HF_ENDPOINT`` (a mirror, or a local server in tests) or https://huggingface.co."""
    return os.environ.get("HF_ENDPOINT", "").strip().rstrip("/") or "https://huggingface.co"


def offline_env() -> bool:
    """True when ``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``, which huggingface_hub reads the same
    way) asks for no network, with huggingface_hub's truthy values."""
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().upper() in ("1", "ON", "YES", "TRUE")


def check_network(what: str = "", timeout_sec: float = CONNECT_TIMEOUT_SEC) -> None:
    """One TCP connection to the Hub, or a one-line ModelError at once (no retry loop).

    ``what`` names the models being pulled, for the message."""
    head = f"could not pull {what}: " if what else ""
    if offline_env():
        raise ModelError(f"{head}HF_HUB_OFFLINE is set, so nothing is downloaded; unset it to pull on a networked machine, "
                         "or copy models in with `t2vz-edit models import FOLDER --as ID`")
    url = urlparse(hub_endpoint())
    if _proxy_for(url.scheme):  # through a proxy a direct connection proves nothing; huggingface_hub says what fails
        return
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname or "", port), timeout=timeout_sec).close()
    except OSError as exc:
        raise ModelError(f"{head}no network: cannot reach {hub_endpoint()} ({type(exc).__name__}: {exc}); connect this "
                         "machine, or pull on a networked one and copy the store (T2VZ_MODEL_STORE) or use "
                         "`t2vz-edit models import FOLDER --as ID`") from None


def _proxy_for(scheme: str) -> str:
    names = (f"{scheme}_proxy", f"{scheme.upper()}_PROXY", "all_proxy", "ALL_PROXY")
    return next((os.environ[n] for n in names if os.environ.get(n, "").strip()), "")


__all__ = ["hub_endpoint", "offline_env", "check_network", "CONNECT_TIMEOUT_SEC"]
