"""Mixed precision and layout (engine.precision) and training threads (engine.threads)."""

from __future__ import annotations

import os

import pytest
import torch

from engine import precision, threads
from engine.checkpoints import read_payload, save_checkpoint
from engine.cli_args import build_parser, configs_from_args
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data.registry import load_dataset
from engine.data.transforms import normalise
from engine.data.types import InputSpec
from engine.errors import ConfigError
from engine.evaluation import evaluate_model, predict_probabilities
from engine.models.build import build_model
from engine.train.run import run

DIGITS = DataConfig(dataset="digits")


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DIGITS)


@pytest.fixture
def native_bf16(monkeypatch):
    """Pretend the CPU has (or lacks) native bfloat16; returns a setter."""

    def pretend(value: bool) -> None:
        monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: value)

    return pretend


def test_auto_is_float32_on_a_cpu_without_native_bf16(native_bf16, monkeypatch):
    native_bf16(False)
    monkeypatch.setattr(precision, "is_x86", lambda: True)
    chosen = precision.resolve("auto", "cpu")
    # float32, in the channels-last layout oneDNN's float32 convolutions run faster in on x86
    assert (chosen.name, chosen.dtype, chosen.channels_last) == ("fp32", None, True)
    assert not chosen.mixed and chosen.scaler() is None
    assert chosen.describe() == "float32, channels-last"
    # an MLP: nothing to lay out
    assert precision.resolve("auto", "cpu", convolutional=False) == precision.FP32
    assert precision.resolve("fp32", "cpu") == precision.FP32  # "off" is the plain NCHW of earlier versions
    monkeypatch.setattr(precision, "is_x86", lambda: False)  # Arm: its layouts were never measured here
    assert precision.resolve("auto", "cpu") == precision.FP32


def test_float32_channels_last_trains_like_nchw_and_is_recorded(
    digits, one_torch_thread, native_bf16, monkeypatch
):
    """auto on an x86 CPU without bfloat16: the same float32 arithmetic in another memory order."""
    native_bf16(False)
    monkeypatch.setattr(precision, "is_x86", lambda: True)
    results = {}
    for name in ("fp32", "auto"):
        cfg = TrainConfig(epochs=1, device="cpu", precision=name)
        results[name] = run(DIGITS, ModelConfig(arch="cnn"), cfg, data=digits)
    plain, auto = results["fp32"], results["auto"]
    assert (plain.meta["precision"], plain.meta["channels_last"]) == ("fp32", False)
    assert (auto.meta["precision"], auto.meta["channels_last"]) == ("fp32", True)
    # Summation order differs in the last bits only: one epoch lands on the same test accuracy, or
    # within two of the 360 test images.
    assert abs(auto.test["accuracy"] - plain.test["accuracy"]) <= 2 / 360
    assert auto.model.features.block2.conv.weight.is_contiguous()  # saved and drawn on as before
    # The Evaluation tab and `main.py evaluate` test it again in the layout it was tested in.
    again = evaluate_model(auto.model, auto.meta, digits)
    assert again.metrics["confusion"] == auto.test["confusion"]


def test_auto_is_bf16_channels_last_on_a_cpu_with_it(native_bf16):
    native_bf16(True)
    chosen = precision.resolve("auto", "cpu")
    assert (chosen.name, chosen.dtype, chosen.channels_last) == ("bf16", torch.bfloat16, True)
    assert chosen.scaler() is None  # bfloat16 has float32's range: no gradient scaling
    assert precision.resolve("fp32", "cpu") == precision.FP32


def test_auto_keeps_a_fully_connected_model_in_float32_on_the_cpu(native_bf16, tmp_path):
    """bfloat16 autocast slowed an MLP's step 1.5-2x here: auto leaves it in float32."""
    native_bf16(True)
    assert precision.resolve("auto", "cpu", convolutional=False) == precision.FP32
    assert precision.resolve("bf16", "cpu", convolutional=False).name == "bf16"  # asked for: given
    result = run(
        DIGITS, ModelConfig(arch="mlp"), TrainConfig(epochs=1, device="cpu"), data=load_dataset(DIGITS)
    )
    assert result.meta["precision"] == "fp32"


@pytest.mark.filterwarnings("ignore:.*GradScaler is enabled, but CUDA is not available")
def test_fp16_on_a_cpu_falls_back_and_cuda_gets_a_scaler(native_bf16):
    native_bf16(False)
    assert precision.resolve("fp16", "cpu").name == "fp32"
    gpu = precision.Precision("fp16", "cuda", True)
    assert isinstance(gpu.scaler(), torch.amp.GradScaler)


def test_detection_reads_cpu_flags_not_the_model_name():
    # Whatever this machine is, the answer is a bool computed without errors, and auto follows it.
    native = precision.cpu_has_native_bf16()
    assert isinstance(native, bool)
    assert precision.resolve("auto", "cpu").name == ("bf16" if native else "fp32")


def test_precision_is_a_checked_option_of_config_and_cli():
    with pytest.raises(ConfigError, match="precision"):
        TrainConfig(precision="fp8")
    args = build_parser().parse_args(["train", "--precision", "fp32"])
    assert configs_from_args(args)[2].precision == "fp32"
    assert configs_from_args(build_parser().parse_args(["train"]))[2].precision == "auto"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--precision", "half"])


def test_layout_is_channels_last_inside_and_contiguous_after():
    model = build_model("cnn", InputSpec(channels=1, height=28, width=28, mean=(0.5,), std=(0.5,)), 10)
    conv = model.features.block2.conv.weight  # 32 input channels: the layouts differ
    with precision.Precision("bf16", "cpu", True).layout(model):
        assert conv.is_contiguous(memory_format=torch.channels_last)
        assert not conv.is_contiguous()
    assert conv.is_contiguous()
    assert model.features.block2.conv.weight is conv  # the same parameter: optimizers keep working


def test_layout_inside_inference_mode_leaves_ordinary_weights():
    """Evaluation re-lays the model inside inference_mode; Grad-CAM needs a backward pass after it."""
    model = build_model("cnn", InputSpec(channels=1, height=28, width=28, mean=(0.5,), std=(0.5,)), 10)
    with torch.inference_mode(), precision.Precision("bf16", "cpu", True).layout(model):
        model.eval()(torch.zeros(1, 1, 28, 28).contiguous(memory_format=torch.channels_last))
    tensors = [*model.parameters(), *model.buffers()]
    assert not any(t.is_inference() for t in tensors)
    model(torch.zeros(1, 1, 28, 28)).sum().backward()


def test_bf16_matches_fp32_accuracy_and_is_recorded(digits, one_torch_thread, tmp_path):
    """One seed of the CNN on the built-in digits; the bench runs three seeds and five epochs."""
    results = {}
    for name in ("fp32", "bf16"):
        cfg = TrainConfig(epochs=2, device="cpu", precision=name)
        results[name] = run(DIGITS, ModelConfig(arch="cnn"), cfg, data=digits)
    fp32, bf16 = results["fp32"], results["bf16"]
    assert fp32.meta["precision"] == "fp32" and bf16.meta["precision"] == "bf16"
    assert fp32.test["accuracy"] > 0.9
    assert abs(bf16.test["accuracy"] - fp32.test["accuracy"]) <= 0.02  # 7 of the 360 test images
    # Evaluating the model again (the Evaluation tab, `main.py evaluate`) uses its own precision.
    again = evaluate_model(bf16.model, bf16.meta, digits)
    assert again.metrics["confusion"] == bf16.test["confusion"]
    # Saved weights are float32 and plain (contiguous) whatever the run computed in.
    path = save_checkpoint(tmp_path / "bf16.pt", bf16.model, bf16.meta)
    payload = read_payload(path)
    assert payload["meta"]["precision"] == "bf16"
    assert payload["meta"]["train_config"]["precision"] == "bf16"
    for tensor in payload["state_dict"].values():
        assert tensor.dtype in (torch.float32, torch.int64) and tensor.is_contiguous()


def test_canvas_predictions_stay_float32(digits):
    model = build_model("cnn", digits.spec, 10).eval()
    images = digits.train_images[:8]
    default = predict_probabilities(model, images, digits.spec)
    with torch.inference_mode():
        plain = torch.softmax(model(normalise(images, digits.spec)), dim=1).numpy()
    assert (default == plain).all()  # the default path is exactly float32, bit for bit
    mixed = predict_probabilities(
        model, images, digits.spec, precision=precision.Precision("bf16", "cpu", True)
    )
    assert abs(mixed - plain).max() < 0.05
    assert model.features.block2.conv.weight.is_contiguous()


def test_threads_are_the_usable_physical_cores(tmp_path, monkeypatch):
    # Two logical CPUs per core (hyper-threads) on one package: cpus 0-3 are two cores.
    for cpu, core in enumerate((0, 0, 1, 1)):
        topology = tmp_path / f"cpu{cpu}" / "topology"
        topology.mkdir(parents=True)
        (topology / "physical_package_id").write_text("0\n")
        (topology / "core_id").write_text(f"{core}\n")
    assert threads.physical_cores({0, 1, 2, 3}, tmp_path) == 2
    assert threads.physical_cores({0, 1}, tmp_path) == 1  # an affinity mask of one core's threads
    assert threads.physical_cores({7}, tmp_path) == 1  # no topology files: count logical CPUs
    monkeypatch.setattr(threads, "allowed_cpus", lambda: {0, 1, 2, 3})
    monkeypatch.setattr(threads, "SYSFS_CPU", tmp_path)
    monkeypatch.setattr(threads, "physical_cores", lambda cpus, sysfs=tmp_path: 2)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert threads.training_threads() == 2
    assert threads.training_threads(leave_free=1) == 1
    assert threads.training_threads(leave_free=5) == 1  # never below one
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert threads.training_threads(leave_free=1) == 3  # the user's explicit setting wins


def test_allowed_cpus_without_sched_getaffinity(monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert threads.allowed_cpus() == set(range(6))


def test_use_training_threads_sets_torch(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    try:
        assert threads.use_training_threads() == 1
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_the_form_has_the_precision_choice_in_advanced(qtbot, tmp_path):
    # Qt only for this test: the window's form sends the same TrainConfig field as --precision.
    from PySide6.QtCore import QSettings  # deferred: the engine tests above run without Qt

    from gui.model.model_panel import ModelPanel  # deferred: as above

    panel = ModelPanel()
    qtbot.addWidget(panel)
    combo = panel.precisionCombo
    assert combo.currentData() == "auto" and panel.train_config().precision == "auto"
    assert combo.parent() is panel.advancedGroup
    combo.setCurrentIndex(combo.findData("fp32"))
    assert panel.train_config().precision == "fp32"
    settings = QSettings(str(tmp_path / "taller.ini"), QSettings.Format.IniFormat)
    panel.save_settings(settings)
    again = ModelPanel()
    qtbot.addWidget(again)
    again.restore_settings(settings)
    assert again.precisionCombo.currentData() == "fp32"


def test_gradient_scaling_trains_like_plain_steps(digits, monkeypatch, one_torch_thread):
    # The float16 GPU path steps through a GradScaler; on the CPU one runs the same code. A power-of-two
    # scale is undone exactly, so the run matches the unscaled one.
    plain = run(
        DIGITS, ModelConfig(arch="mlp"), TrainConfig(epochs=1, device="cpu", precision="fp32"), data=digits
    )
    monkeypatch.setattr(
        precision.Precision, "scaler", lambda self: torch.amp.GradScaler("cpu", init_scale=1024.0)
    )
    scaled = run(
        DIGITS, ModelConfig(arch="mlp"), TrainConfig(epochs=1, device="cpu", precision="fp32"), data=digits
    )
    assert scaled.history[0]["train_loss"] == pytest.approx(plain.history[0]["train_loss"], rel=1e-4)
    assert scaled.test["accuracy"] == pytest.approx(plain.test["accuracy"], abs=0.01)
