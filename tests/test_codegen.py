"""Export a run as a notebook and a script of plain PyTorch: valid, and it really redoes the run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace

import pytest

from engine.checkpoints import save_checkpoint
from engine.cli import main as cli_main
from engine.codegen.notebook import export_run, find_checkpoint, notebook, split_cells
from engine.codegen.source import run_source
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.errors import ExportError
from engine.train.run import run

nbformat = pytest.importorskip("nbformat")  # the test extra


def trained(tmp_path, name, model_cfg=None, **train):
    """A digits run on the CPU, saved as ``name/model.pt``; returns (folder, its test accuracy)."""
    train_cfg = TrainConfig(device="cpu", **train)
    result = run(DataConfig(dataset="digits"), model_cfg or ModelConfig(arch="cnn"), train_cfg)
    folder = tmp_path / name
    save_checkpoint(folder / "model.pt", result.model, result.meta)
    return folder, result.test["accuracy"], result.meta


def run_script(path, cwd) -> tuple[float, str]:
    """Run a generated script with plain python in a fresh process; its printed test accuracy."""
    done = subprocess.run(
        [sys.executable, str(path)], cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "import engine" not in path.read_text() and "from engine" not in path.read_text()
    match = re.search(r"^test_accuracy=(\d\.\d{4})$", done.stdout, re.MULTILINE)
    assert match, done.stdout[-2000:]
    return float(match.group(1)), done.stdout


def test_exported_script_reproduces_a_cnn_run(tmp_path):
    folder, accuracy, meta = trained(tmp_path, "cnn-run", epochs=2)
    notebook, script = tmp_path / "run.ipynb", tmp_path / "run.py"
    assert main_ok(["export-notebook", str(folder), str(notebook), "--script", str(script)])
    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    kinds = [c.cell_type for c in nb.cells]
    assert kinds.count("markdown") >= 8 and kinds.count("code") >= 8
    text = "\n".join(c.source for c in nb.cells)
    assert "classification_report" in text and "ConfusionMatrixDisplay" in text and "class SimpleCNN" in text
    got, out = run_script(script, tmp_path)
    assert abs(got - accuracy) <= 0.005, (got, accuracy)
    # Same data, split and seed: the epochs' validation accuracies are the run's too.
    for row in meta["history"]:
        assert f"epoch {row['epoch']}/2" in out and f"val_acc={row['val_acc']:.4f}" in out
    assert (tmp_path / "confusion_matrix.png").is_file()


def test_exported_script_reproduces_a_two_phase_run(tmp_path):
    frozen = ("features",)  # --freeze-preset features for the CNN: only the head trains in phase one
    model_cfg = ModelConfig(arch="cnn", frozen=frozen)
    folder, accuracy, _ = trained(tmp_path, "two-phase", model_cfg, epochs=2, unfreeze_after=1)
    script = tmp_path / "two_phase.py"
    export_run(folder / "model.pt", script=script)
    source = script.read_text()
    assert "UNFREEZE_AFTER" in source and "FROZEN = ['features']" in source.replace('"', "'")
    got, out = run_script(script, tmp_path)
    assert "phase 2 from epoch 2" in out
    assert abs(got - accuracy) <= 0.005, (got, accuracy)


def main_ok(argv) -> bool:
    return cli_main(argv) == 0


def meta_of(**changes):
    meta = {
        "arch": "cnn",
        "classes": [str(i) for i in range(10)],
        "spec": {"channels": 1, "height": 28, "width": 28, "mean": [0.1307], "std": [0.3081]},
        "dataset": "digits",
        "preparation": "digit",
        "data_config": DataConfig().to_dict(),
        "model_config": ModelConfig().to_dict(),
        "train_config": TrainConfig().to_dict(),
    }
    meta.update(changes)
    return meta


@pytest.mark.parametrize("arch", ["mlp", "cnn", "resnet18", "vgg16", "regnet"])
def test_every_model_kfold_and_option_gives_code_that_compiles(arch):
    spec = {"channels": 3, "height": 32, "width": 32, "mean": [0.5] * 3, "std": [0.25] * 3}
    train = replace(TrainConfig(), kfold=3, schedule="onecycle", optimizer="sgd", backbone_lr_factor=0.5)
    meta = meta_of(
        arch=arch,
        spec=spec,
        dataset="cifar10",
        preparation="image",
        data_config=DataConfig(dataset="cifar10", augment=True).to_dict(),
        model_config=ModelConfig(arch=arch, frozen=("features",) if arch == "vgg16" else ()).to_dict(),
        train_config=train.to_dict(),
        precision="bf16",
    )
    source = run_source(meta)
    compile(source, f"{arch}.py", "exec")  # valid Python
    assert "StratifiedKFold(n_splits=3" in source and "OneCycleLR" in source and "def augment" in source
    assert "torch.bfloat16" in source
    if arch in ("resnet18", "vgg16", "regnet"):
        assert f"torchvision.models.{ {'regnet': 'regnet_y_400mf'}.get(arch, arch) }()" in source
    for kind, text in split_cells(source):
        if kind == "code":
            compile(text, "cell", "exec")  # every cell stands on its own as Python


def test_the_code_computes_in_the_runs_precision_and_layout():
    def settings(**meta):
        source = run_source(meta_of(**meta))
        return re.findall(r"^(AUTOCAST_DTYPE = \S+|CHANNELS_LAST = \w+)", source, re.MULTILINE)

    assert settings(precision="fp32") == ["AUTOCAST_DTYPE = None", "CHANNELS_LAST = False"]
    # auto on an x86 CPU without bfloat16: float32 in channels-last
    assert settings(precision="fp32", channels_last=True) == ["AUTOCAST_DTYPE = None", "CHANNELS_LAST = True"]
    # runs saved before the layout was recorded: channels-last came with autocast
    assert settings(precision="bf16") == ["AUTOCAST_DTYPE = torch.bfloat16", "CHANNELS_LAST = True"]
    assert settings(precision="bf16", channels_last=False)[1] == "CHANNELS_LAST = False"


def test_generated_data_and_bad_runs_are_refused_with_a_message(tmp_path):
    with pytest.raises(ExportError, match="generates itself"):
        run_source(meta_of(dataset="synth-digits", data_config=DataConfig(dataset="synth-digits").to_dict()))
    with pytest.raises(ExportError, match="no such run"):
        find_checkpoint(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ExportError, match="holds no checkpoint"):
        find_checkpoint(tmp_path / "empty")
    assert cli_main(["export-notebook", str(tmp_path / "empty"), str(tmp_path / "x.ipynb")]) == 1
    assert not (tmp_path / "x.ipynb").exists()


def test_notebook_json_is_nbformat_4_with_markdown_explanations():
    source = run_source(meta_of())
    cells = split_cells(source)
    assert cells[0][0] == "markdown" and cells[0][1].startswith("# Simple CNN on Built-in digits")
    assert all(not line.startswith("# %%") for _, text in cells for line in text.splitlines())
    nb = nbformat.reads(json.dumps(notebook(source)), as_version=4)
    nbformat.validate(nb)
