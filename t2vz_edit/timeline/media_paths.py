"""Find a clip's media file from what an NLE wrote, wherever the media now lives.

NLEs write media locations in many styles; all of these name the same kind of thing:

- ``file:///Users/me/a%20b.mov`` (percent-encoded), ``file:///Users/me/a b.mov`` (not)
- ``file://localhost/D%3a/proj/a.mov`` (Premiere/Resolve on Windows), ``file:///C:/proj/a.mov``
- ``file://server/share/a.mov`` (UNC), ``\\\\server\\share\\a.mov``, ``D:\\proj\\a.mov``
- ``/mnt/proj/a.mov``, ``media/a.mov`` (relative to the timeline file)

Each is normalised to a forward-slash path, remapped (``--remap "D:/proj=/mnt/proj"``, first
match wins, drive letters compared case-insensitively), then looked up as is, relative to the
timeline's folder, and by file name in each ``--search-path`` folder.

>>> normalise_location("file://localhost/D%3a/proj/a%20b.mov")
'D:/proj/a b.mov'
>>> normalise_location("file://server/share/a.mov")
'//server/share/a.mov'
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from t2vz_edit.spec.errors import UsageError

_DRIVE = re.compile(r"^/?([A-Za-z]):(/|$)")


@dataclass(frozen=True)
class Remap:
    """One ``FROM=TO`` prefix replacement for moved media."""

    source_prefix: str
    target_prefix: str

    @classmethod
    def parse(cls, text: str) -> "Remap":
        if "=" not in text:
            raise UsageError(f"--remap {text!r}: write it as FROM=TO, e.g. \"D:/proj=/mnt/proj\"")
        source, target = text.split("=", 1)
        source = normalise_location(source.strip()).rstrip("/")
        if not source:
            raise UsageError(f"--remap {text!r}: the FROM part is empty")
        return cls(source, target.strip().rstrip("/\\"))

    def apply(self, location: str) -> str | None:
        fold = bool(_DRIVE.match(self.source_prefix))  # Windows paths ignore case
        head = location[: len(self.source_prefix)]
        same = head.lower() == self.source_prefix.lower() if fold else head == self.source_prefix
        rest = location[len(self.source_prefix):]
        if same and (not rest or rest.startswith("/")):
            return self.target_prefix + rest
        return None


@dataclass
class Resolution:
    """Where the media was found (``path``) or every place that was tried."""

    location: str
    path: Path | None = None
    tried: list[str] = field(default_factory=list)


def normalise_location(location: str) -> str:
    """A file URL or OS path as a forward-slash path string (drive letters as ``D:/``)."""
    text = location.strip()
    if text.lower().startswith("file:"):
        parts = urlsplit(text)
        host = unquote(parts.netloc)
        path = unquote(parts.path)
        if re.fullmatch(r"[A-Za-z]:", host):  # file://C:/proj/a.mov
            path = host + path
        elif host and host.lower() != "localhost":  # UNC: file://server/share/a.mov
            path = f"//{host}{path}"
        text = path
    text = text.replace("\\", "/")
    drive = _DRIVE.match(text)
    if drive:
        text = f"{drive.group(1).upper()}:/" + text[drive.end():]
    return text


def resolve_media(location: str, *, timeline_dir: Path, search_paths: tuple[Path, ...] = (),
                  remaps: tuple[Remap, ...] = ()) -> Resolution:
    """Look ``location`` up (see the module doc); ``path`` is None when nothing exists."""
    result = Resolution(location)
    normal = normalise_location(location)
    candidates = [normal]
    for remap in remaps:
        mapped = remap.apply(normal)
        if mapped is not None:
            candidates.insert(0, mapped)
            break
    for candidate in candidates:
        is_absolute = candidate.startswith("/") or bool(_DRIVE.match(candidate))
        for option in ([Path(candidate)] if is_absolute else [timeline_dir / candidate]):
            result.tried.append(str(option))
            if option.is_file():
                result.path = option.resolve()
                return result
    name = PurePosixPath(normal).name
    for folder in search_paths:
        option = Path(folder) / name
        result.tried.append(str(option))
        if name and option.is_file():
            result.path = option.resolve()
            return result
    return result
