"""``models pull``: fill the store from the Hugging Face Hub (the only code that uses network).

Only what the engine loads is fetched: for a diffusers pipeline repo, ``model_index.json`` and
the component folders' configs, tokenizer files and ``.safetensors`` weights (one variant, no
``safety_checker``); for a single-model repo (ControlNet, a depth model), its top-level configs
and weights. Pickled ``.bin``/``.ckpt`` files are never fetched when safetensors exist.
``include`` patterns ADD files to that default list (annotator ``.pth`` files, a LoRA), they
never replace it: ``--include preprocessor_config.json`` still brings the weights.

Before the first request the Hub is reached once with a short timeout: with no network the pull
fails at once in one line instead of retrying for half a minute. Each file is downloaded at
the commit the listing saw, its SHA-256 checked against the Hub's, and the commit and hashes
are recorded in the store manifest (:data:`~t2vz_edit.engine.models.store.MANIFEST`).

>>> choose_pull_files(["config.json", "diffusion_pytorch_model.bin",
...                    "diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors"])
['config.json', 'diffusion_pytorch_model.safetensors']
>>> choose_pull_files(["config.json", "model.safetensors", "preprocessor_config.json"],
...                   include=("preprocessor_config.json",))
['config.json', 'model.safetensors', 'preprocessor_config.json']
>>> choose_pull_files(["body_pose_model.pth", "ControlNetHED.pth", "README.md"], include=("body_pose_model.pth",))
['body_pose_model.pth']
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable

from t2vz_edit.engine.hub import check_network, hub_endpoint, offline_env
from t2vz_edit.engine.models.store import StoreEntry, _commit_entry, check_hub_id, entry_dir, sha256_file
from t2vz_edit.spec.errors import ModelError, OutputError

CONFIG_SUFFIXES = (".json", ".txt", ".model")  # configs, tokenizer vocab/merges, sentencepiece
SKIPPED_COMPONENTS = ("safety_checker", "feature_extractor")  # never used by the engine
MIB = 1 << 20


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


def _default_files(files: list[str], variant: str) -> list[str] | None:
    """The engine's files of a pipeline or single-model repo; None for a repo of another shape."""
    top = [f for f in files if "/" not in f]
    if "model_index.json" in top:
        chosen = ["model_index.json"]
        folders = sorted({f.split("/")[0] for f in files if f.count("/") == 1} - set(SKIPPED_COMPONENTS))
        for folder in folders:
            chosen += _pick([f for f in files if f.count("/") == 1 and f.startswith(folder + "/")], variant)
        return chosen
    if "config.json" in top:
        return _pick(top, variant)
    return None


def choose_pull_files(files: Iterable[str], variant: str = "", include: Iterable[str] = ()) -> list[str]:
    """The repo files to download: the default list plus every file matching an ``include`` pattern."""
    files = [f for f in files if not any(part.startswith(".") for part in PurePosixPath(f).parts)]
    include = tuple(include)
    chosen = _default_files(files, variant)
    if chosen is None and not include:
        raise ModelError("repo is neither a diffusers pipeline (model_index.json) nor a single model (config.json); "
                         "pass --include PATTERN for the files you need (e.g. --include '*.pth')")
    if chosen is not None and not include and not any(f.endswith(".safetensors") for f in chosen):
        raise ModelError("repo has no .safetensors weights (only pickled .bin/.ckpt, which are not fetched); "
                         "convert them to safetensors or pass --include PATTERN explicitly")
    extra = [f for f in files if any(fnmatch.fnmatchcase(f, p) or fnmatch.fnmatchcase(PurePosixPath(f).name, p)
                                     for p in include)]
    unmatched = [p for p in include if not any(fnmatch.fnmatchcase(f, p) or fnmatch.fnmatchcase(PurePosixPath(f).name, p)
                                               for f in files)]
    if unmatched:
        raise ModelError(f"--include {' '.join(unmatched)} matches no file of the repo; check the names "
                         f"(the repo has {len(files)} files)")
    return sorted(set(chosen or []) | set(extra))


# -- pulling -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PullItem:
    """One model to pull: hub id, revision ('' = main) and patterns added to the default files."""

    hub_id: str
    revision: str = ""
    include: tuple[str, ...] = ()
    only: tuple[str, ...] = ()  # these patterns instead of the default list (e.g. a tokenizer alone)

    @classmethod
    def parse(cls, text: str, revision: str = "", include: Iterable[str] = ()) -> "PullItem":
        """``org/name[@rev][:pattern,pattern]`` (hub ids never contain ':')."""
        ident, _, files = text.partition(":")
        hub_id, _, rev = ident.partition("@")
        own = tuple(p for p in files.split(",") if p)
        return cls(check_hub_id(hub_id, rev or revision).hub_id, rev or revision, tuple(dict.fromkeys(own + tuple(include))))

    @property
    def label(self) -> str:
        return f"{self.hub_id}@{self.revision}" if self.revision else self.hub_id


@dataclass(frozen=True)
class _Listed:
    item: PullItem
    commit: str
    sizes: dict[str, int]  # chosen file -> bytes
    sha256: dict[str, str]  # chosen LFS file -> the Hub's SHA-256


def _list(item: PullItem, variant: str) -> _Listed:
    from huggingface_hub import HfApi
    from huggingface_hub.hf_api import RepoFile

    api = HfApi(endpoint=hub_endpoint())
    try:
        commit = api.model_info(item.hub_id, revision=item.revision or None).sha or ""
        tree = [f for f in api.list_repo_tree(item.hub_id, recursive=True, revision=commit or item.revision or None)
                if isinstance(f, RepoFile)]
    except Exception as exc:  # noqa: BLE001 - re-raised as one line; the cause is kept for --debug
        raise _network_error(item.label, exc) from exc
    try:
        chosen = _only([f.path for f in tree], item.only) if item.only else \
            choose_pull_files([f.path for f in tree], variant, item.include)
    except ModelError as exc:
        raise ModelError(f"{item.label}: {exc}") from None
    by_path = {f.path: f for f in tree}
    return _Listed(item, commit, {p: int(by_path[p].size or 0) for p in chosen},
                   {p: by_path[p].lfs.sha256 for p in chosen if getattr(by_path[p], "lfs", None)})


def _only(files: list[str], patterns: tuple[str, ...]) -> list[str]:
    chosen = sorted(f for f in files if any(fnmatch.fnmatchcase(f, p) for p in patterns))
    if not chosen:
        raise ModelError(f"--only {' '.join(patterns)} matches no file of the repo; check the patterns")
    return chosen


def pull_models(items: Iterable[PullItem], *, variant: str = "", force: bool = False,
                progress: Callable[[str, int, int], object] | None = None) -> list[StoreEntry]:
    """Pull every item into the store, with one ``download`` progress (MiB) over all of them."""
    items = list(items)
    for item in items:
        if entry_dir(item.hub_id, item.revision).exists() and not force:
            raise OutputError(f"{item.label} is already in the model store; pass --overwrite to pull it again")
    check_network(", ".join(item.label for item in items))
    listed = [_list(item, variant) for item in items]
    total = sum(sum(x.sizes.values()) for x in listed)
    state = {"done": 0}
    report = progress or (lambda stage, done, total_: None)
    report("download", 0, max(1, total // MIB))
    return [_fetch(x, force, state, total, report) for x in listed]


def _fetch(listed: _Listed, force: bool, state: dict, total: int, report) -> StoreEntry:
    from huggingface_hub import hf_hub_download

    item = listed.item

    def fill(tmp: Path) -> None:
        for name, size in listed.sizes.items():
            try:
                hf_hub_download(item.hub_id, name, revision=listed.commit or item.revision or None, local_dir=tmp,
                                endpoint=hub_endpoint())
            except Exception as exc:  # noqa: BLE001 - as above
                raise _network_error(item.label, exc) from exc
            want = listed.sha256.get(name)
            if want and sha256_file(tmp / name) != want:
                raise ModelError(f"{item.label}: {name} does not match the Hub's SHA-256 (corrupt download); pull again")
            state["done"] += size
            report("download", state["done"] // MIB, max(1, total // MIB))

    return _commit_entry(check_hub_id(item.hub_id, item.revision), fill, origin="pull",
                         where=f"{hub_endpoint()}/{item.hub_id}", force=force, commit=listed.commit)


def pull_model(hub_id: str, revision: str = "", *, include: tuple[str, ...] = (), variant: str = "",
               force: bool = False, progress=None) -> StoreEntry:
    """Download ``hub_id`` into the store (atomic: a failed pull leaves nothing behind)."""
    return pull_models([PullItem(check_hub_id(hub_id, revision).hub_id, revision, tuple(include))],
                       variant=variant, force=force, progress=progress)[0]


def _network_error(label: str, exc: Exception) -> ModelError:
    detail = " ".join(str(exc).split())  # the whole message, on one line
    return ModelError(f"could not pull {label} from the Hugging Face Hub ({type(exc).__name__}: {detail}); "
                      f"check the network and the id, or on an offline node copy it in with "
                      f"`t2vz-edit models import FOLDER --as {label.split('@')[0]}`")


__all__ = ["pull_model", "pull_models", "PullItem", "choose_pull_files", "check_network", "offline_env",
           "hub_endpoint"]
