"""Where the default digit model's Grad-CAM puts its heat on real handwriting: on the ink?

Real MNIST digits the default model never trained on (the 750 of the MNIST sample that
``models/train_default.py`` holds out) are written dark on a white 280x280 page at a random size
and place, as the drawing canvas hands them over, prepared by the engine as the canvas is
(``engine.data.prepare``) and explained by the Try it panel's map (``Predictor.saliency``).

For each digit: the share of the heat (the sum of the [0, 1] map) that lies on the ink, the ink
being the model input's pixels at half brightness or more (128 of 255), grown by 2 px (every
pixel within 2 px, Euclidean). A map spread evenly over the picture scores the ink's share of
the picture. Prints the mean per class, then ``ink_share=`` (the dilated ink's mean share of the
picture), ``centre_blob=`` (what a fixed Gaussian on the picture's centre scores: centring alone,
no looking) and ``cam_on_ink_fraction=`` (the mean over all digits).

    .venv/bin/python bench/saliency_on_ink.py [--model models/default-digits.pt] [--n 750]
        [--map panel|gradcam|before] [--seed 7]

``--map`` picks the map: ``panel`` is the Try it panel's (``engine.saliency``: each place's
features after the last block's ReLU times their own gradient, HiResCAM); ``gradcam`` weighs the
same features by the gradient averaged over the map, as Grad-CAM does; ``before`` is the map issue
28 reported (Grad-CAM on the last ``Conv2d``'s raw output, before BatchNorm and ReLU). The last
two are here for comparison only.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from engine.data.transforms import normalise  # noqa: E402
from engine.predict import Predictor  # noqa: E402
from engine.saliency import cam_module  # noqa: E402
from models.train_default import draw_on_page, held_out_real  # noqa: E402

INK_LEVEL = 128
GROW_PX = 2
_ROWS, _COLS = np.mgrid[0:28, 0:28]
# A map that looks at no picture: a Gaussian (sigma 6 px) on the centre, where MNIST framing puts
# every digit's mass. What it scores is what centring alone earns on this measure.
CENTRE_BLOB = np.exp(-((_ROWS - 13.5) ** 2 + (_COLS - 13.5) ** 2) / (2 * 6.0**2))


def ink_mask(model_input: np.ndarray) -> np.ndarray:
    """The ink of a uint8 ``(1, H, W)`` digit (light on dark), grown by ``GROW_PX`` pixels."""
    ink = model_input[0] >= INK_LEVEL
    # Every pixel within GROW_PX of the ink: the distance to the nearest ink pixel.
    return ndimage.distance_transform_edt(~ink) <= GROW_PX


def on_ink(heat: np.ndarray, mask: np.ndarray) -> float:
    total = float(heat.sum())
    return float(heat[mask].sum()) / total if total > 0 else 0.0


def other_map(predictor: Predictor, model_input: np.ndarray, kind: str) -> np.ndarray:
    """The ``gradcam`` or ``before`` map of ``--map``, as ``(H, W)`` in [0, 1]."""
    model = predictor.model.eval()
    if kind == "before":
        block = [m for m in model.modules() if isinstance(m, nn.Conv2d)][-1]
    else:
        block = cam_module(model, predictor.meta.get("arch"))
    captured = []

    def keep(_module, _inputs, output):
        features = output if kind == "before" else torch.relu(output)
        captured.append(features)
        return features.clone()

    handle = block.register_forward_hook(keep)
    x = normalise(torch.as_tensor(model_input)[None], predictor.spec).requires_grad_(True)
    with torch.enable_grad():
        logits = model(x)
    handle.remove()
    features = captured[-1]
    grads, x_grads = torch.autograd.grad(logits[0, int(logits.argmax())], (features, x))
    weights = grads.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((weights * features).sum(dim=1, keepdim=True))
    cam = nn.functional.interpolate(cam, size=model_input.shape[1:], mode="bilinear", align_corners=False)
    cam = cam[0, 0].detach()
    if not float(cam.min()) < float(cam.max()):  # a flat map: the panel shows |gradient x input| then
        cam = (x_grads * x).abs().sum(dim=1)[0].detach()
    return (cam / cam.max()).numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "default-digits.pt"))
    parser.add_argument("--n", type=int, default=750, help="how many held-out digits (at most 750)")
    parser.add_argument("--map", default="panel", choices=("panel", "gradcam", "before"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    predictor = Predictor.from_checkpoint(args.model)
    _, _, images, labels = held_out_real()
    rng = np.random.default_rng(args.seed)
    fractions, shares, blind, classes = [], [], [], []
    started = time.perf_counter()
    for image, label in list(zip(images, labels, strict=True))[: args.n]:
        model_input = predictor.predict(draw_on_page(image[0].numpy(), rng)).input
        if args.map == "panel":
            heat = predictor.saliency(model_input)
        else:
            heat = other_map(predictor, model_input, args.map)
        mask = ink_mask(model_input)
        fractions.append(on_ink(heat, mask))
        blind.append(on_ink(CENTRE_BLOB, mask))
        shares.append(float(mask.mean()))
        classes.append(int(label))
    fractions, classes = np.array(fractions), np.array(classes)
    seconds = time.perf_counter() - started
    print(f"model {args.model}, map {args.map}, {len(fractions)} digits in {seconds:.0f}s")
    for k in range(10):
        chosen = fractions[classes == k]
        if len(chosen):
            middle = np.median(chosen)
            print(f"  digit {k}: heat on ink {chosen.mean():.3f} (median {middle:.3f}, {len(chosen)} digits)")
    print(
        f"ink_share={np.mean(shares):.4f} centre_blob={np.mean(blind):.4f} "
        f"cam_on_ink_fraction={fractions.mean():.4f}"
    )


if __name__ == "__main__":
    main()
