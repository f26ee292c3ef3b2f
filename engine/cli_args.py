"""The command line's arguments: one parser; a run's options are generated from ``engine.settings``.

A run's settings become options, go back into configurations (``configs_from_args``) and are said
again as a command (``train_arguments``, the window's "Copy as command") from the same table, so an
option cannot be added to one of the three and forgotten in another. What was typed beside
``--resume`` is read back the same way (``resume_changes``).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from typing import Any

from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.errors import CliError, ConfigError
from engine.i18n import N_, _, gettext, translate_argparse
from engine.models import registry as architectures
from engine.settings import (
    BY_NAME,
    CONFIGS,
    PRECISIONS,
    RECIPE_NAMES,
    SETTINGS,
    Interval,
    Setting,
    defaults_for,
    of_config,
    start_of,
)

EVENT_FORMATS = ("text", "jsonl")
# The --help sections of a run's options, one per configuration, then the run folder's.
GROUP_TITLES = {
    "data": N_("data"),
    "model": N_("model and frozen layers"),
    "train": N_("training"),
    "folder": N_("run folder"),
    "process": N_("processes and output"),
}


class Number:
    """An argparse type: a number (``whole``: an integer) inside ``checked``, or one of ``off``.

    argparse words a type's own failure with the function's name ("invalid positive_int value");
    this refusal says what the option takes (``interval``) and what was given, in the user's
    language, and argparse puts the option in front ("argument --epochs: must be ..."), exit 2. A
    setting's value outside its range is the configuration's to refuse (``configs_from_args``, exit
    1); only a count below 1 is refused here, as ever.
    """

    def __init__(
        self,
        whole: bool,
        interval: Interval | None = None,
        off: tuple[Any, ...] = (),
        checked: Interval | None = None,
    ):
        self.whole, self.interval, self.off, self.checked = whole, interval, off, checked

    def __call__(self, text: str) -> int | float:
        try:
            value = int(text) if self.whole else float(text)
        except ValueError:
            value = None
        if value is not None and value in self.off:
            return value
        if value is None or not math.isfinite(value) or (self.checked and value not in self.checked):
            raise argparse.ArgumentTypeError(
                _("must be {what}; you gave '{text}'").format(what=self.what(), text=text)
            )
        return value

    def what(self) -> str:
        """``a whole number from 1 to 10000``, ``a number more than 0 and at most 10``, ..."""
        if self.interval is None:
            what = _("a whole number") if self.whole else _("a number")
        elif self.interval.high is None and not self.interval.low_open:
            what = _("a whole number of {low} or more") if self.whole else _("a number of {low} or more")
            what = what.format(low=self.interval.low)
        elif self.whole:
            what = _("a whole number {range}").format(range=self.interval.words())
        else:
            what = _("a number {range}").format(range=self.interval.words())
        # The value that turns the setting off, where the range leaves it out (K-Fold's 0).
        off = next(
            (v for v in self.off if v is not None and not (self.interval and v in self.interval)), None
        )
        return what if off is None else _("{what}, or {off} for off").format(what=what, off=off)


COUNT = Number(whole=True, interval=Interval(1), checked=Interval(1))  # --top, --devices, --max-batches
POSITIVE = Number(False, Interval(0, low_open=True), checked=Interval(0, low_open=True))  # lr-find's rates


def setting_type(setting: Setting) -> Callable[[str], Any]:
    """The argparse type of a setting's option: a checked number, or the setting's own type."""
    if setting.type in (int, float):
        counts = setting.type is int and setting.interval is not None and setting.interval.low == 1
        return Number(setting.type is int, setting.interval, setting.off, Interval(1) if counts else None)
    return setting.type


def build_parser(
    more: Sequence[Callable[[argparse._SubParsersAction], None]] = (),
) -> argparse.ArgumentParser:
    """The parser of ``taller COMMAND ...`` (or ``python main.py``); choices come from the registries.

    ``more`` adds commands that live above this module (``engine.compare.cli``), after ``train``.
    """
    translate_argparse()  # argparse's own words (usage:, options:) in the user's language
    parser = argparse.ArgumentParser(
        prog="taller",
        description=(
            _(
                "Taller: train image classifiers end to end. With no command, opens the window. "
                "`python main.py COMMAND ...` does the same as `taller COMMAND ...`."
            )
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_train_parser(sub)
    for add in more:
        add(sub)
    ev = sub.add_parser(
        "evaluate", help=_("test a saved model: accuracy, per-class metrics, confusion matrix")
    )
    ev.add_argument("checkpoint", help=_("a saved model (.pt)"))
    ev.add_argument("--dataset", help=_("dataset to test on (default: the one the model was trained on)"))
    ev.add_argument("--data-dir", help=_("folder holding downloaded datasets"))
    add_loader_options(ev)
    add_setting(ev, BY_NAME["device"])
    ev.add_argument(
        "--precision", choices=PRECISIONS, help=_("default: the precision the model was trained in")
    )
    ev.add_argument(
        "--report", metavar="DIR", help=_("also write an HTML report with plots and metrics files")
    )
    pr = sub.add_parser("predict", help=_("classify image files with a saved model"))
    pr.add_argument("checkpoint", help=_("a saved model (.pt)"))
    pr.add_argument("images", nargs="+", metavar="IMAGE", help=_("image files to classify"))
    pr.add_argument("--top", type=COUNT, default=1, help=_("print the top K classes per image"))
    xp = sub.add_parser(
        "export", help=_("write a saved model as ONNX (dynamic batch), checked at once with onnxruntime")
    )
    xp.add_argument("checkpoint", help=_("a saved model (.pt)"))
    xp.add_argument("out", metavar="OUT.onnx", help=_("the ONNX file to write"))
    rl = sub.add_parser(
        "runs", help=_("list the run folders under the runs folder (what the Runs tab shows)")
    )
    rl.add_argument("--root", help=_("the runs folder (default: $TALLER_RUNS_DIR or ./runs)"))
    rl.add_argument("--json", action="store_true", help=_("print one JSON list of the runs (for scripts)"))
    sub.add_parser(
        "recipes",
        help=_("list each model's default recipe (optimizer, learning rate, epochs...) for each start"),
    )
    add_code_parsers(sub)
    iw = sub.add_parser("import-weights", help=_("copy ImageNet weights you have into the local torch cache"))
    iw.add_argument(
        "arch", choices=architectures.pretrainable(), help=_("the architecture the weights are for")
    )
    iw.add_argument("file", help=_("the .pth file from torchvision's download address"))
    return parser


def add_train_parser(sub: argparse._SubParsersAction) -> None:
    """The ``train`` command: data, model, freezing, fine-tuning, optimisation and output options."""
    tr = sub.add_parser("train", help=_("train a model and save it with its history and metrics"))
    add_run_options(tr)
    add_process_options(tr)


def add_process_options(tr: argparse.ArgumentParser) -> None:
    """``--devices`` (several processes through torchrun) and ``--events`` (lines for the window)."""
    group = tr.add_argument_group(gettext(GROUP_TITLES["process"]))
    group.add_argument(
        "--devices",
        type=COUNT,
        metavar="N",
        help=(
            _(
                "train on N processes of this machine (one per GPU on CUDA; N CPU processes otherwise) "
                "with PyTorch DDP, started through torchrun; --batch-size stays the global batch"
            )
        ),
    )
    group.add_argument(
        "--events",
        choices=EVENT_FORMATS,
        default="text",
        help=_("jsonl: print every training event as one JSON object per line on stdout (for programs)"),
    )


def add_run_options(tr: argparse.ArgumentParser) -> None:
    """The options of a run (``train``; ``lr-find`` takes the same, to test the same run): every
    setting of the table that has an option, in sections by configuration, then the run folder."""
    for config in CONFIGS:
        group = tr.add_argument_group(gettext(GROUP_TITLES[config]))
        for setting in of_config(config):
            if setting.option:
                add_setting(group, setting)
        if config == "model":  # not a setting: it names layers to freeze, resolved for the model
            group.add_argument(
                "--freeze-preset", help=_("'features' (train only the new head) or 'last:N' (last N blocks)")
            )
    folder = tr.add_argument_group(gettext(GROUP_TITLES["folder"]))
    folder.add_argument(
        "--out", help=_("run folder (default: a new runs/<dataset>-<model>-<N>; an existing one is replaced)")
    )
    folder.add_argument(
        "--resume", metavar="RUN_DIR", help=_("continue a stopped run at its next epoch (its own settings)")
    )
    folder.add_argument(
        "--save", metavar="PATH", help=_("also write the checkpoint to PATH (e.g. models/mine.pt)")
    )


def add_setting(parser: argparse.ArgumentParser | argparse._ArgumentGroup, setting: Setting) -> None:
    """``setting``'s option: its type, default, choices and help from the table."""
    help_text, default = setting.help_text(), setting.default
    if setting.name in RECIPE_NAMES:
        # Left out, it is the model's recipe (configs_from_args): None tells "not given" apart.
        recipe = _("the model's recipe, see taller recipes").replace("%", "%%")
        if "%(default)s" not in help_text:
            help_text = _("{help} (default %(default)s)").format(help=help_text)
        help_text = help_text.replace(" %(default)s", ": " + recipe)
        default = None
    if setting.form in ("flag", "not"):
        if default is None:  # a recipe may turn it on: --no-... turns it off again
            parser.add_argument(setting.option, action=argparse.BooleanOptionalAction, help=help_text)
        else:
            parser.add_argument(setting.option, action="store_true", help=help_text)
        return
    if setting.form == "list":
        parser.add_argument(setting.option, nargs="+", default=[], metavar=setting.metavar, help=help_text)
        return
    parser.add_argument(
        setting.option,
        type=setting_type(setting),
        default=default,
        choices=list(setting.choices()) if setting.choices else None,
        metavar=setting.metavar,
        help=help_text,
    )


def add_loader_options(parser: argparse.ArgumentParser) -> None:
    """``--loader`` and ``--no-cache``: how an image folder is read (in memory or streamed)."""
    add_setting(parser, BY_NAME["loader"])
    add_setting(parser, BY_NAME["cache"])


def configs_from_args(args: argparse.Namespace) -> tuple[DataConfig, ModelConfig, TrainConfig]:
    """The three configurations of ``train``'s arguments (they validate themselves); an option left
    out that the model's recipe sets takes the recipe's value (``engine.settings.defaults_for``).

    Raises
    ------
    ConfigError
        A value the configuration refuses, said with the option that gave it.
    """
    values: dict[str, dict] = {config: {} for config in CONFIGS}
    for setting in SETTINGS:
        if setting.option:
            raw = getattr(args, setting.dest)
            value = not raw if setting.form == "not" else tuple(raw) if setting.form == "list" else raw
            values[setting.config][setting.name] = value
    # Layers frozen by name or by a preset (resolved later, for the model) make it a frozen start.
    start = start_of(
        {**values["model"], "frozen": values["model"]["frozen"] or getattr(args, "freeze_preset", None)}
    )
    defaults = defaults_for(values["model"]["arch"], start)
    for name in RECIPE_NAMES:
        config = values[BY_NAME[name].config]
        if config[name] is None:
            config[name] = defaults[name]
    for setting in SETTINGS:
        if setting.option:
            problem = setting.check(values[setting.config][setting.name])
            if problem:  # the option typed, not only the setting's name in a report
                raise ConfigError(f"{setting.option}: {problem}")
    return DataConfig(**values["data"]), ModelConfig(**values["model"]), TrainConfig(**values["train"])


def add_code_parsers(sub: argparse._SubParsersAction) -> None:
    """``export-notebook`` (a run as a notebook and script) and ``lr-find`` (the range test)."""
    ex = sub.add_parser(
        "export-notebook",
        help=_("write a Jupyter notebook (and/or a script) of plain PyTorch that redoes a run"),
    )
    ex.add_argument("run", help=_("a checkpoint file or a run folder"))
    ex.add_argument("out", nargs="?", metavar="OUT.ipynb", help=_("the notebook to write"))
    ex.add_argument("--script", metavar="OUT.py", help=_("also write the code as a Python script"))
    lf = sub.add_parser(
        "lr-find", help=_("learning-rate range test: prints suggested_lr=... for a run's settings")
    )
    add_run_options(lf)
    lf.add_argument("--start-lr", type=POSITIVE, default=1e-7, help=_("smallest rate tried (default 1e-7)"))
    lf.add_argument("--end-lr", type=POSITIVE, default=10.0, help=_("largest rate tried (default 10)"))
    lf.add_argument("--max-batches", type=COUNT, default=100, help=_("batches at most (default 100)"))


def train_arguments(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig) -> list[str]:
    """The ``train`` arguments that rebuild these configurations: ``configs_from_args`` of their
    parse gives them back. Options at their default are left out; one that the model's recipe sets
    is said whenever it differs from the table's default, so the command shows the recipe.

    Raises
    ------
    ValueError
        A field with no option has a value other than its default, so no command can say it.
    """
    configs = {"data": data_cfg, "model": model_cfg, "train": train_cfg}
    args = ["train"]
    recipe = defaults_for(model_cfg.arch, start_of(vars(model_cfg)))
    for setting in SETTINGS:
        value = getattr(configs[setting.config], setting.name)
        if value == setting.default == recipe[setting.name]:
            continue
        if not setting.option:
            raise ValueError(f"{setting.name} = {value!r} has no command-line option")
        if setting.form == "list":
            args += [setting.option, *value]
        elif setting.form in ("flag", "not"):
            args.append(flag_words(setting, value))
        else:
            args += [setting.option, repr(value) if isinstance(value, float) else str(value)]
    return args


def flag_words(setting: Setting, value: bool) -> str:
    """How a flag says ``value``: ``--augment``; ``--no-augment`` where a recipe's flag is turned off."""
    if setting.form == "not" or value:
        return setting.option
    return "--no-" + setting.option.removeprefix("--")


def resume_changes(args: argparse.Namespace) -> dict[tuple[str, str], tuple[str, Any]]:
    """The settings typed beside ``--resume``, keyed by (config, field), with the words typed.

    Raises
    ------
    CliError
        An option that a resumed run cannot take at all (``--out``, ``--freeze-preset``).
    """
    typed = typed_options(args.argv[1:])
    for option, dest in (("--out", "out"), ("--freeze-preset", "freeze_preset")):
        if dest in typed:
            raise CliError(
                _(
                    "{option} cannot be used with --resume: the run continues in its own folder with "
                    "its own layers"
                ).format(option=option)
            )
    configs = dict(zip(CONFIGS, configs_from_args(args), strict=True))
    changes = {}
    for setting in SETTINGS:
        if not setting.option or setting.dest not in typed:
            continue
        value = getattr(configs[setting.config], setting.name)
        if setting.form == "list":
            said = " ".join([setting.option, *value])
        elif setting.form in ("flag", "not"):
            said = flag_words(setting, value)
        else:
            said = f"{setting.option} {value}"
        changes[(setting.config, setting.name)] = (said, value)
    return changes


def typed_options(words: list[str]) -> set[str]:
    """The destinations of the ``train`` options present in ``words`` (not left at their default)."""
    parser = argparse.ArgumentParser(add_help=False)
    add_run_options(parser)
    add_process_options(parser)
    untyped = object()  # not a string: argparse would run a string default through the option's type
    parser.set_defaults(**dict.fromkeys(vars(parser.parse_args([])), untyped))
    return {k for k, v in vars(parser.parse_args(words)).items() if v is not untyped}
