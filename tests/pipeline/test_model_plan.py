"""Models on first use: one error listing every missing model of a run, one command that pulls them,
`models pull` forms and file lists checked with no network, --include adding, hashes recorded."""
from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli_helpers import run_main as _cli
from t2vz_edit.engine.models.pull import PullItem, choose_pull_files
from t2vz_edit.engine.models.store import MANIFEST, entry_dir, import_model, sha256_file
from t2vz_edit.media.synth import make_clip
from t2vz_edit.pipeline.model_plan import models_needed
from t2vz_edit.spec.edit_spec import ControlSpec, EditSpec

# Abridged file lists of the public repos the defaults name (one of each kind of file).
DEPTH_FILES = [".gitattributes", "README.md", "config.json", "model.safetensors", "preprocessor_config.json"]
ANNOTATOR_FILES = ["README.md", "body_pose_model.pth", "hand_pose_model.pth", "facenet.pth", "table5_pidinet.pth",
                   "ControlNetHED.pth", "dpt_hybrid-midas-501f0c75.pt", "sk_model.pth"]
LORA_FILES = [".gitattributes", "README.md", "pytorch_lora_weights.safetensors", "image.png"]
RUN_MODELS = ["stable-diffusion-v1-5/stable-diffusion-v1-5", "lllyasviel/control_v11p_sd15_openpose",
              "lllyasviel/Annotators", "lllyasviel/control_v11f1p_sd15_depth",
              "depth-anything/Depth-Anything-V2-Small-hf", "latent-consistency/lcm-lora-sdv1-5", "madebyollin/taesd"]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return Path(make_clip(tmp_path_factory.mktemp("plan") / "shot.mov", frames=4, width=64, height=48))


def _nothing_slow(monkeypatch):
    """Decoding or loading a model during the check is a failure."""
    def refuse(*a, **k):
        raise AssertionError("decoded or loaded before the models were checked")

    monkeypatch.setattr("t2vz_edit.engine.models.loading.load_parts", refuse)
    monkeypatch.setattr("t2vz_edit.pipeline.restyle.iter_chunks", refuse)
    monkeypatch.setattr("t2vz_edit.pipeline.restyle.compute_conditions", refuse)


def _pull_command(err: str) -> list[str]:
    return shlex.split(re.search(r"`(t2vz-edit models pull [^`]*)`", err).group(1))[1:]


def test_offline_restyle_is_one_error_naming_every_missing_model_and_one_command(clip, capsys, monkeypatch):
    _nothing_slow(monkeypatch)
    code, _, err = _cli(capsys, "restyle", clip, "-p", "a bronze statue", "-c", "pose,depth", "--draft",
                        "--progress", "none")
    assert code == 1 and err.count("\n") == 1 and err.startswith("error: offline")
    assert all(name in err for name in RUN_MODELS), err
    assert "body_pose_model.pth" in err
    assert _pull_command(err) == ["models", "pull", "--for", "restyle", "-c", "pose,depth", "--draft"]
    assert not list(clip.parent.glob("shot.*.mov"))


def test_the_suggested_command_pulls_exactly_the_missing_models(clip, capsys, monkeypatch):
    """The pull command of the error, run with --dry-run: no network, every missing model and its files."""
    _nothing_slow(monkeypatch)
    code, _, err = _cli(capsys, "restyle", clip, "-p", "a bronze statue", "-c", "pose,depth", "--draft",
                        "--progress", "none")
    code, out, _ = _cli(capsys, *_pull_command(err), "--dry-run")
    assert code == 0
    planned = dict(re.findall(r"would pull (\S+): (.*)", out))
    assert sorted(planned) == sorted(RUN_MODELS)
    assert planned["lllyasviel/Annotators"] == "default files + body_pose_model.pth"
    # the files each item gets from its repo: weights always, the annotator's .pth on top
    assert choose_pull_files(ANNOTATOR_FILES, include=PullItem.parse("lllyasviel/Annotators:body_pose_model.pth")
                             .include) == ["body_pose_model.pth"]
    assert "model.safetensors" in choose_pull_files(DEPTH_FILES)
    assert choose_pull_files(LORA_FILES, include=("*.safetensors",)) == ["pytorch_lora_weights.safetensors"]


def test_preset_run_suggests_pull_preset(clip, capsys, monkeypatch):
    _nothing_slow(monkeypatch)
    code, _, err = _cli(capsys, "restyle", clip, "--preset", "anime", "--progress", "none")
    assert code == 1 and _pull_command(err) == ["models", "pull", "--preset", "anime"]
    code, out, _ = _cli(capsys, "models", "pull", "--preset", "anime", "--dry-run")
    assert "lllyasviel/Annotators: default files + table5_pidinet.pth" in out  # anime's softedge


def test_models_outside_the_short_forms_are_named_by_id(tmp_path):
    spec = EditSpec(mode="controlnet", prompt="x", model="someone/dreamshaper",
                    controls=(ControlSpec("softedge", params=(("backend", "hed"),)),))
    plan = models_needed([spec, EditSpec(mode="instruct", instruction="y")])
    assert plan.command == ("t2vz-edit models pull someone/dreamshaper lllyasviel/control_v11p_sd15_softedge "
                            "lllyasviel/Annotators:ControlNetHED.pth timbrooks/instruct-pix2pix")


def test_a_present_model_is_not_missing_and_a_partial_annotator_folder_is(tmp_path, tiny_models):
    import_model(tiny_models["sd"], "stable-diffusion-v1-5/stable-diffusion-v1-5")
    annotators = entry_dir("lllyasviel/Annotators")
    annotators.mkdir(parents=True)
    (annotators / "table5_pidinet.pth").write_bytes(b"x")
    spec = EditSpec(mode="controlnet", prompt="x", controls=(ControlSpec("pose"),))
    missing = {m.source: m.files for m in models_needed([spec]).missing}
    assert missing == {"lllyasviel/control_v11p_sd15_openpose": (), "lllyasviel/Annotators": ("body_pose_model.pth",)}


def test_include_adds_to_the_default_file_list():
    chosen = choose_pull_files(DEPTH_FILES, include=("preprocessor_config.json",))
    assert chosen == ["config.json", "model.safetensors", "preprocessor_config.json"]  # weights kept
    with pytest.raises(Exception, match="matches no file"):
        choose_pull_files(DEPTH_FILES, include=("nothere.bin",))
    assert PullItem.parse("a/b@v2:x.pth,y.json", include=("z.txt",)) == PullItem("a/b", "v2", ("x.pth", "y.json", "z.txt"))


def test_offline_pull_without_hf_hub_offline_fails_at_once_in_one_line(tmp_path):
    with socket.socket() as s:  # a port nobody listens on: connection refused, like a dead network
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
           and not k.lower().endswith("_proxy")}
    env.update(HF_ENDPOINT=f"http://127.0.0.1:{port}", T2VZ_MODEL_STORE=str(tmp_path / "store"))
    began = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "t2vz_edit", "models", "pull", "lllyasviel/control_v11p_sd15_canny"],
                       capture_output=True, text=True, env=env, timeout=25)
    took = time.monotonic() - began
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
    assert "no network" in r.stderr and "lllyasviel/control_v11p_sd15_canny" in r.stderr and "Retrying" not in r.stderr
    assert took < 15  # before: ~37 s of "Retrying in 8s" lines
    assert not (tmp_path / "store").exists()


def test_the_store_manifest_and_the_sidecar_record_revision_commit_and_hashes(clip, tiny_models, tmp_path):
    from t2vz_edit.media.sidecar import read_sidecar
    from t2vz_edit.pipeline.restyle import restyle

    entry = import_model(tiny_models["instruct"], "me/tiny-ip2p", revision="v1")
    manifest = json.loads((entry_dir("me/tiny-ip2p", "v1") / MANIFEST).read_text())
    unet = "unet/diffusion_pytorch_model.safetensors"
    assert manifest["revision"] == "v1" and "commit" in manifest
    assert manifest["files"][unet]["sha256"] == sha256_file(tiny_models["instruct"] / unet)
    result = restyle(clip, instruction="x", model="me/tiny-ip2p@v1", steps=1, size=64, frame_range="0+2",
                     output=tmp_path / "r.mov", score=False)
    base = read_sidecar(result.output)["provenance"]["model_files"]["base"]
    assert base["resolved"] == entry.path and base["revision"] == "v1" and "commit" in base
    assert base["sha256"][unet] == manifest["files"][unet]["sha256"]


def test_online_first_restyle_fetches_every_missing_model_in_one_download_then_runs(clip, tiny_models, tmp_path):
    """The real huggingface_hub code path against a local server standing in for the Hub (HF_ENDPOINT)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from fake_hub import COMMIT, FakeHub

    from t2vz_edit.media.sidecar import read_sidecar

    pipeline = tmp_path / "sd-repo"
    import shutil

    shutil.copytree(tiny_models["sd"], pipeline)
    (pipeline / "v1-5-pruned-emaonly.ckpt").write_bytes(b"pickled; never fetched")
    repos = {"stable-diffusion-v1-5/stable-diffusion-v1-5": pipeline,
             "lllyasviel/control_v11p_sd15_canny": tiny_models["controlnet"]}
    store = tmp_path / "store"
    with FakeHub(repos) as hub:
        env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
               and not k.lower().endswith("_proxy")}
        env.update(HF_ENDPOINT=hub.url, T2VZ_MODEL_STORE=str(store), HF_HOME=str(tmp_path / "hf"))
        r = subprocess.run([sys.executable, "-m", "t2vz_edit", "restyle", str(clip), "-p", "a statue", "-c", "canny",
                            "--steps", "1", "--size", "64", "--range", "0+2", "-o", str(tmp_path / "r.mov"),
                            "--progress", "json"], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    stages = [e["stage"] for e in events if e["event"] == "progress"]
    assert stages.index("download") < stages.index("load")
    downloads = [e for e in events if e.get("stage") == "download"]
    assert len({e["total"] for e in downloads}) == 1 and downloads[-1]["done"] == downloads[-1]["total"]  # one display
    assert not any(".ckpt" in q for q in hub.requests)
    for repo in repos:
        manifest = json.loads((store / repo.replace("/", "--") / MANIFEST).read_text())
        assert manifest["origin"] == "pull" and manifest["commit"] == COMMIT
    files = read_sidecar(tmp_path / "r.mov")["provenance"]["model_files"]
    assert files["base"]["commit"] == files["controlnet_canny"]["commit"] == COMMIT


def test_the_pull_error_keeps_the_whole_message():
    from t2vz_edit.engine.models.pull import _network_error

    cause = "HTTP 401 for https://huggingface.co/api/models/org/private-model: " + "detail " * 60 + "END"
    message = str(_network_error("org/private-model", RuntimeError(cause)))
    assert "END" in message and "\n" not in message  # was cut at 200 characters


def test_offline_timeline_is_one_error_before_any_clip_renders(clip, tmp_path, capsys, monkeypatch):
    import opentimelineio as otio

    _nothing_slow(monkeypatch)
    track = otio.schema.Track(name="V1")
    for name in ("a", "b"):
        track.append(otio.schema.Clip(name=name, media_reference=otio.schema.ExternalReference(
            target_url=otio.url_utils.url_from_filepath(str(clip))),
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(2, 24))))
    timeline = otio.schema.Timeline(name="cut")
    timeline.tracks.append(track)
    otio.adapters.write_to_file(timeline, str(tmp_path / "in.otio"))
    code, _, err = _cli(capsys, "timeline", "restyle", tmp_path / "in.otio", "-o", tmp_path / "out.otio", "--all",
                        "--preset", "anime", "--offline", "--progress", "none")
    assert code == 1 and err.count("\n") == 1, err
    assert "lllyasviel/Annotators (table5_pidinet.pth)" in err and "stable-diffusion-v1-5/stable-diffusion-v1-5" in err
    assert not (tmp_path / "out.otio").exists() and not list(tmp_path.glob("renders/*.mov"))


def test_behind_a_proxy_the_direct_connection_check_is_skipped(monkeypatch):
    from t2vz_edit.engine.hub import check_network

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    for name in [k for k in os.environ if k.lower().endswith("_proxy")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HF_ENDPOINT", "http://no-such-host.invalid")
    with pytest.raises(Exception, match="no network"):
        check_network("x/y", timeout_sec=2)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    check_network("x/y", timeout_sec=2)  # the proxy may reach what this machine cannot


def test_a_single_file_checkpoint_lists_its_tokenizer_in_the_same_error(tmp_path, tiny_models):
    """A .safetensors base brings no CLIP tokenizer: the one offline error names it beside the rest,
    instead of a second failed run after the first pull."""
    from t2vz_edit.engine.models.export import save_single_file

    bare = save_single_file(tiny_models["sd"], tmp_path / "bare" / "dreamshaper.safetensors")
    spec = EditSpec(mode="controlnet", prompt="x", model=str(bare), controls=(ControlSpec("canny"),))
    plan = models_needed([spec])
    missing = {m.role: m for m in plan.missing}
    assert missing["tokenizer"].source == "openai/clip-vit-large-patch14" and "controlnet_canny" in missing
    assert "openai/clip-vit-large-patch14" in str(plan.offline_error()) and "openai/clip-vit-large-patch14" in plan.command
    with_config = save_single_file(tiny_models["sd"], tmp_path / "cfg" / "dreamshaper.safetensors", with_config=True)
    spec = EditSpec(mode="controlnet", prompt="x", model=str(with_config), controls=(ControlSpec("canny"),))
    assert "tokenizer" not in {m.role for m in models_needed([spec]).missing}  # its .config/tokenizer is enough
