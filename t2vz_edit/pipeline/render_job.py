"""Render requests, results and failures: plain, serializable data between a job list and a renderer.

A renderer is any callable ``renderer(request, progress=None) -> RenderResult``. A request holds
no callables (progress is passed at call time), so it can be pickled to another process or
machine, written to a journal, or compared. A failed render is a :class:`RenderFailure` record
(kind, message, retryable), never a bare string.

The render key identifies a render on every machine of a farm: it hashes the *content identity*
of the source (size plus a hash of its first and last MiB, not its absolute path), the frame
range, the codec and the spec without machine-only settings (``device``; ``chunk_size`` changes
memory, not results).

>>> import tempfile, os
>>> from t2vz_edit.spec.edit_spec import EditSpec
>>> folder = tempfile.mkdtemp()
>>> a, b = os.path.join(folder, "a.mov"), os.path.join(folder, "b.mov")
>>> for p in (a, b): _ = open(p, "wb").write(b"same bytes")
>>> spec = EditSpec(mode="instruct", instruction="x")
>>> render_key(a, 0, 8, spec) == render_key(b, 0, 8, spec.with_overrides(device="cuda:1", chunk_size=4))
True
>>> render_key(a, 0, 8, spec) == render_key(a, 0, 9, spec)
False
>>> RenderFailure.from_error(ValueError("bad")).kind
'crash'
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Callable

from t2vz_edit.spec.edit_spec import EditSpec
from t2vz_edit.spec.errors import Cancelled, MediaError, ModelError, T2VZError, UsageError
from t2vz_edit.spec.progress import ProgressCallback

PROVENANCE_KEY = "t2vz_edit"  # metadata namespace in timelines and sidecar provenance
MACHINE_ONLY = ("device", "chunk_size")  # spec settings that do not change the pixels
EDGE_BYTES = 1 << 20  # the source's first and last MiB go into its identity


@dataclass(frozen=True)
class RenderRequest:
    """Render frames [start_frame, stop_frame) of ``media_path`` (handles included) to ``out_path``."""

    media_path: Path
    start_frame: int  # first source frame of the media (0-based, decode order = display order)
    stop_frame: int  # exclusive
    rate: Fraction  # the media's exact frame rate
    spec: EditSpec
    instruction: str  # the text that chose the spec (marker text, preset name or --instruction)
    out_path: Path
    clip_name: str
    render_key: str  # see render_key(): same key = same render, on any machine
    provenance: dict = field(default_factory=dict)  # goes into the sidecar as given
    codec: str = "h264"
    crf: int = 18
    preview: bool = False  # also a before/after video and a contact sheet beside the render
    audio: str = "copy"  # copy | reencode | none (see t2vz_edit.media.audio)

    @property
    def frame_count(self) -> int:
        return self.stop_frame - self.start_frame


@dataclass(frozen=True)
class RenderSettings:
    """How each render of a job list is written: ``--codec``, ``--crf``, ``--preview``, ``--audio``."""

    codec: str = "h264"
    crf: int = 18
    preview: bool = False
    audio: str = "copy"


@dataclass(frozen=True)
class RenderResult:
    """What a renderer produced."""

    path: Path
    frame_count: int
    reused: bool = False


# failure kind -> retryable; usage errors and cancels never heal by trying again
FAILURE_KINDS = {"usage": False, "cancelled": False, "media": True, "model": True, "render": True,
                 "crash": True, "worker_lost": True}


@dataclass(frozen=True)
class RenderFailure:
    """Why a render failed: ``kind`` (see FAILURE_KINDS), the one-line ``message``, ``retryable``."""

    kind: str
    message: str
    retryable: bool

    @classmethod
    def from_error(cls, error: BaseException) -> "RenderFailure":
        kind = _kind(error)
        message = str(error) if isinstance(error, T2VZError) else f"{type(error).__name__}: {error}"
        return cls(kind, " ".join(message.split()), FAILURE_KINDS[kind])

    def to_dict(self) -> dict:
        return asdict(self)


def _kind(error: BaseException) -> str:
    for cls, kind in ((Cancelled, "cancelled"), (UsageError, "usage"), (MediaError, "media"),
                      (ModelError, "model"), (T2VZError, "render")):
        if isinstance(error, cls):
            return kind
    return "crash"


Renderer = Callable[[RenderRequest, "ProgressCallback | None"], RenderResult]  # renderer(request, progress)
Outcome = RenderResult | RenderFailure


def source_identity(path: str | os.PathLike) -> str:
    """Content identity of a file: its size and a SHA-256 of its first and last MiB (hex, 16)."""
    path = Path(path)
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with open(path, "rb") as handle:
        digest.update(handle.read(EDGE_BYTES))
        if size > EDGE_BYTES:
            handle.seek(max(EDGE_BYTES, size - EDGE_BYTES))
            digest.update(handle.read(EDGE_BYTES))
    return f"{size}-{digest.hexdigest()[:16]}"


def stable_spec(spec: EditSpec) -> dict:
    """The spec's settings that decide the pixels (machine-only ones removed)."""
    return {k: v for k, v in spec.to_dict().items() if k not in MACHINE_ONLY}


def render_key(media_path: str | os.PathLike, start_frame: int, stop_frame: int, spec: EditSpec,
               codec: str = "h264", name: str = "", audio: str = "copy") -> str:
    """12 hex digits identifying (source content, frame range, pixel-deciding spec, codec).

    ``name`` (e.g. the source's path relative to a batch root) keeps byte-identical copies of a
    clip apart when each needs its own render.
    """
    fields = {"source": source_identity(media_path), "start": start_frame, "stop": stop_frame,
              "spec": stable_spec(spec), "codec": codec}
    if name:
        fields["name"] = name
    if audio != "copy":  # a render without (or with re-encoded) sound is another render; copy keeps old keys
        fields["audio"] = audio
    blob = json.dumps(fields, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


# Suffix of a timeline or batch render per codec (an image-sequence codec writes a folder).
RENDER_SUFFIX = {"h264": ".mov", "h264-10": ".mov", "hevc": ".mov", "prores": ".mov", "prores4444": ".mov",
                 "dnxhr-hqx": ".mxf", "png": "", "png16": "", "exr": ""}


def render_path(render_dir: Path, clip_name: str, media_path: Path, label: str, start_frame: int, stop_frame: int,
                *, codec: str = "h264", draft: bool = False, tiny: bool = False) -> Path:
    """``<render_dir>/<clip>.<label>[.draft][.tiny-random].<first>-<last>.mov``: names an editor reads in a bin.

    ``label`` is the preset or the mode; first and last are the source frames the render holds
    (last included). Two renders that would share a name are told apart by :func:`unique_paths`.

    >>> render_path(Path("r"), "A001 take 2", Path("A001.mov"), "anime", 100, 148).as_posix()
    'r/A001_take_2.anime.100-147.mov'
    """
    stem = _safe(clip_name or Path(media_path).stem) or "clip"
    label = _safe(label) or "restyle"
    tags = (".draft" if draft else "") + (".tiny-random" if tiny else "")
    return Path(render_dir) / f"{stem[:60]}.{label[:40]}{tags}.{start_frame}-{stop_frame - 1}" \
                              f"{RENDER_SUFFIX.get(codec, '.mov')}"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("._")


def unique_paths(requests: list[RenderRequest]) -> list[RenderRequest]:
    """Requests whose readable names collide (two shots of one clip, same range and look, different
    settings) get their render key added: ``shot.anime.0-47.<key>.mov``. Same key = same render."""
    keys: dict[Path, set[str]] = {}
    for r in requests:
        keys.setdefault(Path(r.out_path), set()).add(r.render_key)
    out = []
    for r in requests:
        path = Path(r.out_path)
        if len(keys[path]) > 1:
            suffix = RENDER_SUFFIX.get(r.codec, ".mov")
            base = path.name[: len(path.name) - len(suffix)] if suffix else path.name
            r = replace(r, out_path=path.with_name(f"{base}.{r.render_key}{suffix}"))
        out.append(r)
    return out


def sidecar_render_key(render: Path) -> str | None:
    """The render key recorded in the render's sidecar, or None when there is no usable sidecar."""
    from t2vz_edit.media.sidecar import read_sidecar, sidecar_path

    render = Path(render)
    if not render.is_file() or not sidecar_path(render).is_file():
        return None
    try:
        data = read_sidecar(render)
    except T2VZError:  # an unreadable sidecar means "not reusable", and the render is made again
        return None
    provenance = data.get("provenance", {}) if isinstance(data, dict) else {}
    return provenance.get(PROVENANCE_KEY, {}).get("render_key")


def is_reusable(request: RenderRequest) -> bool:
    """An existing render is reused only when its sidecar names the same render key."""
    return sidecar_render_key(request.out_path) == request.render_key
