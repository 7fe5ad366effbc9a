"""In-process CLI calls for tests: the real ``t2vz_edit.cli.app.main``, its exit code and output."""
from __future__ import annotations

import pytest

from t2vz_edit.cli.app import main


def run_main(capsys, *args) -> tuple[int, str, str]:
    """Run ``t2vz-edit ARGS`` in this process: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exited:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return exited.value.code or 0, out, err
