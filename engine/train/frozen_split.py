"""A model cut in two where its frozen front ends: the part computed once, and the part that trains.

The model's forward pass is traced with ``torch.fx`` (as torchvision's feature extraction does),
which gives its operations in order, each module call under its dotted ``named_modules()`` name
(``layer3.1.conv2``), as ``engine.freezing`` names layers. The front is the longest run of
operations from the input that

- use no weight that trains (every parameter of the module frozen),
- give the same output in training as in evaluation (no BatchNorm that updates its statistics, no
  dropout or other random layer in training mode, no random function),

cut where exactly one value flows on to the rest (ResNet after its last block's ReLU, or after the
flatten before ``fc``; VGG before the classifier's first dropout). The two parts are
``fx.GraphModule`` objects that share the model's own layers, so training the rest trains the model.
A model that cannot be traced, or whose front is empty, is not cut: the reason says why.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import fx, nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.dropout import _DropoutNd
from torch.nn.modules.instancenorm import _InstanceNorm

from engine.i18n import _

# Layers whose output depends on training mode (batch statistics, random draws).
MODE_DEPENDENT = (_BatchNorm, _DropoutNd, _InstanceNorm, nn.RReLU, nn.MultiheadAttention, nn.RNNBase)
RANDOM_FUNCTIONS = {
    F.dropout,
    F.dropout1d,
    F.dropout2d,
    F.dropout3d,
    F.alpha_dropout,
    F.feature_alpha_dropout,
    F.rrelu,
    torch.rand,
    torch.rand_like,
    torch.randn,
    torch.randn_like,
    torch.randint,
    torch.randint_like,
    torch.randperm,
    torch.bernoulli,
    torch.normal,
    torch.multinomial,
    torch.poisson,
}
RANDOM_METHODS = {"bernoulli", "bernoulli_", "uniform_", "normal_", "random_", "exponential_", "cauchy_"}


@dataclass
class FrozenSplit:
    """The model as ``rest(front(x))``; ``layers`` counts the layers with weights the rest runs."""

    front: fx.GraphModule
    rest: fx.GraphModule
    layers: int
    cut: str  # the operation whose output the rest starts from, for messages and the cache's key


def _why_varies(node: fx.Node, modules: dict[str, nn.Module], params: dict[str, nn.Parameter]) -> str | None:
    """Why ``node`` cannot be computed once (it trains, or differs from epoch to epoch), or None."""
    if node.op == "call_module":
        module = modules[node.target]
        if any(p.requires_grad for p in module.parameters()):
            return _("layer {layer} trains").format(layer=node.target)
        for name, sub in module.named_modules(prefix=node.target):
            if not sub.training or not isinstance(sub, MODE_DEPENDENT):
                continue
            if isinstance(sub, _BatchNorm):
                return _(
                    "BatchNorm layer {layer} updates its statistics as it trains (freeze the BatchNorm "
                    "statistics to compute it once)"
                ).format(layer=name)
            return _("layer {layer} is random while it trains").format(layer=name)
    elif node.op == "get_attr":
        param = params.get(node.target)
        if param is not None and param.requires_grad:
            return _("weight {layer} trains").format(layer=node.target)
    elif (node.op == "call_function" and node.target in RANDOM_FUNCTIONS) or (
        node.op == "call_method" and node.target in RANDOM_METHODS
    ):
        return _("step {step} is random").format(step=node.name)
    return None


def _graph_module(root: fx.GraphModule, nodes: list[fx.Node], inputs: list[fx.Node], out: fx.Node | None):
    """The operations ``nodes`` as a module of their own, reading ``inputs`` and returning ``out``."""
    graph = fx.Graph()
    env: dict[fx.Node, fx.Node] = {node: graph.placeholder(node.name) for node in inputs}
    for node in nodes:
        env[node] = graph.node_copy(node, lambda arg: env[arg])
    if out is not None:
        graph.output(env[out])
    graph.lint()
    return fx.GraphModule(root, graph)


def _weighted(module: fx.GraphModule, nodes) -> set[str]:
    """The layers with weights that ``nodes`` call."""
    return {
        n.target
        for n in nodes
        if n.op == "call_module" and any(True for _ in module.get_submodule(n.target).parameters())
    }


def split_frozen(model: nn.Module) -> FrozenSplit | str:
    """``model`` cut after its frozen front, or why it cannot be ("layer fc trains").

    Call it with the model in the mode it trains in (``freezing.set_train_mode``): that decides
    which BatchNorm and dropout layers vary.
    """
    try:
        traced = fx.symbolic_trace(model)
    except Exception:  # noqa: BLE001 - tracing fails in many ways on custom forwards; the run goes on
        return _("the model cannot be run in two parts")
    modules, params = dict(traced.named_modules()), dict(traced.named_parameters())
    nodes = list(traced.graph.nodes)
    place = {node: i for i, node in enumerate(nodes)}
    last_use = [max((place[user] for user in node.users), default=i) for i, node in enumerate(nodes)]
    why, end = _("the model cannot be run in two parts"), len(nodes) - 1  # the output varies: it trains
    for i, node in enumerate(nodes):
        varies = _why_varies(node, modules, params)
        if varies is not None:
            why, end = varies, i
            break
    best = None  # (last operation of the front, the one value it passes on)
    live: set[int] = set()  # values of nodes[: k + 1] that later operations read
    for k in range(end):
        live = {i for i in live if last_use[i] > k} | ({k} if last_use[k] > k else set())
        if len(live) == 1 and nodes[min(live)].op != "placeholder":
            best = (k, min(live))
    if best is None or not _weighted(traced, nodes[: best[0] + 1]):
        return why  # nothing with weights before the first layer that varies
    k, cut = best
    front = _graph_module(traced, nodes[: k + 1], [], nodes[cut])
    rest = _graph_module(traced, nodes[k + 1 :], [nodes[cut]], None)
    return FrozenSplit(front, rest, len(_weighted(rest, rest.graph.nodes)), nodes[cut].name)
