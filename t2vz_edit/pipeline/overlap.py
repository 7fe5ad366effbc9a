"""Work beside the engine: decoded chunks kept for a second reader, a read-ahead thread, a writer thread.

A render with controls reads the clip twice — once for the control maps (depth needs the whole
clip before its first map is final), once for the engine — and used to decode it twice.
:class:`SpooledChunks` decodes once: while ``keep`` is on, each decoded chunk is also saved to
a temporary folder, and later readers replay it from there (bit for bit; memory stays one chunk).

:func:`read_ahead` runs an iterator on a worker thread (decode, reading control maps, resizing)
so the next chunk is ready when the engine asks for it; :class:`BackgroundWriter` takes rendered
chunks to a worker thread (encode, quality, previews) so the engine goes on with the next one.
Both hand their errors (a cancel included) to the render's thread, and stop when it stops, so an
error or Ctrl-C still leaves nothing partial: the caller's ``with`` blocks clean up as before.
Torch releases the GIL in its kernels and PyAV in its codecs, so the threads run in parallel.

>>> list(read_ahead(iter(range(5))))
[0, 1, 2, 3, 4]
"""
from __future__ import annotations

import queue
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np

_DONE = object()
POLL_S = 0.1  # how often a blocked thread looks whether the other side has stopped


class SpooledChunks:
    """Chunks (objects with ``.start`` and ``.frames``) from ``decode()``, decoded once.

    Iterate as often as needed: the first pass decodes (and, while ``keep`` is true, saves each
    chunk under a temporary folder); a later pass replays the saved chunks when the first pass
    finished, and decodes otherwise. ``passes_decoded`` counts the decoding passes.
    """

    def __init__(self, decode: Callable[[], Iterable[Any]], keep: bool = True):
        self._decode, self.keep = decode, keep
        self._folder: Path | None = None
        self._saved: list[tuple[int, Path]] | None = None  # complete first pass: (start, file)
        self.passes_decoded = 0

    def __iter__(self) -> Iterator[Any]:
        if self._saved is not None:
            yield from self._replay()
            return
        self.passes_decoded += 1
        saved: list[tuple[int, Path]] = []
        for chunk in self._decode():
            if self.keep:
                saved.append((chunk.start, self._save(chunk, len(saved))))
            yield chunk
        if self.keep:
            self._saved = saved

    def _save(self, chunk: Any, index: int) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="t2vz-frames-"))
        path = self._folder / f"{index:07d}.npy"
        np.save(path, chunk.frames)
        return path

    def _replay(self) -> Iterator[Any]:
        from t2vz_edit.media.decode import FrameChunk

        for start, path in self._saved or []:
            yield FrameChunk(start, np.load(path))

    def close(self) -> None:
        """Remove the saved chunks."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder, self._saved = None, None

    def __enter__(self) -> "SpooledChunks":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _put(q: queue.Queue, item: Any, stop: threading.Event) -> bool:
    """Put ``item`` unless ``stop`` is set first; True when it went in."""
    while not stop.is_set():
        try:
            q.put(item, timeout=POLL_S)
            return True
        except queue.Full:
            continue
    return False


def read_ahead(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """Yield ``items`` while a worker thread produces up to ``depth`` of them ahead.

    An error in the worker is raised here, at the item it would have produced; when the consumer
    stops early (error, cancel, Ctrl-C), the worker stops at its next item."""
    q: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def work() -> None:
        try:
            for item in items:
                if not _put(q, (True, item), stop):
                    return
            _put(q, (True, _DONE), stop)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            _put(q, (False, exc), stop)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a generator's clean-up (an open container) runs here, not at garbage collection

    worker = threading.Thread(target=work, name="t2vz-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            ok, item = q.get()
            if not ok:
                raise item
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        worker.join()


class BackgroundWriter:
    """``submit(item)`` hands items to ``consume`` on a worker thread, in order, up to ``depth`` waiting.

    ``close()`` waits for the queue to drain and raises the worker's error, if any; leaving the
    ``with`` block on an error stops the worker without finishing the queue.
    """

    def __init__(self, consume: Callable[[Any], None], depth: int = 2):
        self._consume, self._q = consume, queue.Queue(maxsize=max(1, depth))
        self._stop, self._error = threading.Event(), None
        self._thread = threading.Thread(target=self._work, name="t2vz-writer", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            try:
                item = self._q.get(timeout=POLL_S)
            except queue.Empty:
                if self._stop.is_set():
                    return
                continue
            if item is _DONE or self._stop.is_set():
                return
            try:
                self._consume(item)
            except BaseException as exc:  # noqa: BLE001 - raised in the render's thread by submit/close
                self._error = exc
                self._stop.set()
                return

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def submit(self, item: Any) -> None:
        self._raise()
        while not _put(self._q, item, self._stop):
            self._raise()
            raise RuntimeError("the writer thread stopped")  # pragma: no cover - stop is set only with an error

    def close(self) -> None:
        """Finish what was submitted; raise the worker's error."""
        if self._thread.is_alive() and not self._stop.is_set():
            _put(self._q, _DONE, self._stop)
        while self._thread.is_alive():
            self._thread.join(timeout=POLL_S)
        self._raise()

    def abort(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            self._thread.join(timeout=POLL_S)

    def __enter__(self) -> "BackgroundWriter":
        return self

    def __exit__(self, exc_type, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


__all__ = ["SpooledChunks", "read_ahead", "BackgroundWriter"]
