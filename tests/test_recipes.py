"""Each architecture's default recipe for each start: the command line and the window use the same one,
a typed option wins, "Copy as command" says the recipe, and every from-scratch recipe learns."""

from __future__ import annotations

import shlex

import pytest
import torch
import torchvision
from PySide6.QtCore import Qt

from engine import i18n
from engine.cli import main
from engine.cli_args import build_parser, configs_from_args, train_arguments
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.models import recipes, registry
from engine.models import weights as imagenet
from engine.settings import BY_NAME, DEFAULTS, RECIPE_NAMES
from tests.helpers_data import write_shape_folder
from tests.helpers_gui import open_window


def parse(words: list[str]) -> tuple[DataConfig, ModelConfig, TrainConfig]:
    return configs_from_args(build_parser().parse_args(words))


def recipe_of(data: DataConfig, train: TrainConfig) -> dict:
    """The recipe settings a run was given."""
    return {name: getattr(data if BY_NAME[name].config == "data" else train, name) for name in RECIPE_NAMES}


def test_every_architecture_has_a_whole_recipe_for_each_start_it_can_make():
    for arch in registry.keys():
        starts = recipes.STARTS if registry.supports_pretrained(arch) else (recipes.SCRATCH,)
        assert {start for key, start in recipes.RECIPES if key == arch} == set(starts), arch
        for start in starts:
            recipe = recipes.recipe(arch, start)
            assert tuple(recipe) == recipes.NAMES
            for name, value in recipe.items():
                assert BY_NAME[name].check(value) is None, (arch, start, name, value)


def test_the_command_line_picks_the_recipe_of_the_start():
    scratch, frozen, finetune = (recipes.recipe("resnet18", s) for s in recipes.STARTS)
    assert recipe_of(*parse(["train", "--model", "resnet18"])[::2]) == scratch
    assert recipe_of(*parse(["train", "--model", "resnet18", "--pretrained"])[::2]) == finetune
    for freezing in (["--freeze-preset", "features"], ["--freeze", "layer1"]):
        configs = parse(["train", "--model", "resnet18", "--pretrained", *freezing])
        assert recipe_of(*configs[::2]) == frozen, freezing
    # Two phases start frozen: the head learns at the frozen recipe's rate, then all at a tenth of it.
    two = parse(
        ["train", "--model", "vgg16", "--pretrained", "--freeze-preset", "features", "--unfreeze-after", "3"]
    )
    assert recipe_of(*two[::2]) == recipes.recipe("vgg16", recipes.FROZEN)
    # From a checkpoint of Taller's: no recipe, the table's defaults.
    data, _model, train = parse(["train", "--model", "cnn", "--init", "models/mine.pt"])
    assert recipe_of(data, train) == {name: DEFAULTS[name] for name in RECIPE_NAMES}


def test_a_typed_option_wins_over_the_recipe_and_no_augment_turns_its_augmentation_off():
    assert recipes.recipe("cnn", recipes.SCRATCH)["augment"]
    data, _model, train = parse(["train", "--epochs", "2", "--no-augment", "--lr", "0.01"])
    assert (data.augment, train.epochs, train.lr) == (False, 2, 0.01)
    assert train.schedule == recipes.recipe("cnn", recipes.SCRATCH)["schedule"]  # the rest: the recipe's
    assert parse(["train", "--model", "mlp", "--augment"])[0].augment


@pytest.mark.parametrize("start", recipes.STARTS)
def test_a_command_says_the_recipe_and_travels_back(start):
    model = ModelConfig(
        arch="regnet",
        pretrained=start != recipes.SCRATCH,
        frozen=("stem",) if start == recipes.FROZEN else (),
    )
    recipe = recipes.recipe("regnet", start)
    data = DataConfig(augment=recipe["augment"])
    train = TrainConfig(**{name: value for name, value in recipe.items() if name != "augment"})
    words = train_arguments(data, model, train)
    for name, value in recipe.items():  # the recipe, where it is not the table's default, is said
        assert (BY_NAME[name].option in words) == (value != DEFAULTS[name]), name
    assert parse(shlex.split(shlex.join(words))) == (data, model, train)
    # The user's change against the recipe travels too, an augmentation turned off included.
    mine = (DataConfig(augment=not recipe["augment"]), model, TrainConfig(epochs=7))
    words = train_arguments(*mine)
    assert ("--no-augment" in words) == recipe["augment"]
    assert parse(shlex.split(shlex.join(words))) == mine


def test_taller_recipes_lists_every_recipe(capsys):
    assert main(["recipes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["model", "start", "optimizer"]
    assert len(lines) == 1 + len(recipes.RECIPES) + 1  # the header, one row each, the note on image size
    vgg = next(line for line in lines if line.startswith("VGG-16") and "from random weights" in line)
    assert vgg.split()[4:8] == ["adam", "0.0001", "5", "32"]
    frozen = next(line for line in lines if line.startswith("ResNet-18") and "frozen" in line)
    assert "224 px" in frozen and " no " in frozen  # no augmentation: the frozen layers' outputs are kept


def test_taller_recipes_speaks_spanish(capsys):
    i18n.set_language("es")
    try:
        assert main(["recipes"]) == 0
    finally:
        i18n.set_language(None)
    text = capsys.readouterr().out
    assert "desde pesos aleatorios" in text and "tasa de aprendizaje" in text
    assert "from random weights" not in text


@pytest.mark.parametrize("arch", registry.keys())
def test_each_architectures_recipe_learns_32_px_colour_pictures(arch, tmp_path, capsys):
    # 640 pictures of 4 shapes (chance 0.25); the recipe as it is but for its number of epochs.
    folder = write_shape_folder(tmp_path / "shapes", 640, classes=4, colour_cue=1.0)
    out = tmp_path / "run"
    argv = ["train", "--dataset", f"folder:{folder}", "--model", arch, "--epochs", "3", "--out", str(out)]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    accuracy = float(next(line for line in lines if line.startswith("test_accuracy=")).split("=")[1])
    # Chance is 0.25; on the 96 test pictures, a model that guesses reaches 0.4 once in a thousand runs.
    assert accuracy >= 0.4, accuracy
    if arch == "vgg16":  # a compact head at 32 px: 15M weights, model.pt 61 MB, not 537 MB
        assert (out / "model.pt").stat().st_size < 70_000_000


@pytest.fixture
def resnet_weights(tmp_path, monkeypatch):
    """ResNet-18 "ImageNet" weights (torchvision's shapes, random values) in a temporary torch cache."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    path = imagenet.weights_path("resnet18")
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(torchvision.models.resnet18().state_dict(), path)


def test_the_window_fills_the_recipe_of_the_model_and_start_and_runs_what_it_shows(
    qtbot, tmp_path, resnet_weights
):
    window = open_window(qtbot, tmp_path, arch="resnet18", epochs=2)
    model, finetune = window.model_panel, window.finetune_panel
    shown = lambda: recipe_of(*window.current_configs()[::2])  # noqa: E731
    assert shown() == {**recipes.recipe("resnet18", recipes.SCRATCH), "epochs": 2}  # the user's 2 epochs stay
    model.pretrainedCheck.setChecked(True)  # ImageNet weights, every layer training: fine-tuned
    # Both recipes say 5 epochs: the user's 2 stay; the rest is the fine-tuning recipe's.
    assert shown() == {**recipes.recipe("resnet18", recipes.FINETUNE), "epochs": 2}
    assert "ResNet-18, ImageNet weights, fine-tuned" in model.recipeLabel.text()
    tree = finetune.layer_tree
    qtbot.waitUntil(
        lambda: tree.arch() == "resnet18" and tree.presetFeaturesButton.isEnabled(), timeout=60_000
    )
    qtbot.mouseClick(tree.presetFeaturesButton, Qt.MouseButton.LeftButton)  # the Layers tab
    assert shown() == recipes.recipe("resnet18", recipes.FROZEN)
    assert "ImageNet weights, frozen" in model.recipeLabel.text()
    model.epochsSpin.setValue(4)  # the user's change stays while the start stays
    qtbot.mouseClick(tree.presetFeaturesButton, Qt.MouseButton.LeftButton)
    assert model.epochsSpin.value() == 4
    # What Copy as command says is the run the forms show.
    data_cfg, model_cfg, train_cfg = window.current_configs()
    assert parse(train_arguments(data_cfg, model_cfg, train_cfg)) == (data_cfg, model_cfg, train_cfg)
    qtbot.mouseClick(tree.presetAllButton, Qt.MouseButton.LeftButton)
    assert shown()["lr"] == recipes.recipe("resnet18", recipes.FINETUNE)["lr"]
    model.pretrainedCheck.setChecked(False)
    assert shown() == recipes.recipe("resnet18", recipes.SCRATCH)
