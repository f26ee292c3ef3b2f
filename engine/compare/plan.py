"""A comparison plan: one base run, the variants that change it, how many repeats; fair by construction.

``Plan.base`` holds the three configurations as plain dicts (``{"data": {...}, "model": {...},
"train": {...}}``, the fields of ``engine.config``, or a run folder's ``config.json`` keys
``data_config``/``model_config``/``train_config``); each ``Variant`` changes some settings of the
one table (``engine.settings.BY_NAME``: ``{"arch": "regnet"}``, ``{"lr": 0.01}``) and may say where
its weights start (the ``"start"`` key): ``"scratch"`` (random weights, every layer trains),
``"frozen"`` (ImageNet weights, every layer but the new head frozen) or ``"finetune"`` (ImageNet
weights, the head trains alone for the first half of the epochs, then every layer at
``finetune_lr_factor`` times the rate: the engine's two-phase fine-tuning; with one epoch, every
layer from the start).

Fairness: every run of one repeat has the same seed, so the same split, test set, initial shuffling
and head initialisation; repeat ``r`` uses seed ``plan.seed + r`` for every variant. A variant cannot
change the seed. When one variant starts from ImageNet weights on an image folder whose size is
automatic, every variant reads the pictures at the weights' size (not only that one).

The module reads no PyTorch: the window builds plans before the engine has loaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.compare.estimate import estimate_seconds
from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data.registry import is_folder
from engine.errors import ConfigError
from engine.i18n import _, ngettext
from engine.models import registry as architectures
from engine.settings import BY_NAME, CONFIGS, DEFAULTS
from engine.train.request import RunRequest

__all__ = ["START", "STARTS", "Plan", "Variant", "estimate_seconds", "run_dir_name"]

START = "start"  # the change that says where a variant's weights start
STARTS = ("scratch", "frozen", "finetune")
MAX_REPEATS = 20
# A run folder's config.json names the configurations so; a plan may be written either way.
CONFIG_KEYS = {"data_config": "data", "model_config": "model", "train_config": "train"}


@dataclass
class Variant:
    """One column of a comparison: a short name the user reads, and the settings it changes."""

    name: str
    changes: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "changes": {k: _plain(v) for k, v in self.changes.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Variant:
        return cls(str(data["name"]), dict(data.get("changes") or {}))


@dataclass
class Plan:
    """What to compare. ``requests()`` gives every run in the order the queue runs them: the
    variants of seed ``seed``, then those of ``seed + 1`` and so on (a stopped plan has whole
    rounds to compare)."""

    name: str
    base: dict[str, dict[str, Any]]
    variants: list[Variant]
    repeats: int = 1
    seed: int = 0
    preset: str | None = None  # the preset it came from, for the report; None: made by hand

    @classmethod
    def from_configs(
        cls,
        name: str,
        data_cfg: DataConfig,
        model_cfg: ModelConfig,
        train_cfg: TrainConfig,
        variants: list[Variant],
        repeats: int = 1,
        preset: str | None = None,
    ) -> Plan:
        """A plan whose base is these configurations (the forms', or a run's); its seed is theirs."""
        base = {"data": data_cfg.to_dict(), "model": model_cfg.to_dict(), "train": train_cfg.to_dict()}
        return cls(name, base, variants, repeats, data_cfg.seed, preset)

    # --- JSON ---------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "preset": self.preset,
            "base": {c: {k: _plain(v) for k, v in (self.base.get(c) or {}).items()} for c in CONFIGS},
            "variants": [v.to_dict() for v in self.variants],
            "repeats": self.repeats,
            "seed": self.seed,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        raw = dict(data.get("base") or {})
        base = {
            CONFIG_KEYS.get(k, k): dict(v or {}) for k, v in raw.items() if CONFIG_KEYS.get(k, k) in CONFIGS
        }
        seed = data.get("seed", base.get("data", {}).get("seed", DEFAULTS["seed"]))
        variants = [Variant.from_dict(v) for v in data.get("variants") or []]
        return cls(
            str(data.get("name") or "plan"),
            base,
            variants,
            int(data.get("repeats", 1)),
            int(seed),
            data.get("preset"),
        )

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """A plan from its JSON text (``to_json``'s, or one written by hand).

        Raises
        ------
        ConfigError
            Not JSON, or not a plan; the message says what is missing.
        """
        try:
            data = json.loads(text)
        except ValueError as e:
            raise ConfigError(_("the plan is not valid JSON ({e})").format(e=e)) from e
        if not isinstance(data, dict) or not isinstance(data.get("variants"), list):
            raise ConfigError(_('a plan is a JSON object with a "variants" list (and "name", "base")'))
        try:
            return cls.from_dict(data)
        except (KeyError, TypeError, ValueError) as e:
            raise ConfigError(_("the plan's {what} is not what a plan holds").format(what=e)) from e

    @classmethod
    def read(cls, path: str | Path) -> Plan:
        """The plan in the JSON file ``path``.

        Raises
        ------
        ConfigError
            The file cannot be read or holds no plan; the message names it.
        """
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(_("cannot read the plan {path}: {e}").format(path=path, e=e)) from e
        try:
            return cls.from_json(text)
        except ConfigError as e:
            raise ConfigError(_("{path}: {problem}").format(path=path, problem=e.message)) from e

    # --- the runs -------------------------------------------------------------------------------------

    def check(self) -> None:
        """Refuse a plan that cannot run, before anything runs: every request is built once.

        Raises
        ------
        ConfigError
            No variant, two variants of one name, a bad repeat count, a setting that is not in the
            table or a value it refuses (named with its variant).
        """
        if not self.variants:
            raise ConfigError(_("the plan has no variants: add at least one"))
        names = [v.name.strip() for v in self.variants]
        if not all(names):
            raise ConfigError(_("every variant needs a name"))
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ConfigError(
                _("two variants are called {names}: give each its own name").format(names=", ".join(twice))
            )
        if not 1 <= self.repeats <= MAX_REPEATS:
            raise ConfigError(
                _("repeats must be from 1 to {most}, not {value}").format(
                    most=MAX_REPEATS, value=self.repeats
                )
            )
        self.requests()

    def requests(self) -> list[tuple[str, int, RunRequest]]:
        """(variant name, repeat, request) of every run, in the order they run."""
        runs = self._unresized()
        size = self.fair_size([request for _name, _r, request in runs])
        if size is None:
            return runs
        return [(name, r, _resized(request, size)) for name, r, request in runs]

    def _unresized(self) -> list[tuple[str, int, RunRequest]]:
        return [(v.name, r, self.request(v, r)) for r in range(self.repeats) for v in self.variants]

    def request(self, variant: Variant, repeat: int = 0) -> RunRequest:
        """The request of one variant in one repeat (before the plan's common resizing)."""
        values = {c: dict(self.base.get(c) or {}) for c in CONFIGS}
        for key, value in variant.changes.items():
            if key == START:
                continue
            setting = BY_NAME.get(key)
            if setting is None:
                raise ConfigError(
                    _("variant {name!r}: {key!r} is not a setting; use one of {choices}").format(
                        name=variant.name, key=key, choices=", ".join([START, *BY_NAME])
                    )
                )
            if key == "seed":
                raise ConfigError(
                    _(
                        "variant {name!r} changes the seed: every variant has the plan's seed, so all are "
                        "split and tested alike; ask for repeats to vary it"
                    ).format(name=variant.name)
                )
            values[setting.config][key] = tuple(value) if setting.type is tuple else value
        values["data"]["seed"] = self.seed + repeat
        freeze = _apply_start(variant, values)
        try:
            data_cfg = DataConfig.from_dict(values["data"])
            model_cfg = ModelConfig.from_dict(values["model"])
            train_cfg = TrainConfig.from_dict(values["train"])
        except ConfigError as e:
            raise ConfigError(
                _("variant {name!r}: {problem}").format(name=variant.name, problem=e.message)
            ) from e
        except TypeError as e:  # a value of the wrong kind ("lr": "fast")
            raise ConfigError(
                _("variant {name!r}: a value of the wrong kind ({e})").format(name=variant.name, e=e)
            ) from e
        if model_cfg.pretrained and not architectures.supports_pretrained(model_cfg.arch):
            raise ConfigError(
                _("variant {name!r}: {model} has no ImageNet weights; those of {models} do").format(
                    name=variant.name,
                    model=architectures.label(model_cfg.arch),
                    models=architectures.pretrainable_labels(),
                )
            )
        return RunRequest(data_cfg, model_cfg, train_cfg, freeze_preset=freeze)

    def fair_size(self, requests: list[RunRequest]) -> tuple[int, int] | None:
        """(crop, resize) every folder variant reads, when one starts from ImageNet weights on an
        image folder of automatic size (the size those weights expect); None otherwise."""
        for request in requests:
            data_cfg, model_cfg = request.data_cfg, request.model_cfg
            if model_cfg.pretrained and is_folder(data_cfg.dataset) and data_cfg.image_size is None:
                # deferred: the weights' sizes are read from torchvision's tables (seconds to import)
                from engine.models.preprocessing import weights_preprocessing

                pre = weights_preprocessing(model_cfg.arch)
                if pre is not None:
                    return pre.crop, pre.resize
        return None

    def notes(self) -> list[str]:
        """What the user should know about how the plan is fair, in the user's language."""
        requests = self.requests()
        first = [request for _name, r, request in requests if r == 0]
        notes = [
            ngettext(
                "every variant is trained on the same split and tested on the same test images "
                "(seed {seeds})",
                "every variant is trained on the same split and tested on the same test images "
                "(one round per seed: {seeds})",
                self.repeats,
            ).format(seeds=", ".join(str(self.seed + r) for r in range(self.repeats)))
        ]
        if len({r.data_cfg.dataset for r in first}) > 1:
            notes.append(
                _("the variants read different data, so their test images differ and no pair is tested")
            )
        size = self.fair_size([request for _name, _r, request in self._unresized()])
        if size is not None:
            notes.append(
                _(
                    "every variant reads the pictures at {crop}×{crop} (shorter side {resize}, centre crop), "
                    "the size ImageNet weights expect, so all see the same pictures"
                ).format(crop=size[0], resize=size[1])
            )
        for variant, request in zip(self.variants, first, strict=True):
            if variant.changes.get(START) != "finetune":
                continue
            train = request.train_cfg
            if train.unfreeze_after:
                notes.append(
                    _(
                        "{name}: the new head trains alone for {n} epoch(s) on frozen ImageNet layers, then "
                        "every layer trains at {factor}× the learning rate"
                    ).format(name=variant.name, n=train.unfreeze_after, factor=train.finetune_lr_factor)
                )
            else:
                notes.append(
                    _(
                        "{name}: every layer trains from ImageNet weights at once (two phases need 2 epochs "
                        "or more)"
                    ).format(name=variant.name)
                )
        return notes


def _apply_start(variant: Variant, values: dict[str, dict[str, Any]]) -> str | None:
    """Set where a variant's weights start (``START``); returns its freeze preset, or None."""
    start = variant.changes.get(START)
    if start is None:
        return None
    if start not in STARTS:
        raise ConfigError(
            _("variant {name!r}: start must be {choices}, not {value!r}").format(
                name=variant.name, choices=", ".join(STARTS), value=start
            )
        )
    model, train = values["model"], values["train"]
    model.update(pretrained=start != "scratch", init_checkpoint=None, frozen=())
    train.update(unfreeze_after=None, unfreeze=())
    if start == "scratch":
        return None
    if start == "frozen":
        return "features"
    epochs = int(train.get("epochs", DEFAULTS["epochs"]))
    if epochs < 2:
        return None
    train["unfreeze_after"] = epochs // 2
    return "features"


def _resized(request: RunRequest, size: tuple[int, int]) -> RunRequest:
    data_cfg = request.data_cfg
    if not is_folder(data_cfg.dataset) or data_cfg.image_size is not None:
        return request
    return replace(request, data_cfg=replace(data_cfg, image_size=size[0], resize=size[1]))


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def run_dir_name(index: int, variant: str, seed: int | None = None) -> str:
    """The folder of run ``index`` (0-based) inside the comparison folder: ``02-fine-tuned``, or
    ``05-fine-tuned-seed1`` when the plan repeats over seeds."""
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in variant.strip().lower()).strip("-_")
    name = f"{index + 1:02d}-{safe or 'variant'}"
    return name if seed is None else f"{name}-seed{seed}"
