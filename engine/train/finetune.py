"""Fine-tuning: the model a run starts from (random, ImageNet or an own checkpoint) and phase two.

Transfer from an own checkpoint copies every weight of the same name and shape; a head for other
classes keeps its new weights. Phase two unfreezes (all, or the chosen modules) and rebuilds the
optimizer at ``finetune_lr_factor`` times the learning rate, as Lightning's ``BaseFinetuning`` does.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from engine.checkpoints import read_payload
from engine.config import ModelConfig
from engine.data.types import InputSpec
from engine.errors import CheckpointError, ModelError, TrainingError
from engine.freezing import release
from engine.i18n import _
from engine.models.build import build_model
from engine.models.weights import read_state_dict
from engine.train.state import FitState, Scheduler, make_optimizer, make_scheduler


def build_for_run(model_cfg: ModelConfig, classes: int, spec: InputSpec) -> nn.Module:
    """The model a run starts from: random, ImageNet weights, or an own checkpoint (transfer)."""
    try:
        model = build_model(model_cfg.arch, spec, classes, pretrained=model_cfg.pretrained)
    except ModelError as e:
        raise TrainingError(str(e)) from e
    if model_cfg.init_checkpoint:
        transfer_weights(model, model_cfg)
    return model


def transfer_weights(model: nn.Module, model_cfg: ModelConfig) -> list[str]:
    """Copy every weight of the same name and shape from an own checkpoint; the rest stays new.

    When the classes differ the head's shapes differ, so the head stays freshly initialised; that
    is the head replacement of transfer learning. A file of bare weights (a state dict, such as
    weights import-weights refuses to take for ImageNet's) is a starting point too, by the same
    rule. Returns the names of the weights left new.
    """
    try:
        payload = read_payload(model_cfg.init_checkpoint)
    except CheckpointError as e:
        try:
            state, _wrapped = read_state_dict(Path(model_cfg.init_checkpoint))
        except ModelError:
            raise TrainingError(_("cannot start from that checkpoint: {e}").format(e=e)) from e
        payload = {"meta": {"arch": model_cfg.arch}, "state_dict": state}  # no metadata: names decide
    if payload["meta"]["arch"] != model_cfg.arch:
        raise TrainingError(
            _("cannot start from {init_checkpoint}: it is a {arch} model, not {expected}").format(
                init_checkpoint=model_cfg.init_checkpoint,
                arch=payload["meta"]["arch"],
                expected=model_cfg.arch,
            )
        )
    own = model.state_dict()
    taken = {k: v for k, v in payload["state_dict"].items() if k in own and own[k].shape == v.shape}
    if not taken:
        raise TrainingError(
            _("no weights of {init_checkpoint} fit this model (other input size?)").format(
                init_checkpoint=model_cfg.init_checkpoint
            )
        )
    model.load_state_dict(taken, strict=False)
    return sorted(set(own) - set(taken))


def start_phase_two(
    model: nn.Module, state: FitState, epoch: int, steps: int
) -> tuple[torch.optim.Optimizer, Scheduler | None]:
    """Unfreeze (all, or the chosen modules) and rebuild the optimizer at the fine-tuning rate.

    ``state.frozen`` is updated to what stays frozen; a "phase" event announces the switch.
    """
    cfg = state.cfg
    names = tuple(cfg.unfreeze) or state.frozen
    try:
        # release() handles any nesting: unfreezing features.block3 out of a frozen "features".
        state.frozen = release(model, state.frozen, names)
    except ValueError as e:
        raise TrainingError(str(e)) from e
    lr = cfg.lr * cfg.finetune_lr_factor
    optimizer = make_optimizer(model, cfg, lr, state.head)
    scheduler = make_scheduler(optimizer, cfg, cfg.epochs - epoch + 1, steps)
    event = {"event": "phase", "phase": 2, "epoch": epoch, "fold": state.fold, "lr": lr}
    state.emit({**event, "unfrozen": sorted(names)})
    return optimizer, scheduler
