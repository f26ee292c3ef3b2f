"""Stop between layers, not only between batches: one batch of VGG-16 on a CPU takes many seconds.

While a batch trains, every module that holds weights checks the stop request before its forward
(a forward pre-hook) and before its part of the backward pass (a pre-hook on the autograd node of
its output, which in-place layers after it, such as ``ReLU(inplace=True)``, leave in the graph). A
request made mid-batch ends it within one layer's time; the optimizer step of that batch never
runs, so the weights are those of the last finished step (BatchNorm layers already run in that
forward have counted it in their running statistics, as one more batch would).

Not under DDP: the ranks must stop at the same batch, which the loop's collective check sees to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn

from engine.train.state import FitState, Stopped


def _has_weights(module: nn.Module) -> bool:
    return any(True for _ in module.parameters(recurse=False))


@contextmanager
def stop_between_layers(model: nn.Module, state: FitState) -> Iterator[None]:
    """While inside, ``state.should_stop()`` raises ``Stopped`` at the next layer, forward or backward."""
    if state.stop is None:
        yield
        return

    def check(*_args) -> None:
        if state.should_stop():
            raise Stopped

    def before_forward(_module, _args) -> None:
        check()

    def after_forward(_module, _args, output) -> None:
        node = getattr(output, "grad_fn", None)
        if node is not None:
            node.register_prehook(lambda grad_outputs: check())

    handles = []
    for module in model.modules():
        if _has_weights(module):
            handles.append(module.register_forward_pre_hook(before_forward))
            handles.append(module.register_forward_hook(after_forward))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()
