"""Streamed pictures that vanish during a run (moved, deleted, damaged) are left out with their labels
and counted, never fed as blank pictures with their labels; the run goes on and a warning says how
many pictures of which folder were skipped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from engine.config import DataConfig, ModelConfig, TrainConfig
from engine.data import registry
from engine.data.folder_stream import load_image_folder
from engine.data.stream import FileImages, ImageItems, LazyImages, readable
from engine.data.types import Subset
from engine.errors import DatasetError
from engine.train.feed import StreamFeeder
from engine.train.run import fit_state, run
from tests.helpers_data import write_image_folder

SIZE = 16


@pytest.fixture
def pets(tmp_path) -> Path:
    """train/ and test/ with 3 classes each, so that deleted train pictures are in training or validation."""
    registry.clear_cache()
    root = tmp_path / "pets"
    write_image_folder(root / "train", n_per_class=10, size=SIZE, with_corrupt=False, with_text=False)
    write_image_folder(root / "test", n_per_class=3, size=SIZE, with_corrupt=False, with_text=False)
    yield root
    registry.clear_cache()


def streamed(root: Path) -> DataConfig:
    return DataConfig(dataset=registry.folder_key(root), image_size=SIZE, loader="stream", cache=False)


def test_pictures_deleted_during_a_run_are_skipped_counted_and_said_once(pets):
    events: list[dict] = []
    gone = [
        pets / "train" / "cat" / "0.png",
        pets / "train" / "dog" / "1.png",
        pets / "train" / "frog" / "2.png",
    ]

    def on_event(event: dict) -> None:
        events.append(event)
        if event["event"] == "epoch_end" and event["epoch"] == 1:
            for path in gone:  # between epochs, with the DataLoader's workers still alive
                path.unlink()

    result = run(streamed(pets), ModelConfig(arch="mlp"), TrainConfig(epochs=3, precision="fp32"), on_event)
    assert len(result.history) == 3 and not result.stopped and result.test is not None
    said = [e["message"] for e in events if e["event"] == "warning" and "disappeared" in e["message"]]
    assert said == [
        f"3 pictures disappeared from {pets} during training (moved, deleted or no longer readable) "
        "and were skipped: they are not fed with their labels, and the run goes on without them"
    ]
    assert all(np.isfinite(e["train_loss"]) for e in result.history)


def feeder_of(root: Path, workers: int) -> tuple[StreamFeeder, list[dict]]:
    data = load_image_folder(root, SIZE, "p", loader="stream", cache=False)
    events: list[dict] = []
    state = fit_state(streamed(root), ModelConfig(arch="mlp"), TrainConfig(), data, events.append, None)
    subset = Subset(data.train_images, data.train_labels)
    return StreamFeeder(subset, state, torch.Generator(), workers=workers), events


def test_a_vanished_picture_is_left_out_with_its_label_by_the_workers(pets):
    feeder, events = feeder_of(pets, workers=2)  # real worker processes, persistent between epochs
    order = torch.randperm(len(feeder), generator=torch.Generator().manual_seed(0))
    first = list(feeder.batches(order, 8))
    assert sum(len(y) for _, y in first) == 30
    (pets / "train" / "dog" / "3.png").unlink()
    (pets / "train" / "frog" / "4.png").write_bytes(b"no longer a picture")
    second = list(feeder.batches(order, 8))
    assert sum(len(y) for _, y in second) == 28 and all(len(x) == len(y) for x, y in second)
    fed = torch.cat([y for _, y in second]).bincount(minlength=3).tolist()
    assert fed == [10, 9, 9]  # the labels of the two pictures that were lost are not fed either
    feeder.say_lost()
    feeder.say_lost()  # nothing new: not said again
    assert len(events) == 1 and events[0]["message"].startswith(f"2 pictures disappeared from {pets} during")


def test_a_folder_removed_during_a_run_is_a_message_not_a_crash(pets, tmp_path):
    feeder, _ = feeder_of(pets, workers=0)
    pets.rename(tmp_path / "moved")
    with pytest.raises(
        DatasetError, match=f"none of the 30 training pictures in {pets} could be read any more"
    ):
        list(feeder.batches(torch.arange(len(feeder)), 8))


def test_the_collate_function_drops_unreadable_pictures_under_spawn(pets):
    files = sorted((pets / "train" / "cat").glob("*.png"))[:4]
    files[1].unlink()
    images = LazyImages(FileImages(files, SIZE, 3), np.arange(4))
    loader = DataLoader(
        ImageItems(images), batch_size=4, num_workers=1, collate_fn=readable, multiprocessing_context="spawn"
    )  # as on Windows and macOS
    ((x, ok),) = list(loader)
    assert x.shape == (3, 3, SIZE, SIZE) and ok.tolist() == [True, False, True, True]


def test_test_pictures_gone_before_the_test_are_left_out_of_the_scores(pets):
    """A test picture deleted during the run is not scored as a blank picture with its label: the
    metrics are on the others, say how many were left out, and the run warns once."""
    events: list[dict] = []

    def on_event(event: dict) -> None:
        events.append(event)
        if event["event"] == "epoch_end":
            (pets / "test" / "cat" / "0.png").unlink(missing_ok=True)
            (pets / "test" / "dog" / "0.png").unlink(missing_ok=True)

    cfg = streamed(pets)
    result = run(cfg, ModelConfig(arch="mlp"), TrainConfig(epochs=1, precision="fp32"), on_event)
    assert result.test["n"] == 7 and result.test["unreadable"] == 2  # 9 test pictures, 2 gone
    assert sum(result.test["confusion"], []) and sum(map(sum, result.test["confusion"])) == 7
    probabilities = result.test_probabilities
    from engine.evaluation import read_rows, top_losses, unreadable_note  # deferred: only this test

    assert (~read_rows(probabilities)).sum() == 2  # their rows say "not read", not a guess
    assert not set(top_losses(probabilities, result.splits.test.labels.numpy())) & set(
        np.flatnonzero(~read_rows(probabilities))
    )
    assert "2 test pictures could not be read" in unreadable_note(result.test)
