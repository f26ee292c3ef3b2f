"""One run on several processes (DistributedDataParallel), started by ``torchrun``.

``torchrun --nproc_per_node=N main.py train ...`` (or ``main.py train --devices N``) starts N copies
of the same command; each finds ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK`` in its environment.
``start`` joins them into one process group (NCCL on CUDA, gloo on the CPU); from then on

- each epoch's order comes from a ``DistributedSampler`` (seeded with the run's seed, ``set_epoch``
  every epoch), so the ranks see disjoint shards that together cover the training set;
- ``--batch-size`` is the GLOBAL batch: each of N processes takes ``batch_size / N`` per step, and
  DDP averages the gradients, so a step is the step of one process with the whole batch;
- losses, correct counts and sample counts are summed over the ranks (training, validation and
  test metrics are those of the whole sets);
- only rank 0 prints, and writes the run folder, checkpoints and report (``is_main``).

Without a torchrun environment every function here is a no-op and no process group is created.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DistributedSampler

from engine import evaluation
from engine.data.types import InputSpec, Subset
from engine.errors import TrainingError
from engine.i18n import _
from engine.precision import FP32, Precision

# A rank that waits longer than this in a collective gives up with an error instead of hanging
# (a peer died without torchrun noticing). Saving a large checkpoint on rank 0 must fit in it.
TIMEOUT_ENV = "TALLER_DDP_TIMEOUT"
DEFAULT_TIMEOUT_S = 300


def launched() -> bool:
    """True when this process was started by torchrun (or anything that sets its variables)."""
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def active() -> bool:
    """True once the process group exists (``start`` ran under torchrun)."""
    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    """This process's rank; 0 without a process group."""
    return dist.get_rank() if active() else 0


def world_size() -> int:
    """How many processes train together; 1 without a process group."""
    return dist.get_world_size() if active() else 1


def is_main() -> bool:
    """True on the one process that prints and writes files (rank 0, or the only process)."""
    return rank() == 0


def timeout() -> timedelta:
    """How long a collective may wait for the other ranks (``$TALLER_DDP_TIMEOUT`` seconds)."""
    try:
        seconds = float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT_S))
    except ValueError:
        seconds = DEFAULT_TIMEOUT_S
    return timedelta(seconds=max(1.0, seconds))


def start(device: torch.device) -> bool:
    """Join the process group when started by torchrun; returns whether this run is distributed.

    On CUDA each process uses the GPU of its ``LOCAL_RANK`` (NCCL); on the CPU the ranks talk over
    gloo. Raises TrainingError with one line when the backend is missing or the group cannot form.
    """
    if not launched() or active():
        return active()
    if not dist.is_available():
        raise TrainingError(
            _("this PyTorch build has no torch.distributed: it cannot train on several processes")
        )
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    backend = "gloo"
    if device.type == "cuda":
        if not dist.is_nccl_available():
            raise TrainingError(_("this PyTorch build has no NCCL: several GPUs cannot train together"))
        if local_rank >= torch.cuda.device_count():
            raise TrainingError(
                _(
                    "process {local_rank} has no GPU: this machine has {device_count} GPU(s); start at "
                    "most that many processes per machine"
                ).format(local_rank=local_rank, device_count=torch.cuda.device_count())
            )
        torch.cuda.set_device(local_rank)  # "cuda" now means this rank's own GPU
        backend = "nccl"
    elif not dist.is_gloo_available():
        raise TrainingError(
            _("this PyTorch build has no gloo backend: it cannot train on several CPU processes")
        )
    try:
        dist.init_process_group(backend, timeout=timeout())
    except (RuntimeError, ValueError, OSError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        who = _("process {rank} of {world_size}").format(
            rank=os.environ["RANK"], world_size=os.environ["WORLD_SIZE"]
        )
        raise TrainingError(
            _("{who} could not join the run ({backend}): {first}").format(
                who=who, backend=backend, first=first
            )
        ) from e
    return True


def finish() -> None:
    """Leave the process group (at the end of a command); nothing without one."""
    if active():
        dist.destroy_process_group()


def local_batch(global_batch: int) -> int:
    """Each process's share of ``--batch-size`` (the global batch); the batch itself without DDP."""
    n = world_size()
    if global_batch % n:
        raise TrainingError(
            _(
                "--batch-size {global_batch} cannot be split evenly over {n} processes: it is the "
                "global batch, so choose a multiple of {n}"
            ).format(global_batch=global_batch, n=n)
        )
    return global_batch // n


def epoch_order(n: int, generator: torch.Generator, seed: int, epoch: int) -> torch.Tensor:
    """The indices this process trains on in ``epoch`` (1-based), in order.

    One process: a permutation of all ``n`` drawn from ``generator`` (as always). Under DDP: this
    rank's shard from a ``DistributedSampler`` seeded with ``seed`` (``set_epoch`` every epoch), so
    the order does not depend on a generator's state and a resumed run sees the same shards; torch's
    and ``generator``'s seeds are set for the epoch and rank too.
    """
    if not active():
        return torch.randperm(n, generator=generator)
    sampler = DistributedSampler(range(n), num_replicas=world_size(), rank=rank(), shuffle=True, seed=seed)
    sampler.set_epoch(epoch)
    # The epoch's random draws (dropout, augmentation) from (seed, epoch, rank): different on every
    # rank, as their images are, and the same again when a resumed run repeats the epoch.
    draws = (seed * 1_000_003 + epoch) * 1009 + rank()
    torch.manual_seed(draws)
    generator.manual_seed(draws)
    return torch.tensor(list(sampler), dtype=torch.long)


def wrap(model: nn.Module, device: torch.device) -> nn.Module:
    """``model`` in DistributedDataParallel under DDP (gradients averaged each step), else itself.

    Wrap after the model is on its device and its frozen layers are set: DDP syncs the parameters
    that require a gradient when it is built, starting from rank 0's weights.
    """
    if not active():
        return model
    ids = [torch.cuda.current_device()] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=ids)


def collective_device() -> torch.device:
    """Where tensors for collectives live: the rank's GPU with NCCL, the CPU with gloo."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def sum_all(*values: float) -> list[float]:
    """The sums of ``values`` over all ranks (the values themselves without DDP)."""
    if not active():
        return [float(v) for v in values]
    t = torch.tensor(values, dtype=torch.float64, device=collective_device())
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.cpu().tolist()


def any_rank(flag: bool) -> bool:
    """True when ``flag`` is true on any rank: every rank takes the same branch (stop, a bad loss)."""
    if not active():
        return bool(flag)
    return sum_all(1.0 if flag else 0.0)[0] > 0


def shard(subset: Subset) -> Subset:
    """This rank's part of a validation or test set (every N-th sample; no padding, no overlap)."""
    if not active():
        return subset
    r, n = rank(), world_size()
    return Subset(subset.images[r::n], subset.labels[r::n], subset.indices[r::n])


def evaluate(
    model: nn.Module,
    subset: Subset,
    spec: InputSpec,
    classes: list[str],
    device: torch.device,
    precision: Precision = FP32,
) -> tuple[dict, np.ndarray]:
    """``evaluation.evaluate`` on the whole ``subset``: under DDP each rank predicts its shard and
    the probabilities are gathered back into the subset's order on every rank."""
    if not active():
        return evaluation.evaluate(model, subset.images, subset.labels, spec, classes, device, precision)
    part = evaluation.predict_probabilities(
        model, shard(subset).images, spec, device=device, precision=precision
    )
    parts: list = [None] * world_size()
    dist.all_gather_object(parts, part)
    probs = np.zeros((len(subset), len(classes)), dtype=np.float32)
    for r, p in enumerate(parts):
        if len(p):
            probs[r :: world_size()] = p
    return evaluation.scored(subset.labels.cpu().numpy(), probs, classes), probs


def unwrap(model: nn.Module) -> nn.Module:
    """The model inside a DDP wrapper (its own layer names), or the model itself."""
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def steps_per_epoch(n: int, global_batch: int) -> int:
    """Optimizer steps in one epoch of ``n`` samples (each rank takes the same number)."""
    shard_size = math.ceil(n / world_size())
    return math.ceil(shard_size / local_batch(global_batch))


@contextmanager
def main_first() -> Iterator[None]:
    """Rank 0 runs the block first (a download, a decode cache), then the others; plain without DDP."""
    if active() and not is_main():
        dist.barrier()
    yield
    if active() and is_main():
        dist.barrier()


def lost_peer(error: BaseException) -> str | None:
    """The message for a collective that failed because another process of the run died or hung
    (gloo/NCCL's "connection reset by peer", a timeout), or None for any other error."""
    dist_error = getattr(dist, "DistError", ())
    text = str(error)
    peer = "peer" in text.lower() or "timed out" in text.lower() or "timeout" in text.lower()
    if not active() or not (isinstance(error, dist_error) or peer):
        return None
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return (
        f"process {rank()} lost the other processes of the run (one of them stopped or crashed: its "
        f"message is above): {first[:200]}"
    )
