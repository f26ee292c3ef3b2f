"""Try it's *Inside* view: the path from the input to the answer, layer by layer, for the current input.

A strip of tiles, left to right: the input the model sees, each convolution's most active maps
(greyscale, at most 16, the rest counted), each fully connected layer's units as bars, and the
softmax. Hovering a tile names the layer as the Layers tab does, with its output shape, whether it
is frozen, and one sentence on what it does (``engine.inside``). Clicking one shows it large below
(``gui.try_it.inside_detail``). *Save picture…* writes the strip as a PNG.

The view only draws: the layers' outputs come with the prediction, computed on the inference thread
in the same forward pass (``gui.try_it.inference_jobs``).
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from engine.errors import describe
from engine.files import atomic_file
from engine.inside import LayerView, Strip, explain_input, explain_softmax
from gui.language import percent
from gui.try_it.inside_detail import InsideDetail
from gui.try_it.inside_tiles import BarsTile, MapsTile, PictureTile, Tile

INPUT, SOFTMAX = "input", "softmax"  # the keys of the two tiles that are not layers


def shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape)


class InsideView(QWidget):
    """The strip of layers and the layer clicked, large.

    Signals
    -------
    mapChosen(str, int)   the user picked a map (or unit) to see what drives it: layer, index
    saved(str)            the picture was written to this path
    failed(str)           a message for the user (the picture could not be written)
    """

    mapChosen = Signal(str, int)
    saved = Signal(str)
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("insideView")
        self.strip_data: Strip | None = None
        self.model_input: np.ndarray | None = None
        self.selected: str | None = None  # the layer shown large
        self.tiles: dict[str, Tile] = {}
        self.hintLabel = QLabel(objectName="insideHint", wordWrap=True)
        self.hintLabel.setProperty("role", "caption")
        self.saveButton = QPushButton(self.tr("Save picture…"), objectName="insideSaveButton")
        self.saveButton.setToolTip(self.tr("Save the strip of layers as a PNG picture"))
        header = QHBoxLayout()
        header.addWidget(self.hintLabel, 1)
        header.addWidget(self.saveButton)
        self.strip = QWidget(objectName="insideStrip")
        self.stripLayout = QHBoxLayout(self.strip)
        self.stripLayout.setContentsMargins(2, 2, 2, 2)
        self.stripLayout.setSpacing(2)
        self.scroll = QScrollArea(objectName="insideScroll")
        self.scroll.setWidget(self.strip)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        probe = MapsTile("probe", "")
        self.scroll.setFixedHeight(
            probe.sizeHint().height() + self.scroll.horizontalScrollBar().sizeHint().height() + 6
        )
        probe.deleteLater()
        self.detail = InsideDetail()
        self.detailScroll = QScrollArea(objectName="insideDetailScroll")  # on a small screen it scrolls
        self.detailScroll.setWidget(self.detail)
        self.detailScroll.setWidgetResizable(True)
        self.detailScroll.setFrameShape(QFrame.Shape.NoFrame)
        self.detailScroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(header)
        column.addWidget(self.scroll)
        column.addWidget(self.detailScroll, 1)
        self.saveButton.clicked.connect(self.ask_save)
        self.detail.mapChosen.connect(self.mapChosen)
        self.show_empty(self.tr("Draw a digit or open an image to see inside the model."))

    # ---- showing ------------------------------------------------------------------------------
    def show_empty(self, caption: str) -> None:
        """No input: blank tiles, and ``caption`` saying what to do."""
        self.strip_data, self.model_input = None, None
        for tile in self.tiles.values():
            tile.blank()
        self.hintLabel.setText(caption)
        self.saveButton.setEnabled(False)
        self.detail.show_layer(None, None)

    def show_strip(self, strip: Strip, prediction: Any, classes: list[str]) -> None:
        """Show the layers' outputs for ``prediction`` (an engine ``Prediction``) of these classes."""
        self.strip_data, self.model_input = strip, prediction.input
        keys = [INPUT, *(view.name for view in strip.layers), SOFTMAX]
        if keys != list(self.tiles):
            self._rebuild(strip.layers)
        self.hintLabel.setText(
            self.tr(
                "From the input (left) to the answer (right). Hover a layer to read what it does; "
                "click it to see it large."
            )
        )
        self.saveButton.setEnabled(True)
        c, h, w = prediction.input.shape
        self.tiles[INPUT].set_picture(prediction.input, shape_text((c, h, w)))
        for view in strip.layers:
            self._fill(self.tiles[view.name], view)
        name, confidence = prediction.top[0]
        self.tiles[SOFTMAX].set_values(
            prediction.probabilities, f"{name} — {percent(confidence, 0)}", [str(c) for c in classes]
        )
        if self.selected is None or strip.layer(self.selected) is None:
            self.selected = strip.layers[0].name if strip.layers else None
        self._show_selected()

    def show_drivers(self, heat: np.ndarray | None, error: str | None) -> None:
        self.detail.show_drivers(heat, error, self.model_input)

    def _fill(self, tile: Tile, view: LayerView) -> None:
        if view.kind == "conv":
            caption = (
                self.tr("{shown}/{total} maps").format(shown=len(view.index), total=view.total)
                if view.hidden
                else self.tr("%n map(s)", "", view.total)
            )
            tile.set_maps(view.thumbs, caption)
        else:
            caption = (
                self.tr("{shown}/{total} units").format(shown=len(view.index), total=view.total)
                if view.hidden
                else self.tr("%n unit(s)", "", view.total)
            )
            tile.set_values(view.activity, caption)
        tile.setToolTip(self._tooltip(view))

    def _tooltip(self, view: LayerView) -> str:
        state = self.tr("frozen: it does not train") if view.frozen else self.tr("trainable")
        lines = [
            f"<b>{escape(view.name)}</b> ({escape(view.type_name)})",
            self.tr("output {shape} · {state}").format(shape=shape_text(view.shape), state=state),
            escape(view.explanation),
        ]
        if view.kind == "conv":
            shown = self.tr(
                "Shown: its %n most active map(s), brightest where it fires most.", "", len(view.index)
            )
            if view.hidden:
                shown += " " + self.tr("%n more not shown.", "", view.hidden)
            lines.append(f"<i>{shown}</i>")
        elif view.hidden:
            lines.append(
                "<i>" + self.tr("Shown: its %n strongest units, in order.", "", len(view.index)) + "</i>"
            )
        return "<br>".join(lines)

    def _rebuild(self, layers: list[LayerView]) -> None:
        while self.stripLayout.count():
            item = self.stripLayout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.tiles = {}
        self._add(PictureTile(INPUT, self.tr("input")), explain_input())
        for view in layers:
            self._add(
                MapsTile(view.name, view.name) if view.kind == "conv" else BarsTile(view.name, view.name)
            )
        self._add(BarsTile(SOFTMAX, self.tr("softmax")), explain_softmax())
        self.stripLayout.addStretch(1)

    def _add(self, tile: Tile, tooltip: str | None = None) -> None:
        if self.tiles:
            arrow = QLabel("→", alignment=Qt.AlignmentFlag.AlignCenter)
            arrow.setProperty("role", "caption")
            arrow.setFixedWidth(12)
            self.stripLayout.addWidget(arrow)
        if tooltip:
            tile.setToolTip(escape(tooltip))
        tile.clicked.connect(self._on_tile_clicked)
        self.tiles[tile.key] = tile
        self.stripLayout.addWidget(tile)

    @Slot(str)
    def _on_tile_clicked(self, key: str) -> None:
        if key in (INPUT, SOFTMAX):
            return
        self.select(key)

    def select(self, name: str) -> None:
        """Show layer ``name`` large (as a click on its tile does)."""
        self.selected = name
        self._show_selected()

    def _show_selected(self) -> None:
        for key, tile in self.tiles.items():
            tile.set_selected(key == self.selected)
        view = self.strip_data.layer(self.selected) if self.strip_data and self.selected else None
        self.detail.show_layer(view, self.model_input)

    # ---- the picture --------------------------------------------------------------------------
    @Slot()
    def ask_save(self) -> None:
        start = str(Path.home() / "inside.png")
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save picture"), start, self.tr("PNG pictures (*.png)")
        )
        if path:
            self.save_picture(path)

    def save_picture(self, path: str | Path) -> Path | None:
        """Write the strip, every tile of it, to ``path`` as a PNG; None (and ``failed``) when it cannot."""
        path = Path(path).with_suffix(".png") if not str(path).lower().endswith(".png") else Path(path)
        for i in range(self.stripLayout.count()):  # tiles added just now are shown and laid out first
            widget = self.stripLayout.itemAt(i).widget()
            if widget is not None:
                widget.show()
        self.stripLayout.activate()
        pixmap = self.strip.grab()

        def write(tmp: Path) -> None:
            if not pixmap.save(str(tmp), "PNG"):
                raise OSError(5, self.tr("the picture could not be written"), str(path))

        try:
            atomic_file(path, write)
        except OSError as exc:
            self.failed.emit(self.tr("The picture was not saved: {reason}").format(reason=describe(exc)))
            return None
        self.saved.emit(str(path))
        return path
