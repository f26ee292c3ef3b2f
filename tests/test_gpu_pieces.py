"""GPU pieces tested on the CPU: the GradScaler's state resumes, running out of GPU memory (simulated)
ends the run with a batch size that fits, and the window hears the device and its memory."""

from __future__ import annotations

import io

import pytest
import torch

from engine.cli import main
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data.types import InputSpec, Subset
from engine.train import run as run_module
from engine.train.feed import device_facts
from engine.train.loop import validate
from engine.train.run import run
from engine.train.snapshot import capture, restore
from engine.train.state import FitState
from gui.model import model_panel
from gui.training.device_status import device_status


def test_gradscaler_state_is_saved_and_restored():
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    generator = torch.Generator().manual_seed(0)
    scaler = torch.amp.GradScaler("cpu", init_scale=512.0, growth_interval=7)
    buffer = io.BytesIO()
    torch.save(capture(2, 1, model, optimizer, None, generator, [], scaler), buffer)
    buffer.seek(0)
    snapshot = torch.load(buffer, weights_only=True)  # as last.pt is read
    fresh = torch.amp.GradScaler("cpu")
    restore(snapshot, model, optimizer, None, generator, fresh)
    assert fresh.get_scale() == 512.0 and fresh.get_growth_interval() == 7
    # A float32 run has no scaler: its snapshot says so, and restoring leaves a scaler alone.
    plain = capture(1, 1, model, optimizer, None, generator, [])
    assert plain["scaler"] is None
    restore(plain, model, optimizer, None, generator, fresh)
    assert fresh.get_scale() == 512.0


@pytest.fixture
def gpu_fills_up(monkeypatch):
    """Models that run out of "GPU memory" on training batches above 8 images once one epoch ended."""
    armed = {"on": False}
    build = run_module.build_for_run

    def flaky_build(*args, **kwargs):
        model = build(*args, **kwargs)
        forward = model.forward

        def limited(x):
            if armed["on"] and model.training and x.shape[0] > 8:
                raise torch.cuda.OutOfMemoryError(
                    "CUDA out of memory. Tried to allocate 2.00 GiB (simulated)"
                )
            return forward(x)

        model.forward = limited
        return model

    monkeypatch.setattr(run_module, "build_for_run", flaky_build)
    return armed


def test_out_of_gpu_memory_ends_the_run_naming_a_batch_size_that_fits(gpu_fills_up):
    def arm(event):
        if event["event"] == "epoch_end":
            gpu_fills_up["on"] = True

    cfg = TrainConfig(epochs=3, batch_size=32, precision="fp32")
    result = run(DataConfig(dataset="digits"), ModelConfig(arch="mlp"), cfg, on_event=arm)
    assert result.stopped and len(result.history) == 1  # epoch 1 kept, no crash
    assert "ran out of memory in epoch 2" in result.error and "--batch-size 8" in result.error


def test_cli_says_which_batch_size_fits_and_exits_non_zero(gpu_fills_up, tmp_path, capsys):
    gpu_fills_up["on"] = True
    argv = ["train", "--model", "mlp", "--epochs", "1", "--batch-size", "64", "--precision", "fp32"]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert "ran out of memory in epoch 1" in err and "--batch-size 8" in err and "Traceback" not in err


def test_epoch_events_name_the_device_and_the_window_shows_it(qtbot, monkeypatch):
    events = []
    run(
        DataConfig(), ModelConfig(arch="mlp"), TrainConfig(epochs=1, precision="fp32"), on_event=events.append
    )
    epoch = next(e for e in events if e["event"] == "epoch_end")
    assert epoch["device"] == "cpu" and "gpu_memory_mb" not in epoch
    assert device_status(epoch) == "Training on CPU"
    cuda = {"device": "cuda:0", "gpu_memory_mb": 812.4, "gpu_memory_peak_mb": 1204.0}
    assert "GPU (CUDA)" in device_status(cuda) and "812 MB" in device_status(cuda)
    assert device_facts(torch.device("cpu")) == {"device": "cpu"}
    monkeypatch.setattr(model_panel, "mps_available", lambda: True)
    panel = model_panel.ModelPanel()
    qtbot.addWidget(panel)
    assert panel.deviceCombo.findData("mps") >= 0


def test_validation_out_of_gpu_memory_halves_its_batches(monkeypatch):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10)).eval()
    images = torch.randint(0, 256, (300, 1, 8, 8), dtype=torch.uint8)
    subset = Subset(images, torch.randint(0, 10, (300,)))
    state = FitState(spec=InputSpec(1, 8, 8, (0.5,), (0.25,)), cfg=TrainConfig())
    criterion = torch.nn.CrossEntropyLoss()
    want = validate(model, subset, state, criterion)
    forward = model.forward

    def limited(x):
        if x.shape[0] > 100:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return forward(x)

    monkeypatch.setattr(model, "forward", limited)
    got = validate(model, subset, state, criterion)
    assert got[1] == want[1] and got[0] == pytest.approx(want[0], rel=1e-6)
