"""Training engine: it learns, stops within a batch, is reproducible, survives NaN, two phases, K-Fold."""

import threading
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data.registry import load_dataset
from engine.data.splits import split_dataset
from engine.errors import NonFiniteLossError, TrainingError
from engine.models.build import build_model
from engine.train.loop import fit
from engine.train.run import run
from engine.train.state import FitState

DIGITS = DataConfig(dataset="digits")


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DIGITS)


def test_short_fit_on_digits_learns(digits):
    events = []
    result = run(DIGITS, ModelConfig(arch="cnn"), TrainConfig(epochs=2), on_event=events.append, data=digits)
    assert [h["epoch"] for h in result.history] == [1, 2]
    assert result.history[-1]["val_acc"] > 0.8  # chance is 0.1
    assert result.test["accuracy"] > 0.8
    assert result.history[1]["train_loss"] < result.history[0]["train_loss"]
    kinds = {e["event"] for e in events}
    assert {"progress", "epoch_end"} <= kinds
    epoch_end = [e for e in events if e["event"] == "epoch_end"][0]
    for key in ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"):
        assert isinstance(epoch_end[key], (int, float))
    assert result.meta["classes"] == [str(i) for i in range(10)]
    assert result.meta["history"][0]["val_acc"] == result.history[0]["val_acc"]


class CountingModel(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return self.inner(x)


def test_stop_takes_effect_within_one_batch(digits):
    splits = split_dataset(digits)
    model = CountingModel(build_model("mlp", digits.spec, 10))
    stop = threading.Event()
    calls_at_stop = []

    def on_event(e):
        if e["event"] == "progress" and e["batch"] == 3:
            stop.set()
            calls_at_stop.append(model.calls)

    state = FitState(
        spec=digits.spec,
        cfg=TrainConfig(epochs=50, batch_size=16),
        on_event=on_event,
        stop=stop,
        progress_interval=0,
    )
    history, stopped = fit(model, splits.train, splits.val, state)
    assert stopped and history == []
    assert model.calls == calls_at_stop[0]  # not one more batch after the request


def test_same_seed_same_history_other_seed_differs(digits):
    def losses(seed):
        r = run(replace(DIGITS, seed=seed), ModelConfig(arch="mlp"), TrainConfig(epochs=2), data=digits)
        return [(h["train_loss"], h["val_loss"], h["val_acc"]) for h in r.history]

    assert losses(3) == losses(3)
    assert losses(3) != losses(4)


class PoisonAfter(nn.Module):
    """Returns NaN logits from the ``n``-th forward pass on: a diverging run."""

    def __init__(self, inner, n):
        super().__init__()
        self.inner, self.n, self.calls = inner, n, 0

    def forward(self, x):
        self.calls += 1
        out = self.inner(x)
        return out * float("nan") if self.training and self.calls >= self.n else out


def test_nan_loss_stops_with_named_error_and_keeps_last_good_weights(digits):
    splits = split_dataset(digits)
    batches = -(-len(splits.train) // 64)
    model = PoisonAfter(build_model("mlp", digits.spec, 10), n=batches + 3)  # in epoch 2
    after_epoch1 = {}

    def on_event(e):
        if e["event"] == "epoch_end":
            after_epoch1.update({k: v.clone() for k, v in model.state_dict().items()})

    state = FitState(spec=digits.spec, cfg=TrainConfig(epochs=3), on_event=on_event, progress_interval=0)
    with pytest.raises(NonFiniteLossError, match="epoch 2"):
        fit(model, splits.train, splits.val, state)
    for k, v in model.state_dict().items():
        assert torch.equal(v, after_epoch1[k]), k
        assert torch.isfinite(v.float()).all()


def test_two_phase_unfreezes_at_the_right_epoch(digits):
    events = []
    model_cfg = ModelConfig(arch="cnn", frozen=("features",))
    train_cfg = TrainConfig(epochs=3, unfreeze_after=2, finetune_lr_factor=0.1, lr=1e-3)
    result = run(DIGITS, model_cfg, train_cfg, on_event=events.append, data=digits)
    phase = [e for e in events if e["event"] == "phase"]
    assert len(phase) == 1 and phase[0]["epoch"] == 3
    assert [h["phase"] for h in result.history] == [1, 1, 2]
    assert result.history[2]["lr"] == pytest.approx(1e-4)
    assert result.meta["frozen"] == []


def test_frozen_layers_do_not_change_while_the_rest_trains(digits):
    torch.manual_seed(0)
    splits = split_dataset(digits)
    model = build_model("cnn", digits.spec, 10)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    state = FitState(spec=digits.spec, cfg=TrainConfig(epochs=1), frozen=("features",), head=("classifier",))
    fit(model, splits.train, splits.val, state)
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before if k.startswith("features"))
    assert any(not torch.equal(before[k], after[k]) for k in before if not k.startswith("features"))


def test_all_frozen_is_a_clear_error(digits):
    with pytest.raises(TrainingError, match="frozen"):
        run(
            DIGITS,
            ModelConfig(arch="mlp", frozen=("0", "1", "2", "3", "4", "5", "6")),
            TrainConfig(epochs=1),
            data=digits,
        )


def test_kfold_trains_k_models_on_disjoint_folds(digits):
    events = []
    result = run(
        DIGITS, ModelConfig(arch="mlp"), TrainConfig(epochs=1, kfold=3), on_event=events.append, data=digits
    )
    assert len(result.folds) == 3
    folds = [set(f["val_indices"]) for f in result.folds]
    assert all(a.isdisjoint(b) for i, a in enumerate(folds) for b in folds[i + 1 :])
    splits = split_dataset(digits)
    assert sum(len(f) for f in folds) == len(splits.train) + len(splits.val)
    accs = [f["val_acc"] for f in result.folds]
    assert result.meta["kfold"]["val_acc_mean"] == pytest.approx(np.mean(accs))
    assert result.meta["kfold"]["val_acc_std"] == pytest.approx(np.std(accs))
    assert [e["fold"] for e in events if e["event"] == "fold_end"] == [1, 2, 3]


def test_kfold_stop_ends_across_folds(digits):
    stop = threading.Event()

    def on_event(e):
        if e["event"] == "fold_end":
            stop.set()

    result = run(
        DIGITS,
        ModelConfig(arch="mlp"),
        TrainConfig(epochs=1, kfold=4),
        on_event=on_event,
        stop=stop,
        data=digits,
    )
    assert result.stopped and len(result.folds) == 1


def test_unknown_frozen_layer_is_a_clear_error(digits):
    with pytest.raises(TrainingError, match="no layer"):
        run(DIGITS, ModelConfig(arch="cnn", frozen=("layer3",)), TrainConfig(epochs=1), data=digits)


def test_run_with_nan_loss_returns_the_last_good_model_and_the_reason(digits, monkeypatch):
    import engine.train.run as training

    splits = split_dataset(digits)
    batches = -(-len(splits.train) // 64)
    model = build_model("mlp", digits.spec, 10)
    calls = []

    def poison(module, inputs, output):  # a hook keeps the model's own layer names
        calls.append(1)
        return output * float("nan") if module.training and len(calls) >= batches + 3 else output

    model.register_forward_hook(poison)
    monkeypatch.setattr(training, "build_for_run", lambda *a, **k: model)
    result = run(DIGITS, ModelConfig(arch="mlp"), TrainConfig(epochs=3), data=digits)
    assert result.error and "epoch 2" in result.error
    assert len(result.history) == 1 and result.stopped
    assert all(torch.isfinite(v.float()).all() for v in result.model.state_dict().values())
    assert result.test is not None  # the kept model is evaluated like any other


class _Tripwire(nn.Module):
    """Asks to stop as the batch passes it: forward (``when="forward"``) or in the backward pass."""

    def __init__(self, stop: threading.Event, when: str):
        super().__init__()
        self.stop, self.when = stop, when

    def forward(self, x):
        if self.when == "forward":
            self.stop.set()
            return x
        return _SetOnBackward.apply(x, self.stop)


class _SetOnBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, stop):
        ctx.stop = stop
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        ctx.stop.set()
        return grad, None


@pytest.mark.parametrize("when", ["forward", "backward"])
def test_stop_ends_a_batch_at_the_next_layer_not_the_next_batch(digits, when):
    """One batch of a big model on a CPU takes seconds: Stop must not wait for its end."""
    splits = split_dataset(digits)
    stop = threading.Event()
    first, last = nn.Linear(28 * 28, 32), nn.Linear(32, 10)
    model = nn.Sequential(nn.Flatten(), first, nn.ReLU(inplace=True), _Tripwire(stop, when), last)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ran_after = []
    last.register_forward_hook(lambda *_: ran_after.append("last"))
    state = FitState(spec=digits.spec, cfg=TrainConfig(epochs=2, precision="fp32"), stop=stop)
    history, stopped = fit(model, splits.train, splits.val, state)
    assert stopped and history == []
    if when == "forward":
        assert ran_after == []  # the layer after the request never ran
    else:
        assert first.weight.grad is None  # the backward pass stopped before the first layer's part
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k  # no optimizer step: the weights of the last finished one
