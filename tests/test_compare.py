"""Comparisons: a plan of variants runs through the one runner, stops and resumes, and says whether a
difference is real; the command line runs the same plan and writes the report."""

from __future__ import annotations

import csv
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from engine.compare import queue, stats
from engine.compare.estimate import run_seconds
from engine.compare.plan import Plan, Variant, estimate_seconds
from engine.compare.presets import expand, learning_rates, setting_variants
from engine.compare.queue import resume_plan, run_plan
from engine.compare.table import load_comparison, saved_predictions
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.errors import ConfigError
from engine.train import runner

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def lr_plan(epochs: int = 1, name: str = "rates", **more) -> Plan:
    """Three learning rates of an MLP on the built-in digits: a second or so per run."""
    variants = [Variant("slow", {"lr": 1e-4}), Variant("mid", {"lr": 1e-3}), Variant("fast", {"lr": 1e-2})]
    train = TrainConfig(epochs=epochs, precision="fp32", device="cpu")
    return Plan.from_configs(
        name, DataConfig(dataset="digits"), ModelConfig(arch="mlp"), train, variants, **more
    )


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A three-variant comparison run to the end, with every event it sent."""
    events = []
    comparison = run_plan(lr_plan(), tmp_path_factory.mktemp("cmp") / "compare-rates-1", events.append)
    return comparison, events


def test_a_plan_of_three_variants_writes_three_run_folders_and_a_table(finished):
    comparison, events = finished
    folder = comparison.folder
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == ["01-slow", "02-mid", "03-fast"]
    for run_dir in folder.iterdir():
        if run_dir.is_dir():  # each an ordinary run folder of the one runner
            assert {"config.json", "model.pt", "metrics.json", "metrics.npz"} <= {
                p.name for p in run_dir.iterdir()
            }
    assert json.loads((folder / "plan.json").read_text())["variants"][2] == {
        "name": "fast",
        "changes": {"lr": 0.01},
    }
    state = json.loads((folder / "state.json").read_text())
    assert [r["status"] for r in state["runs"]] == ["finished"] * 3
    assert [r["variant"] for r in comparison.rows] == ["slow", "mid", "fast"]
    for row in comparison.rows:
        assert 0 < row["test_acc"] <= 1 and row["test_n"] == 270 and row["best_epoch"] == 1
        assert row["test_ci"][0] < row["test_acc"] < row["test_ci"][1]
        assert row["trainable_params"] == row["total_params"] > 0 and row["macro_f1"] > 0
    assert comparison.winner in ("mid", "fast") and comparison.winner_dir().parent == folder
    kinds = [e["event"] for e in events if e["event"].startswith("compare")]
    assert kinds == ["compare_start"] + ["compare_run_start", "compare_run_end"] * 3 + ["compare_end"]
    epochs = [e for e in events if e["event"] == "epoch_end"]
    assert [(e["variant"], e["index"]) for e in epochs] == [("slow", 0), ("mid", 1), ("fast", 2)]
    assert events[-1]["table"] == comparison.rows and not events[-1]["stopped"]


def test_the_same_folder_reads_back_the_same_table_and_is_never_run_over(finished):
    comparison, _events = finished
    again = load_comparison(comparison.folder)
    assert again.rows == comparison.rows and again.verdicts == comparison.verdicts
    with pytest.raises(ConfigError, match=f"--resume {comparison.folder} continues it"):
        run_plan(lr_plan(), comparison.folder)
    assert load_comparison(comparison.folder).rows == comparison.rows


def test_data_is_loaded_once_for_the_whole_plan(tmp_path, monkeypatch):
    loads = []
    real = queue.load_dataset
    monkeypatch.setattr(queue, "load_dataset", lambda cfg: loads.append(cfg) or real(cfg))
    monkeypatch.setattr(runner, "load_dataset", lambda cfg: pytest.fail("the runner loaded the data again"))
    plan = lr_plan()
    plan.variants.append(Variant("augmented", {"augment": True}))  # augmentation: the same pictures
    run_plan(plan, tmp_path / "cmp")
    assert len(loads) == 1


def test_stopped_in_the_middle_and_resumed_finishes_without_rerunning_finished_runs(tmp_path, monkeypatch):
    stop = threading.Event()

    def stop_in_second_run(event):
        if event["event"] == "epoch_end" and event["index"] == 1 and event["epoch"] == 1:
            stop.set()

    folder = tmp_path / "cmp"
    stopped = run_plan(lr_plan(epochs=2), folder, stop_in_second_run, stop)
    assert [r["status"] for r in stopped.runs] == ["finished", "stopped", "pending"]
    assert not (folder / "03-fast").exists() and stopped.rows[1]["best_epoch"] == 1
    first_model = (folder / "01-slow" / "model.pt").stat().st_mtime_ns
    started, resumed, events = [], [], []
    real_start, real_resume = runner.start, runner.resume
    monkeypatch.setattr(
        runner,
        "start",
        lambda request, *a, **k: started.append(k["out"].name) or real_start(request, *a, **k),
    )
    monkeypatch.setattr(
        runner,
        "resume",
        lambda run_dir, *a, **k: resumed.append(Path(run_dir).name) or real_resume(run_dir, *a, **k),
    )
    comparison = resume_plan(folder, events.append)
    assert resumed == ["02-mid"] and started == ["03-fast"]  # the finished run is not run again
    assert (folder / "01-slow" / "model.pt").stat().st_mtime_ns == first_model
    assert comparison.finished and [r["record"]["epochs_run"] for r in comparison.runs] == [2, 2, 2]
    replayed = [e for e in events if e["event"] == "compare_run_end" and e.get("replayed")]
    assert [e["name"] for e in replayed] == ["slow"]
    assert len(comparison.verdicts) == 3


def test_mcnemar_p_matches_the_hand_computed_exact_binomial():
    a = np.array([True] * 50 + [True] * 1 + [False] * 9 + [False] * 5)  # A alone right on 1 image
    b = np.array([True] * 50 + [False] * 1 + [True] * 9 + [False] * 5)  # B alone right on 9
    only_a, only_b, p = stats.mcnemar(a, b)
    # Two-sided: 2 * P(X <= 1) for X ~ Binomial(10, 1/2) = 2 * (1 + 10) / 1024.
    assert (only_a, only_b) == (1, 9) and p == pytest.approx(22 / 1024, rel=1e-12)
    assert stats.mcnemar(a, a)[2] == 1.0  # no disagreement: nothing to tell them apart


def test_a_verdict_is_mcnemar_on_the_runs_saved_predictions(finished):
    comparison, _events = finished
    verdict = next(v for v in comparison.verdicts if {v["a"], v["b"]} == {"slow", "fast"})
    (labels, pred_a), (_, pred_b) = (saved_predictions(comparison.folder / d) for d in ("03-fast", "01-slow"))
    right_a, right_b = pred_a == labels, pred_b == labels
    b, c = int(np.sum(right_a & ~right_b)), int(np.sum(~right_a & right_b))
    n, k = b + c, min(b, c)
    by_hand = min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2**n)
    assert verdict["p"] == pytest.approx(by_hand, rel=1e-9) and verdict["n"] == len(labels)
    if verdict["real"]:
        assert verdict["sentence"].startswith(f"{verdict['a']} beats {verdict['b']} by ")
    assert f"(McNemar, {len(labels)} test images)" in verdict["sentence"]


def test_verdict_sentences_say_real_or_not_in_both_languages(monkeypatch):
    real = stats.verdict(("from scratch", "fine-tuned"), (0.950, 0.981), 0.004, stats.MCNEMAR, 2000)
    assert stats.sentence(real) == (
        "fine-tuned beats from scratch by 3.1 points; a difference this large would arise by chance "
        "with p = 0.004 (McNemar, 2,000 test images)"
    )
    chance = stats.verdict(("a", "b"), (0.90, 0.896), 0.41, stats.PAIRED_T, 3)
    assert stats.sentence(chance).startswith("no real difference between a and b: a is 0.4 points ahead")
    assert stats.sentence(chance).endswith("with p = 0.41 (paired t-test over 3 seeds)")
    from engine import i18n

    i18n.set_language("es")
    try:
        assert stats.sentence(real) == (
            "fine-tuned supera a from scratch por 3,1 puntos; una diferencia así de grande saldría por azar "
            "con p = 0,004 (McNemar, 2000 imágenes de prueba)"
        )
    finally:
        i18n.set_language(None)


def test_repeats_give_mean_std_every_seed_and_a_paired_test_over_seeds(tmp_path):
    plan = lr_plan(repeats=2)
    plan.variants = plan.variants[1:]
    comparison = run_plan(plan, tmp_path / "cmp")
    assert [r["dir"] for r in comparison.runs] == [
        "01-mid-seed0",
        "02-fast-seed0",
        "03-mid-seed1",
        "04-fast-seed1",
    ]
    row = comparison.rows[0]
    assert len(row["per_seed"]["test_acc"]) == 2 and row["std"]["test_acc"] is not None
    assert row["test_acc"] == pytest.approx(np.mean(row["per_seed"]["test_acc"]))
    (verdict,) = comparison.verdicts
    assert verdict["test"] == stats.PAIRED_T and verdict["n"] == 2


def test_scratch_frozen_finetune_is_fair_and_says_how():
    variants = expand("scratch-frozen-finetune", "resnet18")
    assert [v.name for v in variants] == ["from scratch", "frozen", "fine-tuned"]
    train = TrainConfig(epochs=4)
    plan = Plan.from_configs(
        "t", DataConfig(dataset="folder:/data/pets"), ModelConfig(arch="resnet18"), train, variants
    )
    (_, _, scratch), (_, _, frozen), (_, _, tuned) = plan.requests()
    assert not scratch.model_cfg.pretrained and scratch.freeze_preset is None
    assert (
        frozen.model_cfg.pretrained
        and frozen.freeze_preset == "features"
        and frozen.train_cfg.unfreeze_after is None
    )
    assert tuned.freeze_preset == "features" and tuned.train_cfg.unfreeze_after == 2
    # One starts from ImageNet weights on a folder: every variant reads the pictures at their size.
    assert {(r.data_cfg.image_size, r.data_cfg.resize) for r in (scratch, frozen, tuned)} == {(224, 256)}
    assert {r.data_cfg.seed for r in (scratch, frozen, tuned)} == {0}
    notes = " ".join(plan.notes())
    assert "224×224" in notes and "fine-tuned: the new head trains alone for 2 epoch(s)" in notes
    with pytest.raises(ConfigError, match="MLP .* has no ImageNet weights"):
        expand("scratch-frozen-finetune", "mlp")


def test_a_plan_round_trips_as_json_and_bad_plans_are_refused_by_variant():
    plan = lr_plan(repeats=3)
    again = Plan.from_json(plan.to_json())
    assert again.to_dict() == plan.to_dict() and [r.train_cfg.lr for _n, _r, r in again.requests()][:3] == [
        1e-4,
        1e-3,
        1e-2,
    ]
    plan.variants.append(Variant("odd", {"learning_rate": 0.1}))
    with pytest.raises(ConfigError, match="variant 'odd': 'learning_rate' is not a setting"):
        plan.check()
    plan.variants[-1] = Variant("lucky", {"seed": 7})
    with pytest.raises(ConfigError, match="ask for repeats"):
        plan.check()
    plan.variants[-1] = Variant("fast", {"lr": 0.5})
    with pytest.raises(ConfigError, match="two variants are called fast"):
        plan.check()
    assert learning_rates(["1e-4:1e-1:4"]) == [1e-4, 1e-3, 1e-2, 1e-1]
    assert [v.name for v in setting_variants("batch_size", ["32", "64"])] == [
        "batch size 32",
        "batch size 64",
    ]


def test_cli_runs_a_preset_then_the_report(tmp_path, capsys):
    out = tmp_path / "cmp"
    argv = ["compare", "--preset", "optimizers", "--dataset", "digits", "--model", "mlp", "--epochs", "1"]
    assert main([*argv, "--precision", "fp32", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "[1/2] adam: test accuracy" in printed and "[2/2] sgd: test accuracy" in printed, printed
    assert "test accuracy" in printed.splitlines()[3] and "(McNemar, 270 test images)" in printed
    assert main(["compare", "--report", str(out)]) == 0
    page = (out / "report" / "report.html").read_text(encoding="utf-8")
    assert (
        "McNemar" in page and "data:image/svg+xml;base64," in page and "http" not in page.split("<body>")[1]
    )
    with open(out / "report" / "table.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["variant"] for r in rows] == ["adam", "sgd"] and all(
        0 < float(r["test_acc"]) <= 1 for r in rows
    )


def test_cli_refuses_run_options_beside_a_plan_file(tmp_path, capsys):
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(lr_plan().to_json())
    assert main(["compare", str(plan_file), "--epochs", "3"]) == 1
    err = capsys.readouterr().err
    assert "--epochs cannot be used with PLAN.json" in err and "Traceback" not in err


@pytest.mark.skipif(sys.platform == "win32", reason="Windows ends a process without a signal")
def test_ctrl_c_stops_the_plan_like_train_and_resume_finishes_it(tmp_path, capsys):
    plan = lr_plan()
    plan.variants[1].changes["epochs"] = 6  # the run Ctrl+C lands in
    plan_file, out = tmp_path / "plan.json", tmp_path / "cmp"
    plan_file.write_text(plan.to_json())
    argv = [sys.executable, "main.py", "compare", str(plan_file), "--out", str(out)]
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 120
        while not (out / "02-mid" / "history.csv").is_file() and time.monotonic() < deadline:
            time.sleep(0.02)  # the second run has finished an epoch
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert "[1/3] slow: test accuracy" in stdout and "Traceback" not in stderr
    assert f"continue with: taller compare --resume {out}" in stderr
    state = json.loads((out / "state.json").read_text())
    assert [r["status"] for r in state["runs"]] == ["finished", "stopped", "pending"]
    assert main(["compare", "--resume", str(out)]) == 0
    printed = capsys.readouterr().out
    assert (
        "[1/3] slow" in printed and "(finished before)" in printed and "[3/3] fast: test accuracy" in printed
    )
    assert json.loads((out / "state.json").read_text())["runs"][1]["status"] == "finished"


def test_a_plan_takes_a_run_folders_config_as_its_base_and_estimates_its_time():
    config = {
        "data_config": {"dataset": "digits", "seed": 3},
        "model_config": {"arch": "vgg16"},
        "train_config": {"epochs": 4},
    }
    plan = Plan.from_json(
        json.dumps(
            {"name": "again", "base": config, "variants": [{"name": "sgd", "changes": {"optimizer": "sgd"}}]}
        )
    )
    ((_, _, request),) = plan.requests()
    assert (request.data_cfg.seed, request.model_cfg.arch, request.train_cfg.optimizer) == (3, "vgg16", "sgd")
    big = estimate_seconds(plan)
    plan.base["model"]["arch"] = "mlp"
    assert 0 < estimate_seconds(plan) < big / 50  # VGG-16 costs hundreds of times an MLP per picture
    tuned = Plan.from_configs(
        "t",
        DataConfig(),
        ModelConfig(arch="regnet"),
        TrainConfig(epochs=4),
        expand("scratch-frozen-finetune", "regnet"),
    )
    scratch, frozen, _tuned = (run_seconds(r) for _n, _r, r in tuned.requests())
    assert frozen < scratch / 3  # frozen layers are computed once, not every epoch
