"""Faults made to happen for real: each ends in one message and exit 1, never a traceback.

Unwritable places (a path under a file, a read-only folder), a disk that fills up midway, torch's
out-of-memory errors, a bug (traceback in a log file the message names), damaged checkpoint
metadata, non-finite losses in every training mode, stale extracted files and stalled downloads.
(Interrupts and the run folder's own safety are tested in the run-folder tests.)
"""

import errno
import gzip
import os
import socket
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import engine.report.exports as exports
from engine import errors
from engine.checkpoints import load_checkpoint, save_checkpoint
from engine.cli import main
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data import torchvision_sets
from engine.data.registry import clear_cache, load_dataset
from engine.data.types import digit_spec
from engine.errors import CheckpointError, ConfigError, DatasetError
from engine.models.build import build_model
from engine.train.run import run
from tests.helpers_data import IDX_NAMES, _idx_bytes, write_mnist_idx

CPU_OOM = (
    "[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate memory: you tried to "
    "allocate 34359738368 bytes. Error code 12 (Cannot allocate memory)"
)
CUDA_OOM = "CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 8.00 GiB"


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """An (untrained) digit checkpoint: enough to evaluate, predict and damage."""
    path = tmp_path_factory.mktemp("ckpt") / "model.pt"
    meta = {
        "arch": "mlp",
        "classes": [str(d) for d in range(10)],
        "spec": digit_spec().to_dict(),
        "preparation": "digit",
        "dataset": "digits",
    }
    save_checkpoint(path, build_model("mlp", digit_spec(), 10), meta)
    return path


def no_traceback(err: str) -> bool:
    return "Traceback" not in err and 'File "' not in err


# --- the one classification -------------------------------------------------------------------


def test_real_os_errors_become_advice(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError) as under_file:
        (blocker / "out").mkdir(parents=True)
    assert "is a file, not a folder" in errors.describe(under_file.value)
    with pytest.raises(OSError) as too_long:
        (tmp_path / ("n" * 300)).write_text("x")
    assert "too long" in errors.describe(too_long.value)
    full = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "model.pt"))
    assert errors.describe(full).startswith("The disk is full") and "model.pt" in errors.describe(full)
    denied = PermissionError(errno.EACCES, "Permission denied", "/x")
    assert "choose a folder you can write to" in errors.describe(denied)


@pytest.mark.parametrize(
    "exc, words",
    [
        (RuntimeError(CPU_OOM), ["computer ran out of memory", "34359738368 bytes", "smaller batch size"]),
        (torch.OutOfMemoryError(CUDA_OOM), ["GPU ran out of memory", "2.00 GiB", "train on the CPU"]),
        (MemoryError(), ["Out of memory"]),
        (
            RuntimeError("[enforce fail] PytorchStreamWriter failed writing file data/0"),
            ["could not be written"],
        ),
    ],
)
def test_memory_and_write_failures_are_expected(exc, words):
    message = errors.user_message(exc)
    assert message is not None and all(w in message for w in words), message


def test_a_bug_is_logged_and_the_message_names_the_log(tmp_path):
    try:
        {}["weights"]
    except KeyError as exc:
        message = errors.describe(exc)
    log = Path(message.split("the details are in ")[1].split(". Please")[0])
    assert message.startswith("Unexpected error (KeyError)") and "bug" in message
    assert log.parent == tmp_path / "logs" and "Traceback" in log.read_text()


# --- the command line -------------------------------------------------------------------------


def test_cli_bug_exits_1_with_a_log_not_a_traceback(checkpoint, monkeypatch, capsys):
    import engine.checkpoints

    monkeypatch.setattr(engine.checkpoints, "load_checkpoint", lambda *a, **k: {}["boom"])
    assert main(["evaluate", str(checkpoint)]) == 1
    err = capsys.readouterr().err
    assert "Unexpected error (KeyError)" in err and ".log" in err and no_traceback(err)


def test_cli_report_under_a_file(checkpoint, tmp_path, capsys):
    blocker = tmp_path / "taken"
    blocker.write_text("a file")
    assert main(["evaluate", str(checkpoint), "--report", str(blocker / "report")]) == 1
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and no_traceback(err)


def test_cli_report_in_a_read_only_folder(checkpoint, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as root: chmod does not stop writes (the path-under-a-file test covers it)")
        assert main(["evaluate", str(checkpoint), "--report", str(locked / "r")]) == 1
        err = capsys.readouterr().err
        assert "ermission denied" in err and no_traceback(err)
    finally:
        locked.chmod(0o700)


def test_cli_disk_full_midway_through_the_report(checkpoint, tmp_path, monkeypatch, capsys):
    written = []
    real = exports.write_csv

    def fills_up(path, rows):  # the first files fit, then the disk is full
        if written:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        written.append(path)
        return real(path, rows)

    monkeypatch.setattr(exports, "write_csv", fills_up)
    assert main(["evaluate", str(checkpoint), "--report", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert "disk is full" in err and "metrics.csv" in err and no_traceback(err)


@pytest.mark.parametrize("error", [RuntimeError(CPU_OOM), torch.OutOfMemoryError(CUDA_OOM)])
def test_cli_train_out_of_memory(error, tmp_path, monkeypatch, capsys):
    def forward(self, x):
        raise error

    monkeypatch.setattr(nn.Linear, "forward", forward)
    argv = ["train", "--model", "mlp", "--epochs", "1", "--out", str(tmp_path / "o")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Out of memory" in err and "smaller batch size" in err and no_traceback(err)


def test_cli_predict_out_of_memory_is_per_image(checkpoint, tmp_path, monkeypatch, capsys):
    from PIL import Image

    Image.new("L", (28, 28), 255).save(tmp_path / "a.png")
    monkeypatch.setattr(nn.Linear, "forward", lambda self, x: (_ for _ in ()).throw(RuntimeError(CPU_OOM)))
    assert main(["predict", str(checkpoint), str(tmp_path / "a.png")]) == 1
    err = capsys.readouterr().err
    assert "a.png" in err and "Out of memory" in err and no_traceback(err)


def test_a_folder_where_a_file_is_expected(checkpoint, tmp_path, capsys):
    assert main(["evaluate", str(tmp_path)]) == 1
    assert "a folder, not a checkpoint file" in capsys.readouterr().err
    assert main(["predict", str(checkpoint), str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "a folder, not an image file" in err and no_traceback(err)


def test_batch_size_limit_names_the_limit():
    with pytest.raises(ConfigError, match="batch size must be between 1 and 65536, not 70000"):
        TrainConfig(batch_size=70000)


# --- checkpoints ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value",
    [
        ("arch", 3),
        ("classes", "0123456789"),
        ("classes", [0, 1]),
        ("spec", {"channels": "one", "height": 28, "width": 28, "mean": [0.1], "std": [0.3]}),
        ("spec", {"channels": 1, "height": "28", "width": 28, "mean": [0.1], "std": [0.3]}),
        ("spec", [1, 28, 28]),
        ("frozen", "fc"),
        ("history", [1, 2]),
        ("history", [{"epoch": 1, "val_acc": "high"}]),
        ("test", [0.9]),
        ("data_config", "digits"),
        ("preparation", 7),
    ],
)
def test_damaged_metadata_names_the_field(checkpoint, tmp_path, field, value, capsys):
    payload = torch.load(checkpoint, weights_only=True)
    payload["meta"][field] = value
    damaged = tmp_path / "damaged.pt"
    torch.save(payload, damaged)
    with pytest.raises(CheckpointError, match=f"field '{field}'"):
        load_checkpoint(damaged)
    assert main(["evaluate", str(damaged)]) == 1
    err = capsys.readouterr().err
    assert f"'{field}'" in err and no_traceback(err)


def test_a_pickled_object_never_suggests_unsafe_loading(tmp_path, capsys):
    import datetime

    path = tmp_path / "objects.pt"
    torch.save({"when": datetime.date(2024, 1, 1)}, path)  # not allowed by weights_only loading
    assert main(["evaluate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "not a Taller checkpoint" in err and "weights_only" not in err and "could run code" in err


# --- non-finite training ----------------------------------------------------------------------


DIGITS = DataConfig(dataset="digits")


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DIGITS)


def poison_from(monkeypatch, call: int, model_number: int = 1):
    """The ``model_number``-th model built from now on (a fold's) returns NaN while training,
    from its ``call``-th forward pass on."""
    import engine.train.run as training

    real = training.build_for_run
    built = []

    def build(*args, **kwargs):
        model = real(*args, **kwargs)
        built.append(model)
        calls = []

        def hook(module, inputs, output):
            calls.append(1)
            bad = module.training and len(built) == model_number and len(calls) >= call
            return output * float("nan") if bad else output

        model.register_forward_hook(hook)
        return model

    monkeypatch.setattr(training, "build_for_run", build)


def test_nan_in_the_first_epoch_keeps_nothing_and_says_so(digits, monkeypatch, tmp_path, capsys):
    poison_from(monkeypatch, call=2)
    result = run(DIGITS, ModelConfig(arch="mlp"), TrainConfig(epochs=2), data=digits)
    assert not result.history and "no epoch finished" in result.error and "keeps" not in result.error
    poison_from(monkeypatch, call=2)  # the command line's own model
    assert main(["train", "--model", "mlp", "--epochs", "2", "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "no epoch finished" in err and "keeps" not in err and no_traceback(err)


def test_nan_validation_loss_is_a_failure_not_a_good_epoch(digits, monkeypatch):
    # Training batches stay finite; the model's eval-mode outputs (validation) become NaN in epoch 2.
    import engine.train.run as training

    real = training.build_for_run
    epochs = []

    def build(*args, **kwargs):
        model = real(*args, **kwargs)
        model.register_forward_hook(
            lambda m, i, out: out * float("nan") if not m.training and len(epochs) >= 1 else out
        )
        return model

    monkeypatch.setattr(training, "build_for_run", build)
    on_event = lambda e: epochs.append(e) if e["event"] == "epoch_end" else None  # noqa: E731
    result = run(DIGITS, ModelConfig(arch="mlp"), TrainConfig(epochs=3), data=digits, on_event=on_event)
    assert "validation loss became nan in epoch 2" in result.error
    assert [h["epoch"] for h in result.history] == [1] and "epoch 1" in result.error
    assert all(np.isfinite(h["val_loss"]) for h in result.history)


def test_two_phase_nan_in_phase_two_keeps_phase_one(digits, monkeypatch):
    # Poisoned by epoch, not by call count: phase one trains on the frozen layers' outputs computed
    # once, so the whole model's forward runs fewer times than there are batches.
    import engine.train.run as training

    real, ended = training.build_for_run, []

    def build(*args, **kwargs):
        model = real(*args, **kwargs)
        model.register_forward_hook(lambda m, i, out: out * float("nan") if m.training and ended else out)
        return model

    monkeypatch.setattr(training, "build_for_run", build)
    model_cfg = ModelConfig(arch="cnn", frozen=("features",))
    on_event = lambda e: ended.append(e) if e["event"] == "epoch_end" else None  # noqa: E731
    result = run(DIGITS, model_cfg, TrainConfig(epochs=2, unfreeze_after=1), data=digits, on_event=on_event)
    assert [h["phase"] for h in result.history] == [1]
    assert "epoch 2" in result.error and "keeps the weights of the last good epoch (epoch 1)" in result.error


def test_kfold_keeps_the_folds_finished_before_a_nan(digits, monkeypatch):
    poison_from(monkeypatch, call=3, model_number=2)  # fold 1 is clean, fold 2 diverges at once
    result = run(DIGITS, ModelConfig(arch="mlp"), TrainConfig(epochs=1, kfold=2), data=digits)
    assert len(result.folds) == 1 and result.meta["kfold"]["folds"][0]["fold"] == 1
    assert "fold 2" in result.error and "fold(s) finished before it are kept" in result.error
    assert result.test is not None
    assert all(torch.isfinite(v.float()).all() for v in result.model.state_dict().values())


def test_kfold_nan_on_the_command_line_saves_the_finished_folds(monkeypatch, tmp_path, capsys):
    poison_from(monkeypatch, call=3, model_number=2)
    out = tmp_path / "kfold"
    assert main(["train", "--model", "mlp", "--epochs", "1", "--kfold", "2", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "fold 2" in err and "kept" in err and str(out) in err and no_traceback(err)
    kept = load_checkpoint(out / "model.pt")
    assert [f["fold"] for f in kept.meta["kfold"]["folds"]] == [1]


# --- datasets on disk -------------------------------------------------------------------------


def test_replaced_gz_is_extracted_again(tmp_path):
    raw = write_mnist_idx(tmp_path, n_train=30, n_test=10)
    cfg = DataConfig(dataset="mnist", data_dir=str(tmp_path))
    first = load_dataset(cfg)
    clear_cache()
    labels = raw / f"{IDX_NAMES[1]}.gz"
    new = (np.arange(30) % 10)[::-1].astype(np.uint8).copy()
    labels.write_bytes(gzip.compress(_idx_bytes(new)))
    old = (raw / IDX_NAMES[1]).stat().st_mtime
    os.utime(labels, (old + 10, old + 10))  # the replacement is newer than the extracted copy
    again = load_dataset(cfg)
    clear_cache()
    assert not torch.equal(first.train_labels, again.train_labels)
    assert again.train_labels.tolist() == new.tolist()


def test_an_extracted_copy_of_the_wrong_size_is_extracted_again(tmp_path):
    raw = write_mnist_idx(tmp_path, n_train=30, n_test=10)
    cfg = DataConfig(dataset="mnist", data_dir=str(tmp_path))
    load_dataset(cfg)
    clear_cache()
    extracted = raw / IDX_NAMES[0]
    extracted.write_bytes(extracted.read_bytes()[: -28 * 28])  # a copy cut short, newer than its .gz
    assert len(load_dataset(cfg).train_labels) == 30
    clear_cache()


def test_stalled_download_times_out_and_keeps_nothing(tmp_path, monkeypatch):
    def stalls(root, train, download):
        part = Path(root) / "MNIST" / "raw" / "train-images-idx3-ubyte.gz"
        part.parent.mkdir(parents=True)
        part.write_bytes(b"\x1f\x8b half a file")
        assert socket.getdefaulttimeout() == torchvision_sets.DOWNLOAD_TIMEOUT
        raise urllib.error.URLError(TimeoutError("timed out"))

    monkeypatch.setitem(torchvision_sets._IDX_CLASSES, "mnist", stalls)
    with pytest.raises(DatasetError, match="no data for 30 s"):
        load_dataset(DataConfig(dataset="mnist", data_dir=str(tmp_path), download=True))
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # nothing that looks like a dataset
    assert socket.getdefaulttimeout() is None
