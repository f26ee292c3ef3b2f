"""Inside the model: every layer's response to one picture, taken from the pass that predicts it.

What Try it's *Inside* view shows, as CNN Explainer (Wang et al., IEEE VIS 2020) does for a fixed
model, here for any model Taller trains or opens:

- **the layers on the path**: each convolution with a kernel wider than one pixel (and the first
  convolution whatever its kernel) and each fully connected layer, in the order the forward pass
  reaches them. 1x1 convolutions (ResNet's shortcuts, RegNet's channel mixing and squeeze-excitation)
  are left out: their maps repeat their neighbours'. So the simple CNN shows 3 convolutions and its
  head, ResNet-18 17 convolutions and ``fc``, VGG-16 13 and 3, RegNet its stem and 16 block
  convolutions, the MLP its three layers. Names are ``named_modules()`` names, as the Layers tab's.
- **what each shows**: the layer's own output for the picture (a forward hook; the tests compare it
  with calling the layer directly). A convolution's channels are ranked by how strongly they fire:
  the mean of the channel after the BatchNorm that follows it (when one does) and a ReLU, so a
  channel counts as active where the model lets it through; at most ``MAX_MAPS`` are kept.
- **what drives a map**: the gradient of that map's mean with respect to the input (``drivers``),
  the question the class saliency map (``engine.saliency``) asks of the answer. The mean is taken
  of what the layer passes on (after that BatchNorm and ReLU, as for ranking): a convolution's raw
  output is linear in the input, so the gradient of its mean would be the same for every picture
  (the filter summed over all places), lighting the whole frame; rectified, it lights the places
  where the map fires. A fully connected unit's own value is used as it is.

Capturing costs one clone of each kept output; ranking, a few reductions. No module of the model is
changed, and hooks are removed when the pass ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from engine.data.transforms import normalise
from engine.data.types import InputSpec
from engine.errors import InferenceError
from engine.filter_history import first_layer
from engine.i18n import _
from engine.mosaic import stretch, symmetric
from engine.saliency import check_image, gradients_to_input

MAX_MAPS = 16  # maps shown per convolution, the most active first
THUMB = 32  # the strip's thumbnails: maps larger than this are averaged down to it
MAX_UNITS = 128  # units shown per fully connected layer, the strongest when there are more


@dataclass
class LayerView:
    """One layer's response to one picture."""

    name: str  # dotted name, as the Layers tab shows it
    kind: str  # "conv" or "linear"
    type_name: str  # the module's class: "Conv2d", "Linear"
    shape: tuple[int, ...]  # its output for one picture: (C, H, W) or (units,)
    frozen: bool
    explanation: str  # one sentence on what the layer does
    total: int  # channels or units in all
    index: np.ndarray  # the channels shown, most active first, or the units shown, in order
    activity: np.ndarray  # per channel shown: how strongly it fires; per unit shown: its value
    maps: np.ndarray | None = None  # conv: float32 (k, H, W), the shown channels' outputs
    thumbs: np.ndarray | None = None  # conv: uint8 (k, h, w), at most THUMB a side
    first: bool = False  # the model's first layer
    filters: np.ndarray | None = None  # first layer: its weights as uint8 pictures (N, C, h, w)
    head: bool = False  # the layer that gives the class scores

    @property
    def hidden(self) -> int:
        """Channels or units not shown."""
        return self.total - len(self.index)


@dataclass
class Strip:
    """The layers a picture passed through, input to output."""

    layers: list[LayerView] = field(default_factory=list)

    def layer(self, name: str) -> LayerView | None:
        return next((view for view in self.layers if view.name == name), None)


def path_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The modules the view shows, in registration order (see the module's docstring)."""
    chosen, seen_conv = [], False
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            if not seen_conv or max(module.kernel_size) > 1:
                chosen.append((name, module))
            seen_conv = True
        elif isinstance(module, nn.Linear):
            chosen.append((name, module))
    return chosen


def _batchnorm_after(model: nn.Module) -> dict[str, nn.BatchNorm2d]:
    """For each convolution directly followed by a BatchNorm of its channels, that BatchNorm."""
    modules = list(model.named_modules())
    found = {}
    for (name, module), (_next_name, following) in zip(modules, modules[1:], strict=False):
        if (
            isinstance(module, nn.Conv2d)
            and isinstance(following, nn.BatchNorm2d)
            and following.num_features == module.out_channels
        ):
            found[name] = following
    return found


class Capture:
    """Hooks that keep the path's outputs of one forward pass of one picture.

    Usage::

        with Capture(model) as capture:
            prediction = predictor.predict(drawing)   # the one forward pass
        strip = capture.strip(spec)
    """

    def __init__(self, model: nn.Module):
        self.model = model
        self.modules = dict(path_modules(model))
        self.outputs: dict[str, torch.Tensor] = {}  # in the order the pass reached them
        self._handles: list = []

    def __enter__(self) -> Capture:
        self.outputs.clear()
        for name, module in self.modules.items():
            self._handles.append(module.register_forward_hook(self._keeper(name)))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _keeper(self, name: str):
        def keep(_module, _inputs, output):
            if name not in self.outputs and torch.is_tensor(output):
                # A copy of the first picture: a ReLU(inplace=True) next (VGG) would overwrite it.
                self.outputs[name] = output[0].detach().to("cpu", torch.float32, copy=True)

        return keep

    def strip(self, spec: InputSpec) -> Strip:
        """The views of the layers reached, input to output."""
        norms = _batchnorm_after(self.model)
        names = list(self.outputs)
        first_name = next(iter(self.modules), None)
        views = []
        for i, name in enumerate(names):
            module, output = self.modules[name], self.outputs[name]
            first = name == first_name
            head = i == len(names) - 1 and isinstance(module, nn.Linear)
            view = _view(name, module, output, norms.get(name), first, head)
            if first:
                found = first_layer({f"{name}.weight": module.weight}, spec.shape)
                view.filters = symmetric(found[1]) if found is not None else None
            views.append(view)
        return Strip(views)


def _view(
    name: str, module: nn.Module, output: torch.Tensor, norm: nn.BatchNorm2d | None, first: bool, head: bool
) -> LayerView:
    params = list(module.parameters())
    common = {
        "name": name,
        "type_name": type(module).__name__,
        "shape": tuple(output.shape),
        "frozen": bool(params) and not any(p.requires_grad for p in params),
        "explanation": explain(module, first, head),
        "first": first,
        "head": head,
    }
    if output.ndim == 3:
        activity = _activity(output, norm).numpy()
        order = np.argsort(-activity, kind="stable")[:MAX_MAPS]
        maps = output[torch.as_tensor(order)]
        return LayerView(
            kind="conv",
            total=int(output.shape[0]),
            index=order,
            activity=activity[order],
            maps=maps.numpy(),
            thumbs=stretch(_shrink(maps).numpy()),
            **common,
        )
    values = output.reshape(-1)
    index = np.arange(values.numel())
    if values.numel() > MAX_UNITS:
        index = np.sort(np.argsort(-values.numpy(), kind="stable")[:MAX_UNITS])
    return LayerView(
        kind="linear", total=int(values.numel()), index=index, activity=values.numpy()[index], **common
    )


def _activity(output: torch.Tensor, norm: nn.BatchNorm2d | None) -> torch.Tensor:
    """Per channel of a ``(C, H, W)`` output: its mean after the following BatchNorm (if any) and a ReLU.

    BatchNorm as in eval mode; its parameters are constants here (no gradient flows into them).
    """
    x = output
    if norm is not None and norm.running_mean is not None and norm.running_var is not None:

        def per_channel(t: torch.Tensor) -> torch.Tensor:
            return t.detach().to(output.device, torch.float32)[:, None, None]

        x = (x - per_channel(norm.running_mean)) * torch.rsqrt(per_channel(norm.running_var) + norm.eps)
        if norm.weight is not None and norm.bias is not None:
            x = x * per_channel(norm.weight) + per_channel(norm.bias)
    return torch.relu(x).mean(dim=(1, 2))


def _shrink(maps: torch.Tensor) -> torch.Tensor:
    """Maps larger than ``THUMB`` averaged down to fit it, keeping their aspect ratio."""
    h, w = maps.shape[-2:]
    if max(h, w) <= THUMB:
        return maps
    size = (max(1, round(h * THUMB / max(h, w))), max(1, round(w * THUMB / max(h, w))))
    return nn.functional.adaptive_avg_pool2d(maps[None], size)[0]


def explain(module: nn.Module, first: bool = False, head: bool = False) -> str:
    """One sentence on what ``module`` does, for a student, in the user's language."""
    if isinstance(module, nn.Conv2d):
        n, c, k = module.out_channels, module.in_channels, "×".join(map(str, module.kernel_size))
        if first:
            return _(
                "The first convolution: each of its {n} filters ({k} pixels) slides over the picture and "
                "lights up where the picture looks like it, which is how edges and strokes are found."
            ).format(n=n, k=k)
        if module.groups > 1:
            return _(
                "A grouped convolution: each of its {n} filters ({k}) looks at a group of {size} maps of "
                "the layer before and lights up where its pattern appears in them."
            ).format(n=n, k=k, size=c // module.groups)
        return _(
            "A convolution: each of its {n} filters ({k}) looks at all {c} maps of the layer before and "
            "lights up where its pattern appears, so deeper layers find larger shapes built of simpler ones."
        ).format(n=n, k=k, c=c)
    if isinstance(module, nn.Linear):
        n, c = module.out_features, module.in_features
        if head:
            return _(
                "The last fully connected layer: one score per class, each a weighted sum of the {c} values "
                "before it; softmax turns the scores into probabilities."
            ).format(c=c)
        if first:
            return _(
                "A fully connected layer on the pixels: each of its {n} units adds up all {c} pixels, each "
                "with its own weight, so it responds to a pattern over the whole picture."
            ).format(n=n, c=c)
        return _(
            "A fully connected layer: each of its {n} units adds up all {c} values of the layer before, "
            "each with its own weight, into one number."
        ).format(n=n, c=c)
    return type(module).__name__


def explain_input() -> str:
    return _("The picture as the model sees it: prepared as in training, at the size the model takes.")


def explain_softmax() -> str:
    return _(
        "Softmax turns the last layer's scores into probabilities that add up to 100 %; the answer is the "
        "class with the highest."
    )


class _Reached(Exception):
    """Ends the forward pass at the layer asked about: nothing after it changes its output."""


def drivers(
    model: nn.Module, spec: InputSpec, image: torch.Tensor | np.ndarray, layer: str, index: int
) -> np.ndarray:
    """Which pixels drive one map (or unit) of ``layer``: float ``(H, W)`` in [0, 1].

    The magnitude of the gradient of the map's mean (rectified, see the module's docstring) with
    respect to the normalised input, summed over colour channels and scaled so the strongest pixel
    is 1; all zeros where the map does not fire at all. ``image`` is the uint8 input the model saw
    (``Prediction.input``); ``index`` a channel of a convolution or a unit of a fully connected
    layer. The model is left as it was (``engine.saliency.gradients_to_input``).
    """
    image = check_image(image, spec)
    try:
        module = model.get_submodule(layer)
    except AttributeError:
        raise InferenceError(_("the model has no layer(s) named {names}").format(names=layer)) from None
    kept: list[torch.Tensor] = []

    def stop_here(_module, _inputs, output):
        kept.append(output)
        raise _Reached

    with gradients_to_input(model) as device:
        x = normalise(image[None], spec).to(device).requires_grad_(True)
        handle = module.register_forward_hook(stop_here)
        try:
            model(x)
        except _Reached:
            pass
        finally:
            handle.remove()
        if not kept:
            raise InferenceError(
                _("the layer {layer} is not used when the model predicts").format(layer=layer)
            )
        output = kept[0][0]
        if not 0 <= index < output.shape[0]:
            raise InferenceError(
                _("{layer} has {n} maps; there is no map {index}").format(
                    layer=layer, n=output.shape[0], index=index
                )
            )
        if output.ndim == 3:
            target = _activity(output.float(), _batchnorm_after(model).get(layer))[index]
        else:
            target = output[index].float()
        if not target.requires_grad:  # a layer that does not depend on the input
            return np.zeros(spec.shape[1:], np.float32)
        (grad,) = torch.autograd.grad(target, x, allow_unused=True)
    if grad is None:
        return np.zeros(spec.shape[1:], np.float32)
    heat = grad.detach().abs().sum(dim=1)[0].float().cpu()
    top = float(heat.max())
    return (heat / top).numpy() if top > 0 else np.zeros(tuple(heat.shape), np.float32)
