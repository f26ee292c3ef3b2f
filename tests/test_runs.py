"""Run folders: never overwritten, written as the run goes, and resumed to the same weights."""

import csv
import json
import threading

import pytest
import torch

from engine.checkpoints import load_checkpoint
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data.registry import load_dataset
from engine.errors import TrainingError
from engine.train import runner
from engine.train.run import run
from engine.train.runs import BEST, CONFIG, HISTORY, LAST, RunFolder, load_run, new_run_dir

DIGITS = DataConfig(dataset="digits", augment=True, seed=3)
MODEL = ModelConfig(arch="mlp")  # with dropout: the torch RNG state must come back too
pytestmark = pytest.mark.usefixtures("one_torch_thread")
# SGD with momentum and a cosine schedule: resuming must restore optimizer and schedule state too,
# and augmentation draws from the loop's generator, so its state must come back as well.
TRAIN = TrainConfig(epochs=4, optimizer="sgd", lr=0.05, schedule="cosine", batch_size=128, precision="fp32")


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DIGITS)


def stop_after(epoch: int) -> tuple[threading.Event, callable]:
    stop = threading.Event()

    def on_event(event):
        if event["event"] == "epoch_end" and event["epoch"] == epoch:
            stop.set()

    return stop, on_event


def test_new_run_dirs_count_up_and_never_reuse_a_folder(tmp_path):
    first = new_run_dir(tmp_path, "digits", "cnn")
    (first / "model.pt").write_bytes(b"old")
    second = new_run_dir(tmp_path, "digits", "cnn")
    assert (first.name, second.name) == ("digits-cnn-1", "digits-cnn-2")
    assert (first / "model.pt").read_bytes() == b"old"
    (tmp_path / "digits-cnn-7").mkdir()  # a gap or a hand-made folder: the next number is above it
    assert new_run_dir(tmp_path, "digits", "cnn").name == "digits-cnn-8"
    assert new_run_dir(tmp_path, f"folder:{tmp_path / 'My pets'}", "resnet18").name == "My_pets-resnet18-1"


def test_run_folder_holds_config_history_last_and_best(digits, tmp_path):
    folder = RunFolder(tmp_path / "run")
    result = run(DIGITS, MODEL, TrainConfig(epochs=2, precision="fp32"), data=digits, folder=folder)
    config = json.loads((folder.path / CONFIG).read_text())
    assert config["model_config"]["arch"] == "mlp" and config["train_config"]["epochs"] == 2
    rows = list(csv.reader((folder.path / HISTORY).open()))
    assert rows[0][:3] == ["fold", "epoch", "phase"] and [r[1] for r in rows[1:]] == ["1", "2"]
    best = max(result.history, key=lambda h: h["val_acc"])
    # Both checkpoints load as ordinary models (evaluate, predict, the window).
    assert load_checkpoint(folder.path / BEST).meta["history"][-1]["epoch"] == best["epoch"]
    last = load_checkpoint(folder.path / LAST)
    for k, v in result.model.state_dict().items():
        assert torch.equal(last.model.state_dict()[k], v), k


def test_two_epochs_then_resume_equals_four_straight(digits, tmp_path):
    straight = run(DIGITS, MODEL, TRAIN, data=digits)
    stop, on_event = stop_after(2)
    first = run(
        DIGITS, MODEL, TRAIN, data=digits, folder=RunFolder(tmp_path / "r"), on_event=on_event, stop=stop
    )
    assert first.stopped and len(first.history) == 2
    data_cfg, model_cfg, train_cfg, snapshot = load_run(tmp_path / "r")
    assert snapshot["epoch"] == 2 and train_cfg == TRAIN
    resumed = run(
        data_cfg, model_cfg, train_cfg, data=digits, folder=RunFolder(tmp_path / "r"), resume=snapshot
    )
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3, 4]
    for k, v in straight.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[k], v), k
    assert resumed.history[-1]["val_acc"] == straight.history[-1]["val_acc"]
    with pytest.raises(TrainingError, match="already finished all 4 epochs"):
        runner.resume(tmp_path / "r")


def test_resume_refuses_what_it_cannot_continue(tmp_path):
    with pytest.raises(TrainingError, match="not a run folder"):
        load_run(tmp_path)
    (tmp_path / CONFIG).write_text(json.dumps({"data_config": {}, "model_config": {}, "train_config": {}}))
    with pytest.raises(TrainingError, match="no epoch finished"):
        load_run(tmp_path)
