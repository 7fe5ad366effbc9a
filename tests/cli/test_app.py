from __future__ import annotations

import json
import subprocess
import sys

import t2vz_edit


def run(*args):
    return subprocess.run([sys.executable, "-m", "t2vz_edit", *args], capture_output=True, text=True)


def test_version():
    r = run("--version")
    assert r.returncode == 0 and t2vz_edit.__version__ in r.stdout


def test_doctor_reports_device_codecs_and_adapters():
    r = run("doctor", "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["device"].startswith(("cpu", "cuda", "mps"))
    assert info["ffmpeg codecs"]["libx264"] == "encode"
    assert info["ffmpeg codecs"]["prores_ks"] == info["ffmpeg codecs"]["exr"] == "encode"
    assert {"cmx_3600", "fcp_xml", "fcpx_xml", "AAF", "otio_json"} <= set(info["otio adapters"])


def test_unknown_command_is_a_usage_error():
    r = run("no-such-command")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
