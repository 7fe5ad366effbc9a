"""A local HTTP server that answers the few Hugging Face Hub routes a pull uses, from local folders.

It stands in for https://huggingface.co through ``HF_ENDPOINT`` so the real huggingface_hub code
(``model_info``, ``list_repo_tree``, ``hf_hub_download``) runs end to end with no network:

- ``GET /api/models/{repo}[/revision/{rev}]`` → ``{"id", "sha"}``
- ``GET /api/models/{repo}/tree/{rev}`` → every file with size (and ``lfs.sha256`` for weights)
- ``HEAD``/``GET /{repo}/resolve/{rev}/{path}`` → the file, with ``X-Repo-Commit`` and ``ETag``

``requests`` records every path asked for, so tests can check what was (not) downloaded.
"""
from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

COMMIT = "0123456789abcdef0123456789abcdef01234567"
LFS_SUFFIXES = (".safetensors", ".bin", ".pth", ".ckpt")


class FakeHub:
    def __init__(self, repos: dict[str, Path]):
        self.repos = {k: Path(v) for k, v in repos.items()}
        self.requests: list[str] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_HEAD(self):
                hub._answer(self, body=False)

            def do_GET(self):
                hub._answer(self, body=True)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "FakeHub":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _files(self, repo: str) -> list[Path]:
        root = self.repos[repo]
        return sorted(p for p in root.rglob("*") if p.is_file())

    def _answer(self, h: BaseHTTPRequestHandler, body: bool) -> None:
        path = unquote(urlparse(h.path).path)
        self.requests.append(f"{h.command} {path}")
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "models"] and "/".join(parts[2:4]) in self.repos:
            repo = "/".join(parts[2:4])
            if len(parts) > 4 and parts[4] == "tree":
                data = [self._entry(repo, p) for p in self._files(repo)]
            else:
                data = {"id": repo, "modelId": repo, "sha": COMMIT, "private": False}
            return self._send(h, json.dumps(data).encode(), {"Content-Type": "application/json"}, body)
        if len(parts) > 4 and parts[2] == "resolve" and "/".join(parts[:2]) in self.repos:
            file = self.repos["/".join(parts[:2])] / "/".join(parts[4:])
            if file.is_file():
                data = file.read_bytes()
                return self._send(h, data, {"X-Repo-Commit": COMMIT, "ETag": f'"{hashlib.sha256(data).hexdigest()}"',
                                            "Content-Type": "application/octet-stream"}, body)
        self._send(h, b'{"error": "not found"}', {"Content-Type": "application/json",
                                                   "X-Error-Code": "EntryNotFound"}, body, status=404)

    def _entry(self, repo: str, file: Path) -> dict:
        data = file.read_bytes()
        entry = {"type": "file", "oid": hashlib.sha1(data).hexdigest(), "size": len(data),
                 "path": file.relative_to(self.repos[repo]).as_posix()}
        if file.suffix in LFS_SUFFIXES:
            entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
        return entry

    @staticmethod
    def _send(h, data: bytes, headers: dict, body: bool, status: int = 200) -> None:
        h.send_response(status)
        for k, v in {**headers, "Content-Length": str(len(data))}.items():
            h.send_header(k, v)
        h.end_headers()
        if body:
            h.wfile.write(data)
