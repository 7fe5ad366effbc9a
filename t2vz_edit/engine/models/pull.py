"""``models pull``: fill the store from the Hugging Face Hub (the only code that uses network).

Only what the engine loads is fetched: for a diffusers pipeline repo, ``model_index.json`` and
the component folders' configs, tokenizer files and ``.safetensors`` weights (one variant, no
``safety_checker``); for a single-model repo (ControlNet), its top-level configs and weights.
Pickled ``.bin``/``.ckpt`` files are never fetched when safetensors exist, and not at all
unless asked for with ``--include``.

>>> choose_pull_files(["config.json", "diffusion_pytorch_model.bin",
...                    "diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors"])
['config.json', 'diffusion_pytorch_model.safetensors']
"""
from __future__ import annotations

from pathlib import PurePosixPath
from typing import Iterable

from t2vz_edit.engine.models.store import StoreEntry, _commit_entry, check_hub_id, entry_dir
from t2vz_edit.spec.errors import ModelError, OutputError

CONFIG_SUFFIXES = (".json", ".txt", ".model")  # configs, tokenizer vocab/merges, sentencepiece
SKIPPED_COMPONENTS = ("safety_checker", "feature_extractor")  # never used by the engine


def _is_weight_of_variant(name: str, variant: str) -> bool:
    """``x.safetensors`` (no variant) or ``x.<variant>.safetensors`` / sharded ``x.<variant>-0001-of-0002``."""
    if not name.endswith(".safetensors"):
        return False
    stem = name[: -len(".safetensors")]
    if not variant:
        return "." not in stem
    parts = stem.split(".")
    return len(parts) == 2 and parts[1].split("-")[0] == variant


def _pick(names: list[str], variant: str) -> list[str]:
    """Configs plus the weights of one variant (falling back to the plain weights)."""
    configs = [n for n in names if n.endswith(CONFIG_SUFFIXES)]
    weights = [n for n in names if _is_weight_of_variant(PurePosixPath(n).name, variant)]
    if variant and not weights:
        weights = [n for n in names if _is_weight_of_variant(PurePosixPath(n).name, "")]
    return configs + weights


def choose_pull_files(files: Iterable[str], variant: str = "") -> list[str]:
    """The repo files to download (paths as listed by the Hub), or ModelError when none fit."""
    files = [f for f in files if not any(part.startswith(".") for part in PurePosixPath(f).parts)]
    top = [f for f in files if "/" not in f]
    if "model_index.json" in top:
        chosen = ["model_index.json"]
        folders = sorted({f.split("/")[0] for f in files if f.count("/") == 1} - set(SKIPPED_COMPONENTS))
        for folder in folders:
            chosen += _pick([f for f in files if f.count("/") == 1 and f.startswith(folder + "/")], variant)
    elif "config.json" in top:
        chosen = _pick(top, variant)
    else:
        raise ModelError("repo is neither a diffusers pipeline (model_index.json) nor a single model (config.json); "
                         "pass --include PATTERN for the files you need (e.g. --include '*.pth')")
    if not any(f.endswith(".safetensors") for f in chosen):
        raise ModelError("repo has no .safetensors weights (only pickled .bin/.ckpt, which are not fetched); "
                         "convert them to safetensors or pass --include PATTERN explicitly")
    return sorted(chosen)


def pull_model(hub_id: str, revision: str = "", *, include: tuple[str, ...] = (), variant: str = "",
               force: bool = False) -> StoreEntry:
    """Download ``hub_id`` into the store (atomic: a failed pull leaves nothing behind)."""
    from huggingface_hub import HfApi, snapshot_download

    source = check_hub_id(hub_id, revision)
    if entry_dir(source.hub_id, source.revision).exists() and not force:
        raise OutputError(f"{source.label} is already in the model store; pass --force to pull it again")
    try:
        files = HfApi().list_repo_files(source.hub_id, revision=source.revision or None)
    except Exception as exc:  # noqa: BLE001 - re-raised as one line; the cause is kept for --debug
        raise _network_error(source.label, exc) from exc
    try:
        patterns = list(include) or choose_pull_files(files, variant)
    except ModelError as exc:
        raise ModelError(f"{source.label}: {exc}") from None

    def fill(tmp) -> None:
        try:
            snapshot_download(source.hub_id, revision=source.revision or None, local_dir=tmp, allow_patterns=patterns)
        except Exception as exc:  # noqa: BLE001 - as above
            raise _network_error(source.label, exc) from exc

    return _commit_entry(source, fill, origin="pull", where=f"https://huggingface.co/{source.hub_id}", force=force)


def _network_error(label: str, exc: Exception) -> ModelError:
    first = " ".join(str(exc).split())[:200]
    return ModelError(f"could not pull {label} from the Hugging Face Hub ({type(exc).__name__}: {first}); "
                      f"check the network and the id, or on an offline node copy it in with "
                      f"`t2vz-edit models import FOLDER --as {label.split('@')[0]}`")


__all__ = ["pull_model", "choose_pull_files"]
