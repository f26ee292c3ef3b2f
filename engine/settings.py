"""The ONE table of a run's settings: every field of DataConfig, ModelConfig and TrainConfig, once.

Each ``Setting`` says its name (the config field), type, default, allowed values (an ``Interval`` or
``choices``), the words a user reads (``label`` in reports and messages, ``help`` on the command
line; English marked with ``N_``, Spanish in ``engine/locale/es.json``), the config it belongs to,
its command-line option, where the window shows it (``Place``) and when it matters to a run
(``used_when``, ``off``). Whoever needs a setting reads it here: the config dataclasses take their
defaults and range checks from it, ``engine.cli_args`` generates the options, their parsing and
"Copy as command" from it, the window's forms their ranges and remembered values, the report its
list of the settings a run used. Adding a setting is one entry below (and its field in
``engine.config``, which a test holds to this table).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.data import registry as datasets
from engine.data.types import LOADERS
from engine.errors import ConfigError
from engine.i18n import N_, _, gettext
from engine.models import recipes
from engine.models import registry as architectures

OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("none", "step", "cosine", "onecycle")
MAX_BATCH = 65_536  # larger batches are a typo: no device here holds one
# "mps" is Apple's GPU, where PyTorch has it; "auto" picks CUDA when usable, else the CPU.
DEVICES = ("auto", "cpu", "cuda", "mps")
# engine.precision resolves these for a device; they live here so that listing them needs no torch.
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
CONFIGS = ("data", "model", "train")
# scikit-learn's random_state takes 0..2**32-1; a seed outside it failed deep inside the split.
MAX_SEED = 2**32 - 1
PRECISION_HELP = N_(
    "auto (default): bfloat16 mixed precision on CPUs with native bfloat16 (AVX-512 BF16/AMX), "
    "float32 in channels-last layout on other x86 CPUs, float16 with gradient scaling on CUDA, "
    "float32 elsewhere; fp32 turns it off (plain float32, NCHW layout)"
)


@dataclass(frozen=True)
class Interval:
    """The numbers a setting accepts: ``low``..``high`` (None: unbounded), each end open or closed."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value: float) -> bool:
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or (value < self.high if self.high_open else value <= self.high)

    def problem(self, name: str, value: Any) -> str:
        """The sentence that refuses ``value`` for the setting called ``name``."""
        if self.high is not None and not (self.low_open or self.high_open):
            template = _("{name} must be between {low} and {high}, not {value}")
        else:  # in words: "(0, 0.9)" reads as "between 0 and 0.9" to most, who then try 0
            template = _("{name} must be {range}, not {value}")
        return template.format(name=name, low=self.low, high=self.high, range=self.words(), value=value)

    def words(self) -> str:
        """The numbers inside, in words: ``more than 0 and less than 0.9``, ``from 1 to 10000``."""
        if self.high is None:
            template = _("more than {low}") if self.low_open else _("{low} or more")
        elif self.low_open and self.high_open:
            template = _("more than {low} and less than {high}")
        elif self.low_open:
            template = _("more than {low} and at most {high}")
        elif self.high_open:
            template = _("at least {low} and less than {high}")
        else:
            template = _("from {low} to {high}")
        return template.format(low=self.low, high=self.high)


@dataclass(frozen=True)
class Place:
    """Where the window shows a setting and remembers it.

    ``panel`` is the form ("model", "data", "finetune"), ``group`` its part ("main", "advanced"),
    ``widget`` the control's objectName and ``key`` its QSettings key (None: not remembered, or
    remembered by its panel in its own way). Spin boxes: ``decimals``, ``step`` (None: adaptive),
    ``percent`` (shown x100 with a % sign) and ``most``, a top the window keeps below the engine's
    on purpose (a field wide enough for sensible values).
    """

    panel: str
    widget: str
    key: str | None = None
    group: str = "main"
    decimals: int = 0
    step: float | None = 1
    percent: bool = False
    most: float | None = None


@dataclass(frozen=True)
class Setting:
    """One setting of a run. See the module's docstring; ``off`` holds the values that turn it off
    (K-Fold 0, no second phase), ``used_when`` whether it acts given the run's other values (momentum
    with SGD only) and ``unused_note`` why not, for the window's tool tip."""

    name: str
    config: str
    type: type
    default: Any
    label: str
    help: str
    option: str | None = None
    form: str = "value"  # how the option says it: "value", "flag" (True), "not" (False), "list"
    metavar: str | None = None
    choices: Callable[[], Sequence[str]] | None = None
    interval: Interval | None = None
    off: tuple[Any, ...] = ()
    used_when: Callable[[Mapping[str, Any]], bool] | None = None
    unused_note: str | None = None
    help_values: Callable[[], dict[str, str]] | None = None
    window: Place | None = None
    report: bool = False

    @property
    def dest(self) -> str:
        """The argparse attribute of the option (``--no-cache`` -> ``no_cache``)."""
        return (self.option or "").lstrip("-").replace("-", "_")

    def help_text(self) -> str:
        """The option's help in the current language, with argparse's ``%(default)s`` left in."""
        text = gettext(self.help)
        return text.format(**self.help_values()) if self.help_values else text

    def tip(self) -> str:
        """The help as a tool tip: the default written in."""
        return self.help_text() % {"default": self.default}

    def check(self, value: Any) -> str | None:
        """Why ``value`` is refused, or None when it is accepted."""
        if (value is None and self.default is None) or value in self.off:
            return None
        if value is None:
            return _("{name} needs a value").format(name=gettext(self.label))
        choices = self.choices() if self.choices else None
        if choices is not None and value not in choices:
            return _("unknown {name} {value!r}; choose one of {choices}").format(
                name=gettext(self.label), value=value, choices=", ".join(choices)
            )
        if self.interval is None or value in self.interval:
            return None
        problem = self.interval.problem(gettext(self.label), value)
        slot = self.off_slot
        return problem if slot is None else _("{problem} ({off} = off)").format(problem=problem, off=slot)

    @property
    def off_slot(self) -> Any:
        """The number that turns this setting off from outside its interval (K-Fold's 0), or None."""
        return next((v for v in self.off if v is not None and self.interval and v not in self.interval), None)

    def is_used(self, values: Mapping[str, Any]) -> bool:
        """Whether this setting acted in a run of ``values`` (all three configs' fields by name)."""
        if values.get(self.name, self.default) in self.off:
            return False
        return self.used_when is None or self.used_when(values)


def _sgd(values: Mapping[str, Any]) -> bool:
    return values.get("optimizer") == "sgd"


def _two_phase(values: Mapping[str, Any]) -> bool:
    return values.get("unfreeze_after") is not None


SETTINGS: tuple[Setting, ...] = (
    # ---- data -------------------------------------------------------------------------------
    Setting("dataset", "data", str, "digits", N_("dataset"), N_("the data: {choices}"), "--dataset",
            help_values=lambda: {"choices": datasets.usage()},
            window=Place("data", "datasetCombo", "data/dataset")),
    Setting("data_dir", "data", str, "data", N_("data folder"),
            N_("folder holding downloaded datasets (default %(default)s)"), "--data-dir",
            window=Place("data", "dataFolderEdit", "data/dataDir")),
    Setting("download", "data", bool, False, N_("download"), N_("download the dataset if it is missing"),
            "--download", form="flag"),
    Setting("image_size", "data", int, None, N_("image size"),
            N_("resize image-folder pictures to this size (8-512; default: their common size up to 64 px, "
               "or with --pretrained the weights' own preprocessing, e.g. shorter side 256, "
               "centre crop 224)"),
            "--image-size", interval=Interval(8, 512),
            window=Place("data", "imageSizeCombo", "data/imageSize")),
    Setting("loader", "data", str, "auto", N_("loader"),
            N_("image folders: memory (decoded once, held in memory), stream (decoded from disk batch by "
               "batch in worker processes) or auto (default: memory when the pixels fit comfortably)"),
            "--loader", choices=lambda: LOADERS, window=Place("data", "loaderCombo", "data/loader")),
    Setting("cache", "data", bool, True, N_("decode cache"),
            N_("a streamed folder does not keep its decoded pictures in the decode cache on disk"),
            "--no-cache", form="not"),
    # Set by the run for pretrained models (the weights' own preprocessing); no option of its own.
    Setting("resize", "data", int, None, N_("image resize"), "", off=(None,)),
    # More than 0: every run validates (best.pt, the validation curve, early signs of overfitting), and
    # the split holds back one image at least, so 0 could not mean "no validation" anyway.
    Setting("val_split", "data", float, 0.2, N_("validation share"),
            N_("share of the training data kept for validation, more than 0 and less than 0.9 "
               "(default %(default)s)"), "--val-split",
            interval=Interval(0, 0.9, low_open=True, high_open=True),
            window=Place("model", "valSplitSpin", "train/valSplit", "advanced", percent=True, most=0.8)),
    Setting("augment", "data", bool, False, N_("augmentation"),
            N_("random shifts/rotations (and flips for photos)"), "--augment", form="flag",
            window=Place("model", "augmentCheck", "train/augment")),
    # ---- model ------------------------------------------------------------------------------
    Setting("arch", "model", str, "cnn", N_("model"), N_("the architecture (default %(default)s)"),
            "--model", choices=architectures.keys, window=Place("model", "modelCombo", "model/arch")),
    Setting("pretrained", "model", bool, False, N_("ImageNet weights"),
            N_("start from ImageNet weights in the torch cache"), "--pretrained", form="flag",
            window=Place("model", "pretrainedCheck", "model/pretrained")),
    Setting("init_checkpoint", "model", str, None, N_("starting checkpoint"),
            N_("start from a model trained earlier in Taller"), "--init", metavar="CHECKPOINT",
            window=Place("finetune", "initCheckpointEdit", "finetune/checkpoint")),
    Setting("frozen", "model", tuple, (), N_("frozen layers"), N_("dotted module names to freeze"),
            "--freeze", form="list", metavar="NAME"),
    Setting("freeze_bn_stats", "model", bool, True, N_("BatchNorm in frozen layers"),
            N_("let BatchNorm statistics of frozen layers update"), "--train-bn", form="not",
            window=Place("finetune", "freezeBnCheck")),
    # ---- training: the order of the report's list and of the options in --help ---------------
    Setting("epochs", "train", int, 5, N_("epochs"),
            N_("number of epochs: passes over the training data (default %(default)s)"), "--epochs",
            interval=Interval(1, 10_000), report=True,
            window=Place("model", "epochsSpin", "train/epochs", most=1000)),
    Setting("batch_size", "train", int, 64, N_("batch size"),
            N_("images per optimizer step (default %(default)s); the GLOBAL batch: on N processes "
               "(--devices N or torchrun) each takes batch-size/N, so the steps and loss match one process"),
            "--batch-size", interval=Interval(1, MAX_BATCH), report=True,
            window=Place("model", "batchSizeSpin", "train/batchSize", most=4096)),
    Setting("lr", "train", float, 1e-3, N_("learning rate"), N_("learning rate (default %(default)s)"),
            "--lr", interval=Interval(0, 10, low_open=True), report=True,
            window=Place("model", "learningRateSpin", "train/lr", decimals=5, step=None)),
    Setting("optimizer", "train", str, "adam", N_("optimizer"), N_("the optimizer (default %(default)s)"),
            "--optimizer", choices=lambda: OPTIMIZERS, report=True,
            window=Place("model", "optimizerCombo", "train/optimizer", "advanced")),
    Setting("momentum", "train", float, 0.9, N_("momentum"), N_("SGD's momentum (default %(default)s)"),
            "--momentum", interval=Interval(0, 1, high_open=True), used_when=_sgd, report=True,
            unused_note=N_("momentum is used by SGD only; Adam adapts its steps from its own averages"),
            window=Place("model", "momentumSpin", "train/momentum", "advanced", decimals=2, step=0.01)),
    # At 1 or more each step pulls every weight to zero harder than the loss can pull it anywhere:
    # such a run trains to chance, so it is refused rather than run (typical values are 1e-5..1e-2).
    Setting("weight_decay", "train", float, 0.0, N_("weight decay"),
            N_("weight decay, L2 regularisation, 0 to below 1 (default %(default)s)"), "--weight-decay",
            interval=Interval(0, 1, high_open=True), off=(0.0,), report=True,
            window=Place("model", "weightDecaySpin", "train/weightDecay", "advanced", decimals=5, step=None,
                         most=0.5)),
    Setting("label_smoothing", "train", float, 0.0, N_("label smoothing"),
            N_("label smoothing: the share of each target spread over the other classes, 0-1 "
               "(default %(default)s)"),
            "--label-smoothing", interval=Interval(0, 1, high_open=True), off=(0.0,), report=True,
            window=Place("model", "labelSmoothingSpin", "train/labelSmoothing", "advanced", decimals=2,
                         step=0.05)),
    Setting("schedule", "train", str, "none", N_("learning-rate schedule"),
            N_("learning-rate schedule over the epochs (default %(default)s)"), "--schedule",
            choices=lambda: SCHEDULES, report=True,
            window=Place("model", "scheduleCombo", "train/schedule", "advanced")),
    Setting("unfreeze_after", "train", int, None, N_("unfreeze after epoch"),
            N_("unfreeze after N epochs (two-phase fine-tuning)"), "--unfreeze-after",
            interval=Interval(1), off=(None,), report=True,
            window=Place("finetune", "unfreezeAfterSpin", "finetune/unfreezeAfter")),
    Setting("unfreeze", "train", tuple, (), N_("layers to unfreeze"), N_("what to unfreeze (default all)"),
            "--unfreeze", form="list", metavar="NAME", used_when=_two_phase, report=True),
    Setting("finetune_lr_factor", "train", float, 0.1, N_("fine-tuning learning-rate factor"),
            N_("learning rate of the second fine-tuning phase, as a factor of --lr (default %(default)s)"),
            "--finetune-lr-factor", interval=Interval(0, 1, low_open=True), used_when=_two_phase,
            report=True, window=Place("finetune", "finetuneLrFactorSpin", "finetune/lrFactor", decimals=3)),
    Setting("backbone_lr_factor", "train", float, 1.0, N_("backbone learning-rate factor"),
            N_("learning rate of the pretrained backbone, as a factor of the head's (default %(default)s)"),
            "--backbone-lr-factor", interval=Interval(0, 1, low_open=True), off=(1.0,), report=True,
            window=Place("finetune", "backboneLrFactorSpin", "finetune/backboneLrFactor", decimals=3)),
    Setting("kfold", "train", int, 0, N_("K-Fold cross-validation folds"),
            N_("K-Fold cross-validation (2..10)"), "--kfold", metavar="K", interval=Interval(2, 10),
            off=(0,), report=True, window=Place("model", "kfoldSpin", "train/kfold", "advanced")),
    Setting("device", "train", str, "auto", N_("device"),
            N_("where to compute (default %(default)s: a GPU if any)"), "--device",
            choices=lambda: DEVICES, report=True,
            window=Place("model", "deviceCombo", "train/device", "advanced")),
    Setting("precision", "train", str, "auto", N_("numeric precision"), PRECISION_HELP, "--precision",
            choices=lambda: PRECISIONS, report=True,
            window=Place("model", "precisionCombo", "train/precision", "advanced")),
    # The data's, as it splits the data first; it seeds the weights and the shuffling as well.
    Setting("seed", "data", int, 0, N_("seed"),
            N_("random seed: the same seed, the same split and run (default %(default)s)"), "--seed",
            interval=Interval(0, MAX_SEED), report=True,
            window=Place("model", "seedSpin", "train/seed", "advanced", most=2_147_483_647)),
)  # fmt: skip

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
DEFAULTS: dict[str, Any] = {s.name: s.default for s in SETTINGS}


# The settings a model's recipe gives (``engine.models.recipes``): on the command line they have no
# fixed default, since what an option left out means depends on the model and its start.
RECIPE_NAMES: tuple[str, ...] = recipes.NAMES


def defaults_for(arch: str, start: str | None = recipes.SCRATCH) -> dict[str, Any]:
    """Every setting's default for a run of ``arch`` from ``start`` (``engine.models.recipes``): the
    table's, with the recipe over it (none from a checkpoint)."""
    return {**DEFAULTS, **recipes.recipe(arch, start)}


def start_of(model: Mapping[str, Any]) -> str | None:
    """The start of a run of these model settings (``ModelConfig`` fields): scratch, frozen or finetune."""
    return recipes.start_of(
        bool(model.get("pretrained")), bool(model.get("frozen")), bool(model.get("init_checkpoint"))
    )


def of_config(config: str) -> tuple[Setting, ...]:
    """The settings of one config ("data", "model" or "train"), in the table's order."""
    return tuple(s for s in SETTINGS if s.config == config)


def check(config: str, obj: object) -> None:
    """Refuse a config whose values lie outside the table's ranges or choices.

    Raises
    ------
    ConfigError
        The first value refused, in words a user reads.
    """
    for setting in of_config(config):
        problem = setting.check(getattr(obj, setting.name))
        if problem:
            raise ConfigError(problem)


def run_values(configs: Mapping[str, Mapping[str, Any] | None]) -> dict[str, Any]:
    """All of a run's values by name, from its saved configs (``{"data": {...}, ...}``). What an older
    run did not save reads as today's default; what it saved that no config holds now is left out
    (its training seed: the data's seed split its data, and is the run's)."""
    values = dict(DEFAULTS)
    for config in CONFIGS:
        known = {s.name for s in of_config(config)}
        values.update({k: v for k, v in (configs.get(config) or {}).items() if k in known})
    return values


def used_in_run(values: Mapping[str, Any]) -> list[Setting]:
    """The report's settings that acted in a run of ``values`` (momentum only with SGD, ...)."""
    return [s for s in SETTINGS if s.report and s.is_used(values)]
