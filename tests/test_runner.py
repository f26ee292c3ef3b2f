"""The one runner: a locked run folder, honest resume, the same final files for every caller."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch

from engine.checkpoints import load_checkpoint
from engine.cli import main
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data.registry import load_dataset
from engine.errors import TrainingError
from engine.train import runner
from engine.train.lock import RunLock, RunLockedError, lock_path
from engine.train.request import RunRequest
from tests.helpers_data import write_image_folder

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
FAST = ["--dataset", "digits", "--model", "mlp", "--precision", "fp32"]
DIGITS = DataConfig(dataset="digits")
MLP = ModelConfig(arch="mlp")
pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DIGITS)


def stopped_run(folder: Path, digits, epochs=3, stop_at=1, **train) -> None:
    """A run of ``epochs`` stopped after epoch ``stop_at``, as Stop or Ctrl+C leave it."""
    stop = threading.Event()

    def on_event(event):
        if event["event"] == "epoch_end" and event["epoch"] == stop_at:
            stop.set()

    cfg = TrainConfig(epochs=epochs, precision="fp32", **train)
    result = runner.start(RunRequest(DIGITS, MLP, cfg, digits), on_event, stop, out=folder)
    assert result.stopped and len(result.history) == stop_at


def test_a_second_writer_is_refused_naming_the_folder_and_the_holder(tmp_path):
    folder = tmp_path / "run"
    with RunLock(folder):
        with pytest.raises(RunLockedError) as refused:
            RunLock(folder).__enter__()
        assert str(folder) in refused.value.message and f"process {os.getpid()}" in refused.value.message
    with RunLock(folder):  # released on the way out: the next run takes it
        pass
    assert not lock_path(folder).exists()  # nothing left beside the run


def test_a_dead_process_lock_is_taken_over_and_said(tmp_path, digits):
    folder = tmp_path / "run"
    lock_path(folder).write_text(json.dumps({"pid": 999_999, "host": "lab-pc"}))  # its process died
    events = []
    cfg = TrainConfig(epochs=1, precision="fp32")
    result = runner.start(RunRequest(DIGITS, MLP, cfg, digits), events.append, out=folder)
    assert result.test is not None and (folder / "model.pt").is_file()
    said = [e["message"] for e in events if e["event"] == "status"]
    assert any("process 999999 on lab-pc" in line for line in said)


def test_two_trainings_into_one_out_the_second_stops_at_once(tmp_path, capsys):
    out = tmp_path / "run"
    argv = [sys.executable, "main.py", "train", *FAST, "--epochs", "10000", "--out", str(out)]
    first = subprocess.Popen(
        argv, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        for line in first.stdout:  # the first is training
            if line.startswith("epoch 1/"):
                break
        assert main(["train", *FAST, "--epochs", "1", "--out", str(out)]) == 1
        err = capsys.readouterr().err
        assert f"{out} is being written by another training (process {first.pid}" in err
        assert "Traceback" not in err
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=120)
    assert first.returncode == 130
    config = json.loads((out / "config.json").read_text())
    assert config["train_config"]["epochs"] == 10000  # the first run's own files, intact
    assert load_checkpoint(out / "model.pt").meta["train_config"]["epochs"] == 10000


def test_resume_refuses_other_settings_and_names_each(tmp_path, digits):
    folder = tmp_path / "run"
    stopped_run(folder, digits)
    changes = {("train", "lr"): ("--lr 0.5", 0.5), ("model", "arch"): ("--model cnn", "cnn")}
    with pytest.raises(TrainingError) as refused:
        runner.resume(folder, changes=changes)
    message = refused.value.message
    assert "--lr 0.5 (the run has 0.001)" in message and "--model cnn (the run has mlp)" in message
    assert load_checkpoint(folder / "last.pt").meta["history"][-1]["epoch"] == 1  # untouched


def test_resume_with_more_epochs_continues_to_the_new_total(tmp_path, digits):
    folder = tmp_path / "run"
    stopped_run(folder, digits)
    events = []
    same = {("train", "lr"): ("--lr 0.001", 0.001)}  # what the run has already: no change
    result = runner.resume(folder, events.append, changes={**same, ("train", "epochs"): ("--epochs 4", 4)})
    assert [h["epoch"] for h in result.history] == [1, 2, 3, 4]
    replayed = [e for e in events if e["event"] == "epoch_end"]
    assert [e["epoch"] for e in replayed] == [1, 2, 3, 4] and replayed[0]["epochs"] == 4
    assert json.loads((folder / "config.json").read_text())["train_config"]["epochs"] == 4
    assert len(load_checkpoint(folder / "model.pt").meta["history"]) == 4


def test_more_epochs_are_refused_when_the_schedule_was_planned_for_fewer(tmp_path, digits):
    folder = tmp_path / "run"
    stopped_run(folder, digits, schedule="cosine")
    with pytest.raises(TrainingError, match="its cosine schedule was planned for 3 epochs"):
        runner.resume(folder, changes={("train", "epochs"): ("--epochs 6", 6)})
    with pytest.raises(TrainingError, match="already finished 1 epochs"):
        runner.resume(folder, changes={("train", "epochs"): ("--epochs 1", 1)})


def test_cli_resume_names_the_options_it_will_not_apply(tmp_path, digits, capsys):
    folder = tmp_path / "run"
    stopped_run(folder, digits)
    code = main(["train", "--resume", str(folder), "--model", "cnn", "--epochs", "1", "--lr", "0.5"])
    err = capsys.readouterr().err
    assert code == 1 and "--model cnn (the run has mlp)" in err and "--lr 0.5 (the run has 0.001)" in err
    assert "--epochs 1 (the run has already finished 1 epochs)" in err
    assert main(["train", "--resume", str(folder), "--out", str(tmp_path / "x")]) == 1
    assert "--out cannot be used with --resume" in capsys.readouterr().err
    assert main(["train", "--resume", str(folder), "--device", "cpu"]) == 0  # where it computes may change


def test_a_new_run_in_a_used_folder_leaves_none_of_the_old_runs_files(tmp_path, digits):
    folder = tmp_path / "run"
    stopped_run(folder, digits, epochs=3, stop_at=2)
    (folder / "model.pt").unlink()
    cfg = TrainConfig(epochs=1, precision="fp32", lr=0.0001)
    runner.start(RunRequest(DIGITS, MLP, cfg, digits), out=folder)
    for name in ("best.pt", "last.pt", "model.pt"):
        assert len(load_checkpoint(folder / name).meta["history"]) == 1, name


def test_a_small_photo_folder_from_random_weights_gets_the_imagenet_hint(tmp_path, digits):
    photos = write_image_folder(tmp_path / "photos", n_per_class=8, with_corrupt=False, with_text=False)
    data = load_dataset(DataConfig(dataset=f"folder:{photos}"))
    said = []

    def on_event(event):
        if event["event"] == "warning":
            said.append(event["message"])

    train = TrainConfig(epochs=1, precision="fp32")
    request = RunRequest(DataConfig(dataset=f"folder:{photos}"), MLP, train, data)
    runner.start(request, on_event, threading.Event(), out=tmp_path / "photo-run")
    assert any("24 photos" in line and "ImageNet weights (ResNet-18" in line for line in said)
    said.clear()  # digits are not photos: no hint
    runner.start(
        RunRequest(DIGITS, MLP, train, digits), on_event, threading.Event(), out=tmp_path / "digit-run"
    )
    assert not any("ImageNet" in line for line in said)


def test_pretrained_without_the_weights_is_an_error_before_any_data_loads(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # an empty torch cache
    loaded = []
    monkeypatch.setattr(runner, "load_dataset", lambda cfg: loaded.append(cfg))
    out = tmp_path / "run"
    code = main(["train", "--dataset", "digits", "--model", "resnet18", "--pretrained", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and "ImageNet weights for ResNet-18 are not on this computer" in err
    assert "import-weights resnet18" in err and not loaded  # said at once, never a random start


def test_every_run_says_where_its_weights_start(tmp_path, digits):
    events = []
    runner.start(RunRequest(DIGITS, MLP, TrainConfig(epochs=1, precision="fp32"), digits), events.append)
    assert "Starting from random weights" in [e.get("message") for e in events]


def test_a_write_that_fails_mid_run_never_ends_it_and_is_tried_again_at_the_end(
    tmp_path, digits, monkeypatch
):
    from engine import checkpoints

    real_save = checkpoints.torch.save
    failures = []

    def full_disk_once(payload, target):
        epoch = payload.get("training", {}).get("epoch")
        if epoch == 2 and not failures:  # torch.save's words for a full disk: a RuntimeError
            failures.append(epoch)
            raise RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed")
        return real_save(payload, target)

    monkeypatch.setattr(checkpoints.torch, "save", full_disk_once)
    events = []
    folder = tmp_path / "run"
    cfg = TrainConfig(epochs=3, precision="fp32")
    result = runner.start(RunRequest(DIGITS, MLP, cfg, digits), events.append, out=folder)
    assert failures == [2] and [h["epoch"] for h in result.history] == [1, 2, 3]  # the run went on
    assert load_checkpoint(folder / "last.pt").meta["history"][-1]["epoch"] == 3
    assert not [e for e in events if e["event"] == "warning"]  # epoch 3's write succeeded: nothing lost


def test_a_write_failure_left_at_the_end_says_what_is_kept_and_how_to_resume(tmp_path, digits, monkeypatch):
    from engine import checkpoints

    real_save = checkpoints.torch.save

    def full_from_epoch_2(payload, target):
        if payload.get("training", {}).get("epoch", 0) >= 2:
            raise RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed")
        return real_save(payload, target)

    monkeypatch.setattr(checkpoints.torch, "save", full_from_epoch_2)
    events = []
    cfg = TrainConfig(epochs=3, precision="fp32")
    result = runner.start(RunRequest(DIGITS, MLP, cfg, digits), events.append, out=tmp_path / "run")
    assert len(result.history) == 3 and (tmp_path / "run" / "model.pt").is_file()  # the final save
    (warning,) = [e["message"] for e in events if e["event"] == "warning"]
    assert "epoch 3 could not be written (is the disk full?)" in warning
    assert "last.pt holds epoch 1, which --resume continues" in warning and "Pytorch" not in warning


def test_damaged_imagenet_weights_are_an_error_before_any_data_loads(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    cached = tmp_path / "torch" / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"PK\x03\x04" + bytes(1000))  # a download cut short
    loaded = []
    monkeypatch.setattr(runner, "load_dataset", lambda cfg: loaded.append(cfg))
    code = main(
        ["train", "--dataset", "digits", "--model", "resnet18", "--pretrained", "--out", str(tmp_path / "r")]
    )
    err = capsys.readouterr().err
    assert code == 1 and not loaded  # said at once: loading a folder of photos took 50 s first
    assert f"{cached} cannot be read as ResNet-18 ImageNet weights" in err
    assert "import-weights resnet18 FILE" in err and "zip" not in err.lower()  # no PyTorch internals


def unique_bytes(folder: Path) -> int:
    """What a folder's checkpoints take on disk: a hard-linked file counts once."""
    files = {(p.stat().st_dev, p.stat().st_ino): p.stat().st_size for p in folder.glob("*.pt")}
    return sum(files.values())


def test_best_and_final_weights_of_the_same_epoch_are_stored_once(tmp_path, digits):
    folder = tmp_path / "run"
    cfg = TrainConfig(epochs=1, precision="fp32")
    runner.start(RunRequest(DIGITS, MLP, cfg, digits), out=folder)
    best, model, last = (folder / name for name in ("best.pt", "model.pt", "last.pt"))
    assert os.path.samefile(best, model)  # one file under two names
    assert unique_bytes(folder) < last.stat().st_size + model.stat().st_size * 1.2  # not three copies
    assert load_checkpoint(best).meta["history"] == load_checkpoint(model).meta["history"]
    for name in ("best.pt", "model.pt"):  # the optimizer's state is in last.pt only
        assert "training" not in torch.load(folder / name, weights_only=True)


def test_a_best_epoch_before_the_last_keeps_its_own_file(tmp_path, digits, monkeypatch):
    accuracies = iter([0.9, 0.5])  # epoch 1 is the best, epoch 2 the last

    def validate(*args, **kwargs):
        return 1.0, next(accuracies)

    monkeypatch.setattr("engine.train.loop.validate", validate)
    folder = tmp_path / "run"
    runner.start(RunRequest(DIGITS, MLP, TrainConfig(epochs=2, precision="fp32"), digits), out=folder)
    assert not os.path.samefile(folder / "best.pt", folder / "model.pt")
    assert len(load_checkpoint(folder / "best.pt").meta["history"]) == 1
    best, final = (load_checkpoint(folder / n).model.state_dict() for n in ("best.pt", "model.pt"))
    assert not all(torch.equal(best[k], final[k]) for k in best)
