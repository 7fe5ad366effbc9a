"""Model sources: what a user may write where a model is expected.

Three kinds, told apart by shape alone (no network, no file reads beyond ``exists``):

- ``hub``: ``org/name`` or ``org/name@revision`` — resolved later from the model store, then
  the Hugging Face cache (:mod:`t2vz_edit.engine.models.store`);
- ``folder``: an existing local folder (a diffusers pipeline or single-model folder);
- ``single_file``: a local ``.safetensors`` (or refused ``.ckpt``) checkpoint in the original
  Stable Diffusion layout (DreamBooth / community fine-tunes).

>>> parse_source("stable-diffusion-v1-5/stable-diffusion-v1-5@fp16").revision
'fp16'
>>> parse_source("lllyasviel/control_v11p_sd15_canny").kind
'hub'
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from t2vz_edit.spec.errors import InputNotFoundError, UsageError

SINGLE_FILE_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".pth", ".bin")
# Hub repo ids: "org/name", letters, digits, "-", "_", "." (Hugging Face's rule), 96 chars max.
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}$")
_REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,127}$")


@dataclass(frozen=True)
class ModelSource:
    """A parsed model source; ``text`` is what the user wrote (for messages)."""

    kind: str  # "hub" | "folder" | "single_file"
    text: str
    hub_id: str = ""
    revision: str = ""
    path: Path | None = None

    @property
    def label(self) -> str:
        if self.kind == "hub":
            return f"{self.hub_id}@{self.revision}" if self.revision else self.hub_id
        return str(self.path)


def parse_source(text: str) -> ModelSource:
    """Classify ``text``: an existing path wins over a hub-id reading of the same string."""
    raw = str(text).strip()
    if not raw:
        raise UsageError("model source is empty; give a hub id (org/name), a diffusers folder or a .safetensors file")
    path = Path(raw).expanduser()
    if path.is_dir():
        return ModelSource("folder", raw, path=path)
    if path.suffix.lower() in SINGLE_FILE_SUFFIXES:
        if not path.is_file():
            raise InputNotFoundError("model file does not exist; check the path (or use a hub id org/name)", path=path)
        return ModelSource("single_file", raw, path=path)
    repo, _, revision = raw.partition("@")
    if _HUB_ID.match(repo) and not path.exists() and (not revision or _REVISION.match(revision)):
        return ModelSource("hub", raw, hub_id=repo, revision=revision)
    if path.exists():
        raise UsageError(f"model source {raw!r} is a file without a known checkpoint suffix; "
                         f"use a diffusers folder or a {' / '.join(SINGLE_FILE_SUFFIXES[:2])} file")
    raise InputNotFoundError(f"model source {raw!r} is neither an existing folder or .safetensors file "
                             "nor a hub id of the form org/name[@revision]")


__all__ = ["ModelSource", "parse_source", "SINGLE_FILE_SUFFIXES"]
