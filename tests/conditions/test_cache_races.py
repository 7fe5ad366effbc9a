"""Issue 16 item 4: two runs filling one cache key never delete each other's entry, and the
partials of dead runs are cleaned."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np

from t2vz_edit.conditions import compute_maps, make_annotator
from t2vz_edit.media.synth import make_clip

FIELDS = {"content": "race", "range": [0, 4], "long_side": 64}


def _chunks(clip, size, during=None):
    for start in range(0, len(clip), size):
        if during is not None and start:
            during()
        yield start, clip[start:start + size]


def test_entry_finished_by_another_run_meanwhile_is_kept_not_deleted(tmp_path, square_clip):
    clip = square_clip(frames=4)
    # "the other process": the same key computed elsewhere, then moved into place mid-run
    other = compute_maps(_chunks(clip, 1), make_annotator("canny"), source_fields=FIELDS, root=tmp_path / "other")
    target = tmp_path / "cache" / "canny" / other.key
    inodes = {}

    def other_finishes():
        if not target.exists():
            shutil.copytree(other.folder, target)
            inodes.update({p.name: p.stat().st_ino for p in target.iterdir()})

    mine = compute_maps(_chunks(clip, 2, other_finishes), make_annotator("canny"), source_fields=FIELDS,
                        root=tmp_path / "cache")
    # the other run's files are still the very same files (a reader of them is not broken) ...
    assert {p.name: p.stat().st_ino for p in target.iterdir()} == inodes
    # ... this run uses them, and its own partial is gone
    assert mine.chunks == [(0, 1), (1, 1), (2, 1), (3, 1)]
    assert np.array_equal(mine.array(), other.array())
    assert sorted(p.name for p in target.parent.iterdir()) == [other.key]


def test_partials_of_dead_runs_are_removed(tmp_path, square_clip):
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True).stdout)
    kind = tmp_path / "canny"
    kind.mkdir()
    (kind / f"0123abcd.partial-{dead}").mkdir()
    (kind / f"0123abcd.partial-{dead}" / "maps_000000000.npz").write_bytes(b"half")
    (kind / f"4567abcd.partial-{os.getppid()}").mkdir()   # a live run's: kept
    entry = compute_maps(_chunks(square_clip(frames=2), 2), make_annotator("canny"), source_fields=FIELDS,
                         root=tmp_path)
    assert sorted(p.name for p in kind.iterdir()) == sorted([f"4567abcd.partial-{os.getppid()}", entry.key])


def test_two_concurrent_conditions_runs_both_succeed(tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", frames=16, width=64, height=48)
    env = {**os.environ, "T2VZ_CACHE": str(tmp_path / "cache")}
    procs = [subprocess.Popen([sys.executable, "-m", "t2vz_edit", "conditions", clip, "-k", "canny", "-o",
                               str(tmp_path / f"maps{i}.mp4"), "--progress", "none"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    entries = list((tmp_path / "cache" / "canny").iterdir())
    assert len(entries) == 1 and (entries[0] / "manifest.json").is_file()
