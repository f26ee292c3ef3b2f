"""Image folders with linked folders: a link is followed once at most, never back into the dataset or
into a folder already read, and the links skipped are named in a warning; a class folder linked from
outside the dataset is read like any other."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.data import registry
from engine.data.folder import load_folder
from engine.data.folder_stream import load_image_folder
from tests.helpers_data import write_image_folder

SIZE = 16


def link(target: Path, name: Path) -> None:
    try:
        os.symlink(target, name, target_is_directory=True)
    except (OSError, NotImplementedError) as exc:  # Windows without the right to make links
        pytest.skip(f"symbolic links cannot be made here: {exc}")


@pytest.fixture
def pets(tmp_path) -> Path:
    registry.clear_cache()
    yield write_image_folder(tmp_path / "pets", n_per_class=4, size=SIZE, with_corrupt=False, with_text=False)
    registry.clear_cache()


@pytest.mark.parametrize("loader", ["memory", "stream"])
def test_a_class_folder_linking_back_to_the_root_is_not_a_class_of_copies(pets, loader):
    link(pets, pets / "everything")
    data = load_image_folder(pets, SIZE, "p", loader=loader)
    assert data.classes == ["cat", "dog", "frog"] and len(data.train_labels) == 12
    (warning,) = data.warnings
    assert warning == (
        f"skipped 1 linked folder in {pets} that leads back into the dataset or to a folder already read, "
        f"so that no picture is read twice: everything -> {pets.resolve()}"
    )


def test_links_inside_classes_and_to_a_class_already_read_are_skipped_and_listed(pets):
    link(pets, pets / "dog" / "up")  # a loop from inside a class
    link(pets / "cat", pets / "cats-again")
    link(pets.parent, pets / "frog" / "above")  # to the folder that holds the dataset
    data = load_folder(pets, SIZE, "p")
    assert data.classes == ["cat", "dog", "frog"] and len(data.train_labels) == 12
    (warning,) = data.warnings
    assert warning.startswith(f"skipped 3 linked folders in {pets} that lead back into the dataset")
    for shown in ("cats-again -> ", f"dog{os.sep}up -> ", f"frog{os.sep}above -> "):
        assert shown in warning


def test_a_class_folder_linked_from_outside_is_read_once(pets, tmp_path):
    shared = write_image_folder(
        tmp_path / "shared", classes=("owl",), n_per_class=5, size=SIZE, with_corrupt=False, with_text=False
    )
    link(shared / "owl", pets / "owl")
    link(shared / "owl", pets / "owl-twice")  # the same outside folder again: read once only
    link(shared / "owl", pets / "cat" / "owls")  # and from inside a class
    data = load_folder(pets, SIZE, "p")
    assert data.classes == ["cat", "dog", "frog", "owl"]
    assert data.train_labels.bincount().tolist() == [4, 4, 4, 5]
    (warning,) = data.warnings
    assert warning.startswith("skipped 2 linked folders") and "owl-twice -> " in warning


def test_many_skipped_links_are_shortened(pets):
    for i in range(8):
        link(pets, pets / "cat" / f"loop{i}")
    (warning,) = load_folder(pets, SIZE, "p").warnings
    assert warning.startswith("skipped 8 linked folders") and warning.endswith(" and 3 more")
    assert warning.count(" -> ") == 5
