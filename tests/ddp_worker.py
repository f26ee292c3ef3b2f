"""Run by tests/test_distributed.py under torchrun (2 processes): one rank's view of a DDP run.

``ddp_worker.py OUT_DIR`` trains two epochs of the engine's run on the digits through
``engine.train.run.run`` (dropout off, so that one process and two draw the same numbers) and saves
this rank's shards of the first two epochs, its weights and the history to ``OUT_DIR/rank<R>.pt``;
then rank 1 raises, as a crashing process would, while rank 0 waits for
it in a collective: torchrun must end the whole run with rank 1's message.
"""

import sys
from pathlib import Path

import torch

from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.train import distributed
from engine.train.run import run


def no_dropout(self, x):
    return x


def main(out: Path) -> None:
    torch.nn.Dropout.forward = no_dropout
    distributed.start(torch.device("cpu"))
    data_cfg = DataConfig(dataset="digits", val_split=0.3)
    train_cfg = TrainConfig(epochs=2, batch_size=64, device="cpu", precision="fp32")
    result = run(data_cfg, ModelConfig(arch="mlp"), train_cfg)
    n = len(result.splits.train)
    orders = [distributed.epoch_order(n, torch.Generator(), data_cfg.seed, e).tolist() for e in (1, 2)]
    draws = []  # dropout/augmentation draws of epoch 3, asked twice (a resumed run repeats an epoch)
    for _ in range(2):
        distributed.epoch_order(n, torch.Generator(), data_cfg.seed, 3)
        draws.append(torch.rand(4).tolist())
    weights = {k: v.detach().clone() for k, v in result.model.state_dict().items()}
    rank = distributed.rank()
    torch.save(
        {"n": n, "orders": orders, "weights": weights, "history": result.history, "draws": draws},
        out / f"rank{rank}.pt",
    )
    if rank == 1:
        raise RuntimeError("rank 1 failed on purpose")
    torch.distributed.barrier()  # rank 1 never comes: torchrun must end this process


if __name__ == "__main__":
    main(Path(sys.argv[1]))
