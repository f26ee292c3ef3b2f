"""The one table of settings: the configs, the command line and the report all say what it says."""

from __future__ import annotations

import shlex
from dataclasses import fields

import pytest

from engine.cli_args import build_parser, configs_from_args, train_arguments
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.errors import ConfigError
from engine.models import recipes
from engine.report.sections import page_context
from engine.settings import BY_NAME, CONFIGS, DEFAULTS, SETTINGS, Setting, of_config

CLASSES = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}
# Values other than the default that the configs accept, where the table alone cannot pick one.
SAMPLES = {
    "dataset": "mnist",
    "data_dir": "my data",
    "image_size": 48,
    "init_checkpoint": "models/x y.pt",
    "frozen": ("features",),
    "unfreeze_after": 2,
    "unfreeze": ("features.block2",),
}
OPTIONED = [s for s in SETTINGS if s.option]


def sample(setting: Setting):
    """A value of ``setting`` other than its default, inside its range or choices."""
    if setting.name in SAMPLES:
        return SAMPLES[setting.name]
    if setting.type is bool:
        return not setting.default
    if setting.choices:
        return next(c for c in setting.choices() if c != setting.default)
    low, high = setting.interval.low, setting.interval.high
    middle = (low + high) / 2 if high is not None else low + 0.5
    return int(middle) if setting.type is int else middle


def configs_with(name: str, value) -> tuple[DataConfig, ModelConfig, TrainConfig]:
    kwargs = {config: {} for config in CONFIGS}
    kwargs[BY_NAME[name].config][name] = value
    return tuple(CLASSES[c](**kwargs[c]) for c in CONFIGS)


def parse(words: list[str]) -> tuple[DataConfig, ModelConfig, TrainConfig]:
    return configs_from_args(build_parser().parse_args(words))


@pytest.mark.parametrize("config", CONFIGS)
def test_every_config_field_is_one_entry_of_the_table_with_its_default(config):
    cls = CLASSES[config]
    assert {f.name for f in fields(cls)} == {s.name for s in of_config(config)}
    for setting in of_config(config):
        assert getattr(cls(), setting.name) == setting.default == DEFAULTS[setting.name]


def test_train_with_no_options_is_the_default_models_recipe():
    recipe = recipes.recipe("cnn", recipes.SCRATCH)
    train = TrainConfig(**{name: value for name, value in recipe.items() if name != "augment"})
    assert parse(["train"]) == (DataConfig(augment=recipe["augment"]), ModelConfig(), train)


@pytest.mark.parametrize("setting", OPTIONED, ids=lambda s: s.option)
def test_a_changed_setting_travels_as_a_command_and_back(setting):
    configs = configs_with(setting.name, sample(setting))
    words = shlex.split(shlex.join(train_arguments(*configs)))
    assert setting.option in words
    assert parse(words) == configs


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.interval], ids=lambda s: s.name)
def test_values_outside_a_settings_range_are_refused_in_its_words(setting):
    interval = setting.interval
    below = interval.low if interval.low_open else interval.low - (1 if setting.type is int else 0.001)
    with pytest.raises(ConfigError, match=setting.label):
        configs_with(setting.name, below)
    if interval.high is not None:
        above = interval.high if interval.high_open else interval.high + 1
        with pytest.raises(ConfigError, match=setting.label):
            configs_with(setting.name, above)
    configs_with(setting.name, sample(setting))  # inside: accepted


def test_refusals_name_the_range_and_how_to_turn_a_setting_off():
    with pytest.raises(
        ConfigError, match=r"^K-Fold cross-validation folds must be between 2 and 10, not 1 \(0 = off\)$"
    ):
        TrainConfig(kfold=1)
    with pytest.raises(ConfigError, match=r"^learning rate must be more than 0 and at most 10, not 0$"):
        TrainConfig(lr=0)
    with pytest.raises(ConfigError, match=r"^weight decay must be at least 0 and less than 1, not -0.1$"):
        TrainConfig(weight_decay=-0.1)
    # 1e30 with Adam trained to chance with exit 0: refused before any work now.
    with pytest.raises(ConfigError, match=r"^weight decay must be at least 0 and less than 1, not 1e\+30$"):
        TrainConfig(weight_decay=1e30)
    # "(0, 0.9)" read as "between 0 and 0.9", and then 0 was refused: the range is said in words.
    with pytest.raises(ConfigError, match=r"^validation share must be more than 0 and less than 0.9, not 0$"):
        DataConfig(val_split=0)
    with pytest.raises(ConfigError, match=r"^unknown optimizer 'rmsprop'; choose one of adam, sgd$"):
        TrainConfig(optimizer="rmsprop")
    with pytest.raises(ConfigError, match="seed must be between 0 and 4294967295, not -1"):
        DataConfig(seed=-1)


def test_help_lists_every_option_with_its_help_and_default(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for setting in OPTIONED:
        assert setting.option in text
    assert "SGD's momentum (default: the model's recipe, see taller recipes)" in text
    assert (
        "label smoothing: the share of each target spread over the other classes, 0-1 (default 0.0)" in text
    )
    for section in ("data:", "model and frozen layers:", "training:", "run folder:"):
        assert section in text


def test_one_seed_and_older_runs_with_two_seeds_and_extra_still_load():
    assert "seed" in {f.name for f in fields(DataConfig)}
    assert "seed" not in {f.name for f in fields(TrainConfig)} and "extra" not in {
        f.name for f in fields(TrainConfig)
    }
    old_train = {**TrainConfig().to_dict(), "seed": 5, "extra": {}, "epochs": 3}
    assert TrainConfig.from_dict(old_train) == TrainConfig(epochs=3)
    assert DataConfig.from_dict({**DataConfig().to_dict(), "seed": 4}).seed == 4
    assert parse(["train", "--seed", "7"])[0].seed == 7


def hyper_rows(data=None, model=None, train=None) -> dict[str, str]:
    meta = {
        "data_config": DataConfig(**(data or {})).to_dict(),
        "model_config": ModelConfig(**(model or {})).to_dict(),
        "train_config": TrainConfig(**(train or {})).to_dict(),
    }
    return dict(page_context(meta, None, {}, [])["hyper_rows"])


def test_the_report_lists_only_the_settings_the_run_used():
    adam = hyper_rows()
    assert {"optimizer", "learning rate", "epochs", "batch size", "seed", "device"} <= set(adam)
    for unused in ("momentum", "weight decay", "label smoothing", "K-Fold cross-validation folds"):
        assert unused not in adam, unused
    assert not any("fine-tuning" in name or "unfreeze" in name or "backbone" in name for name in adam)
    sgd = hyper_rows(
        train={"optimizer": "sgd", "momentum": 0.8, "label_smoothing": 0.1, "weight_decay": 1e-4}
    )
    assert (sgd["momentum"], sgd["label smoothing"], sgd["weight decay"]) == ("0.8", "0.1", "0.0001")
    two_phase = hyper_rows(train={"unfreeze_after": 2, "finetune_lr_factor": 0.2, "kfold": 3})
    assert two_phase["fine-tuning learning-rate factor"] == "0.2" and two_phase["unfreeze after epoch"] == "2"
    assert two_phase["layers to unfreeze"] == "–" and two_phase["K-Fold cross-validation folds"] == "3"
    assert hyper_rows(data={"seed": 9})["seed"] == "9"


def test_vgg16_from_random_weights_takes_its_recipe_where_no_option_says_otherwise():
    recipe = recipes.recipe("vgg16", recipes.SCRATCH)
    assert (recipe["optimizer"], recipe["lr"], recipe["schedule"], recipe["batch_size"]) == (
        "adam",
        1e-4,
        "none",
        32,
    )
    vgg = parse(["train", "--model", "vgg16"])[2]
    # Adam at 1e-3 left VGG-16 at chance (test accuracy 0.103 after an epoch of CIFAR-10 pictures).
    assert (vgg.optimizer, vgg.lr, vgg.schedule, vgg.batch_size) == ("adam", 1e-4, "none", 32)
    typed = parse(["train", "--model", "vgg16", "--lr", "0.005", "--optimizer", "sgd"])[2]
    assert (typed.optimizer, typed.lr, typed.batch_size) == ("sgd", 0.005, 32)


def test_a_vgg16_command_says_its_settings_and_travels_back():
    vgg = ModelConfig(arch="vgg16")
    for train_cfg in (parse(["train", "--model", "vgg16"])[2], TrainConfig()):
        words = train_arguments(DataConfig(), vgg, train_cfg)
        said = dict(zip(words[1::2], words[2::2], strict=False))
        assert said["--lr"] == repr(train_cfg.lr) and said["--batch-size"] == str(train_cfg.batch_size)
        assert parse(shlex.split(shlex.join(words))) == (DataConfig(), vgg, train_cfg)


def test_help_says_a_recipe_setting_comes_from_the_models_recipe(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "learning rate (default: the model's recipe, see taller recipes)" in text
    assert "images per optimizer step (default: the model's recipe, see taller recipes)" in text
    assert (
        "--augment, --no-augment random shifts/rotations (and flips for photos) (default: the model's" in text
    )
