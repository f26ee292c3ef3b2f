"""Metrics agree with scikit-learn; top losses, confusion cells and K-Fold behave as documented."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from engine import evaluation
from engine.config import DataConfig, ModelConfig, TrainConfig

CLASSES = ["cat", "dog", "frog"]
# A known prediction set: 12 samples, every kind of mistake, one class never predicted right.
Y_TRUE = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
Y_PRED = np.array([0, 0, 1, 2, 1, 1, 1, 0, 1, 1, 0, 2])


def test_metrics_agree_with_scikit_learn():
    m = evaluation.classification_metrics(Y_TRUE, Y_PRED, CLASSES)
    p, r, f, s = precision_recall_fscore_support(Y_TRUE, Y_PRED, zero_division=0)
    assert m["accuracy"] == pytest.approx(accuracy_score(Y_TRUE, Y_PRED)) == pytest.approx(6 / 12)
    assert [row["class"] for row in m["per_class"]] == CLASSES
    assert [row["precision"] for row in m["per_class"]] == pytest.approx(p)
    assert [row["recall"] for row in m["per_class"]] == pytest.approx(r)
    assert [row["f1"] for row in m["per_class"]] == pytest.approx(f)
    assert [row["support"] for row in m["per_class"]] == list(s) == [4, 4, 4]
    for avg in ("macro", "weighted"):
        pa, ra, fa, _ = precision_recall_fscore_support(Y_TRUE, Y_PRED, average=avg, zero_division=0)
        got = m["averages"][avg]
        assert (got["precision"], got["recall"], got["f1"]) == pytest.approx((pa, ra, fa))
        assert got["support"] == 12
    assert m["confusion"] == confusion_matrix(Y_TRUE, Y_PRED).tolist() == [[2, 1, 1], [1, 3, 0], [1, 2, 1]]


def test_most_confused_lists_the_largest_off_diagonal_cells_first():
    m = evaluation.classification_metrics(Y_TRUE, Y_PRED, CLASSES)
    assert m["most_confused"][0] == {"true": "frog", "predicted": "dog", "count": 2}
    assert all(p["count"] == 1 for p in m["most_confused"][1:])
    assert len(m["most_confused"]) == 5  # five other off-diagonal cells hold one mistake each
    perfect = evaluation.classification_metrics(Y_TRUE, Y_TRUE, CLASSES)
    assert perfect["most_confused"] == [] and perfect["accuracy"] == 1.0


def test_a_class_absent_from_the_test_set_gets_zero_support_not_an_error():
    m = evaluation.classification_metrics(np.array([0, 0, 1]), np.array([0, 1, 1]), CLASSES)
    assert m["per_class"][2] == {"class": "frog", "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert np.array(m["confusion"]).shape == (3, 3)


def test_top_losses_are_the_mistakes_most_confidently_wrong_first():
    probs = np.array(
        [
            [0.9, 0.05, 0.05],  # right
            [0.3, 0.6, 0.1],  # wrong, p(true)=0.3
            [0.05, 0.9, 0.05],  # wrong, p(true)=0.05: the worst
            [0.2, 0.1, 0.7],  # wrong, p(true)=0.2
            [0.1, 0.1, 0.8],  # right (true 2)
        ]
    )
    y = np.array([0, 0, 0, 0, 2])
    assert evaluation.top_losses(probs, y).tolist() == [2, 3, 1]
    assert evaluation.top_losses(probs, y, k=2).tolist() == [2, 3]


def test_cell_indices_lists_one_cell_worst_first():
    probs = np.full((12, 3), 0.1)
    probs[np.arange(12), Y_PRED] = 0.8
    probs[9, 2] = 0.05  # sample 9 (true frog, predicted dog) is the more confident mistake
    assert evaluation.cell_indices(Y_TRUE, Y_PRED, 2, 1).tolist() == [8, 9]
    assert evaluation.cell_indices(Y_TRUE, Y_PRED, 2, 1, probs).tolist() == [9, 8]
    assert evaluation.cell_indices(Y_TRUE, Y_PRED, 0, 0).tolist() == [0, 1]
    assert evaluation.cell_indices(Y_TRUE, Y_PRED, 1, 2).tolist() == []


def test_a_picture_that_could_not_be_read_is_in_no_confusion_cell():
    # Picture 1 (true class 0) vanished before the test: its row is UNREAD, whose argmax says class 0.
    probs = np.full((12, 3), 0.1)
    probs[np.arange(12), Y_PRED] = 0.8
    probs[1] = evaluation.UNREAD
    y_pred = probs.argmax(1)
    assert y_pred[1] == 0 and Y_TRUE[1] == 0
    assert evaluation.cell_indices(Y_TRUE, y_pred, 0, 0, probs).tolist() == [0]  # not [0, 1]
    confusion = evaluation.scored(Y_TRUE, probs, ["cat", "dog", "frog"])["confusion"]
    assert confusion[0][0] == 1  # the cell's count and its pictures agree


@pytest.mark.parametrize("k", [2, 3, 5, 10])
def test_kfold_gives_k_distinct_stratified_folds_that_cover_every_sample_once(k):
    labels = np.repeat(np.arange(4), [10, 12, 20, 30])
    folds = evaluation.kfold_indices(labels, k, seed=1)
    assert len(folds) == k
    val = np.concatenate([va for _, va in folds])
    assert sorted(val.tolist()) == list(range(len(labels)))  # each sample validated exactly once
    assert len({tuple(sorted(va)) for _, va in folds}) == k
    for train, va in folds:
        assert set(train).isdisjoint(va) and len(train) + len(va) == len(labels)
        # stratified: every class is split as evenly as possible across the folds
        for c, n in enumerate(np.bincount(labels)):
            assert abs(np.sum(labels[va] == c) - n / k) < 1
    again = evaluation.kfold_indices(labels, k, seed=1)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again, strict=True))


def test_kfold_with_too_few_images_of_a_class_says_so():
    labels = np.array([0] * 10 + [1] * 2)
    with pytest.raises(ValueError, match="K=3 needs at least 3 samples of every class"):
        evaluation.kfold_indices(labels, 3)
    assert len(evaluation.kfold_indices(labels, 2)) == 2


def test_mean_std_is_the_population_statistic():
    values = [0.91, 0.95, 0.93, 0.97]
    assert evaluation.mean_std(values) == pytest.approx((np.mean(values), np.std(values)))


def test_kfold_run_validates_each_pool_image_once_and_reports_mean_std_of_its_folds():
    from dataclasses import replace

    from engine.data.registry import load_dataset
    from engine.train.run import run

    digits = load_dataset(DataConfig(dataset="digits"))
    small = replace(digits, train_images=digits.train_images[:400], train_labels=digits.train_labels[:400])
    events = []
    result = run(
        DataConfig(dataset="digits", val_split=0.2, seed=0),
        ModelConfig(arch="mlp"),
        TrainConfig(epochs=1, batch_size=128, kfold=3, device="cpu"),
        on_event=events.append,
        data=small,
    )
    fold_events = [e for e in events if e["event"] == "fold_end"]
    assert [e["fold"] for e in fold_events] == [1, 2, 3]
    pool = len(result.splits.train) + len(result.splits.val)
    val = np.concatenate([f["val_indices"] for f in result.folds])
    assert sorted(val.tolist()) == list(range(pool))
    kf = result.meta["kfold"]
    accs = [e["val_acc"] for e in fold_events]
    assert (kf["val_acc_mean"], kf["val_acc_std"]) == pytest.approx((np.mean(accs), np.std(accs)))
    assert {h["fold"] for h in result.history} == {1, 2, 3}


class _Model(torch.nn.Module):
    """Predicts from the mean pixel: enough to check plumbing, not learning."""

    def forward(self, x):
        m = x.mean(dim=(1, 2, 3))
        return torch.stack([-m, m, torch.zeros_like(m)], dim=1)


def test_evaluate_with_progress_matches_evaluate_and_reports_chunks():
    from engine.data.types import InputSpec

    spec = InputSpec(1, 4, 4, (0.5,), (0.25,))
    images = torch.randint(0, 256, (50, 1, 4, 4), dtype=torch.uint8)
    labels = torch.randint(0, 3, (50,))
    events = []
    metrics, probs = evaluation.evaluate_with_progress(
        _Model(), images, labels, spec, CLASSES, on_event=events.append, chunk=16
    )
    ref_metrics, ref_probs = evaluation.evaluate(_Model(), images, labels, spec, CLASSES)
    assert np.allclose(probs, ref_probs) and metrics == ref_metrics
    progress = [e for e in events if e["event"] == "progress"]
    counted = [(e["batch"], e["batches"]) for e in progress]  # paced by engine.throttle: first and last
    assert counted[0] == (1, 4) and counted[-1] == (4, 4) and counted == sorted(set(counted))
    stop = threading.Event()
    stop.set()
    assert evaluation.evaluate_with_progress(_Model(), images, labels, spec, CLASSES, stop=stop) is None
    with pytest.raises(evaluation.EvaluationError, match="empty"):
        evaluation.evaluate_with_progress(_Model(), images[:0], labels[:0], spec, CLASSES)


def test_evaluate_model_is_the_saved_split_checked_and_stoppable():
    from engine.data.registry import load_dataset
    from engine.data.splits import split_dataset
    from engine.errors import CheckpointError
    from engine.models.build import build_model

    digits = load_dataset(DataConfig(dataset="digits"))
    model = build_model("mlp", digits.spec, 10)
    meta = {
        "arch": "mlp",
        "classes": list(digits.classes),
        "spec": digits.spec.to_dict(),
        "dataset": "digits",
        "data_config": DataConfig(dataset="digits", val_split=0.3, seed=5).to_dict(),
    }
    result = evaluation.evaluate_model(model, meta, digits)
    test = split_dataset(digits, 0.3, 5).test
    assert torch.equal(result.test.labels, test.labels) and result.data_name == digits.name
    metrics, probs = evaluation.evaluate(model, test.images, test.labels, digits.spec, digits.classes)
    assert result.metrics == metrics and np.allclose(result.probabilities, probs)
    stop = threading.Event()
    stop.set()
    assert evaluation.evaluate_model(model, meta, digits, stop=stop) is None
    with pytest.raises(CheckpointError, match="classes"):
        evaluation.evaluate_model(model, {**meta, "classes": ["a", "b"]}, digits, name="m.pt")
    cfg = evaluation.data_config_for(meta, dataset="mnist", data_dir="/elsewhere")
    assert (cfg.dataset, cfg.data_dir, cfg.val_split, cfg.seed, cfg.download) == (
        "mnist",
        "/elsewhere",
        0.3,
        5,
        False,
    )
