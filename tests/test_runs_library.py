"""The runs library: run folders from the command line are found again, run again, deleted on
request (and nothing else is), with TensorBoard scalars beside them when tensorboard is installed."""

from __future__ import annotations

import json
import shutil

import pytest

from engine import runs_library
from engine.cli import main
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.errors import TallerError
from engine.train import tensorboard


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory):
    """Two runs made by `taller train` into a runs folder of their own."""
    root = tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TALLER_RUNS_DIR", str(root))
        for seed in ("0", "1"):
            args = ["train", "--model", "mlp", "--epochs", "2", "--seed", seed, "--precision", "fp32"]
            assert main(args) == 0
    return root


def test_cli_runs_are_listed_oldest_first_with_their_history(runs_root):
    runs, errors = runs_library.list_runs(runs_root)
    assert errors == []
    assert [r.name for r in runs] == ["digits-mlp-1", "digits-mlp-2"]
    assert all(r.checkpoint.name == "model.pt" for r in runs)
    assert [len(r.meta["history"]) for r in runs] == [2, 2]
    assert runs[1].meta["data_config"]["seed"] == 1


def test_a_run_can_be_run_again_with_its_configuration(runs_root):
    run = runs_library.list_runs(runs_root)[0][1]
    data_cfg, model_cfg, train_cfg = runs_library.run_configs(run.meta)
    assert isinstance(data_cfg, DataConfig) and data_cfg.dataset == "digits"
    assert isinstance(model_cfg, ModelConfig) and model_cfg.arch == "mlp"
    assert isinstance(train_cfg, TrainConfig) and (train_cfg.epochs, data_cfg.seed) == (2, 1)


def test_a_folder_without_a_finished_epoch_is_named_not_fatal(tmp_path):
    (tmp_path / "digits-cnn-1").mkdir()
    (tmp_path / "digits-cnn-1" / "config.json").write_text("{}")
    (tmp_path / "notes").mkdir()  # not a run folder: ignored
    runs, errors = runs_library.list_runs(tmp_path)
    assert runs == [] and len(errors) == 1 and "digits-cnn-1" in errors[0]
    assert runs_library.list_runs(tmp_path / "missing") == ([], [])


def test_an_unfinished_run_is_listed_with_its_configuration_when_asked(tmp_path):
    config = {
        "data_config": DataConfig().to_dict(),
        "model_config": ModelConfig(arch="cnn").to_dict(),
        "train_config": TrainConfig().to_dict(),
    }
    (tmp_path / "digits-cnn-1").mkdir()
    (tmp_path / "digits-cnn-1" / "config.json").write_text(json.dumps(config))
    (tmp_path / "digits-cnn-2").mkdir()
    (tmp_path / "digits-cnn-2" / "config.json").write_text(json.dumps(config))
    (tmp_path / "digits-cnn-2" / "last.pt").write_text("damaged")  # a damaged checkpoint still says so
    (run,), errors = runs_library.list_runs(tmp_path, unfinished=True)
    assert run.name == "digits-cnn-1" and run.checkpoint is None
    assert run.meta["unfinished"] and run.meta["history"] == [] and run.meta["arch"] == "cnn"
    assert run.meta["run_dir"] == str(tmp_path / "digits-cnn-1")
    assert runs_library.run_configs(run.meta)[1].arch == "cnn"  # it can be run again
    assert len(errors) == 1 and "digits-cnn-2" in errors[0]


def test_delete_removes_only_run_folders_inside_the_runs_folder(tmp_path):
    root = tmp_path / "runs"
    run = root / "digits-mlp-1"
    run.mkdir(parents=True)
    (run / "config.json").write_text("{}")
    other = root / "photos"
    other.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "config.json").write_text("{}")
    for bad in (other, outside):
        with pytest.raises(TallerError, match="not a run folder"):
            runs_library.delete_runs([run, bad], root)
        assert run.is_dir()  # all or nothing: a bad pick deletes none
    assert runs_library.delete_runs([run], root) == [run.resolve()]
    assert not run.exists() and other.is_dir() and outside.is_dir()


def test_tensorboard_scalars_beside_each_run(runs_root):
    pytest.importorskip("tensorboard", reason="TensorBoard is optional: pip install tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logs = runs_root / "digits-mlp-1" / tensorboard.TENSORBOARD_DIR
    events = EventAccumulator(str(logs))
    events.Reload()
    assert {"train_loss", "val_loss", "train_acc", "val_acc", "lr"} <= set(events.Tags()["scalars"])
    assert [s.step for s in events.Scalars("val_acc")] == [1, 2]


def test_without_tensorboard_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(tensorboard, "tensorboard_available", lambda: False)
    seen = []
    events, log = tensorboard.with_tensorboard(tmp_path, seen.append)
    events({"event": "epoch_end", "epoch": 1, "val_acc": 0.5})
    log.close()
    assert seen and not (tmp_path / tensorboard.TENSORBOARD_DIR).exists()


def test_taller_runs_prints_an_aligned_table_with_a_header(runs_root, capsys):
    assert main(["runs", "--root", str(runs_root)]) == 0
    header, *rows = capsys.readouterr().out.strip().splitlines()
    assert header.split() == ["name", "model", "dataset", "epochs", "val", "acc", "test", "acc", "path"]
    assert [row.split()[:4] for row in rows] == [["digits-mlp-1", "mlp", "digits", "2"]] * 1 + [
        ["digits-mlp-2", "mlp", "digits", "2"]
    ]
    assert all(row.endswith("model.pt") and row.count("%") == 2 for row in rows)
    # Aligned: every column starts at the header's column.
    assert {row.index("digits ") for row in rows} == {header.index("dataset")}
    assert {row.index(str(runs_root)) for row in rows} == {header.index("path")}


def test_taller_runs_json_is_one_list_for_scripts(runs_root, capsys):
    assert main(["runs", "--root", str(runs_root), "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["model"], r["dataset"], r["epochs"]) for r in runs] == [
        ("digits-mlp-1", "mlp", "digits", 2),
        ("digits-mlp-2", "mlp", "digits", 2),
    ]
    assert all(0 < r["test_acc"] <= 1 and r["test_images"] > 0 and r["ended"] for r in runs)
    assert all(r["checkpoint"].endswith("model.pt") for r in runs)


def test_taller_runs_on_a_missing_root_is_an_error(tmp_path, capsys):
    assert main(["runs", "--root", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert "nowhere" in err and "does not exist" in err and "Traceback" not in err


def test_a_run_without_its_plain_files_is_read_from_its_checkpoint(runs_root, tmp_path):
    old = tmp_path / "digits-mlp-1"  # as an older version wrote it: checkpoints only
    shutil.copytree(runs_root / "digits-mlp-1", old)
    for name in ("config.json", "history.csv", "metrics.json"):
        (old / name).unlink()
    stopped = tmp_path / "digits-cnn-1"  # stopped before its first epoch ended
    stopped.mkdir()
    shutil.copy(runs_root / "digits-mlp-1" / "config.json", stopped / "config.json")
    summaries, errors = runs_library.run_summaries(tmp_path)
    assert errors == []
    listed_old, listed_stopped = sorted(summaries, key=lambda s: s.name != old.name)
    assert (listed_old.model, listed_old.epochs, listed_old.checkpoint) == ("mlp", 2, old / "model.pt")
    assert listed_old.test_acc == runs_library.summarise_run(runs_root / "digits-mlp-1").test_acc
    assert (listed_stopped.epochs, listed_stopped.checkpoint, listed_stopped.ended) == (0, None, False)


def test_a_moved_runs_folder_is_found_where_it_is_now(runs_root, tmp_path):
    shutil.copytree(runs_root / "digits-mlp-1", tmp_path / "digits-mlp-1")
    (moved,), _ = runs_library.list_runs(tmp_path)
    assert moved.meta["run_dir"] == str(tmp_path / "digits-mlp-1")
    assert runs_library.delete_runs([moved.meta["run_dir"]], tmp_path)  # so it can be deleted there
