"""The rows of the layer tree: one per module, with its type, output shape, parameters and a tick.

``LayerTreeView`` only draws what the engine says (``engine.freezing.layer_tree`` infos) and
reports the user's ticks; ``LayerTreePanel`` applies them to the model.
"""

from __future__ import annotations

from contextlib import contextmanager

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal, Slot
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from gui import theme
from gui.language import integer

COL_NAME, COL_TYPE, COL_SHAPE, COL_PARAMS, COL_TRAIN = range(5)
HEADERS = (  # translated when shown
    QT_TRANSLATE_NOOP("LayerTreeView", "Layer"),
    QT_TRANSLATE_NOOP("LayerTreeView", "Type"),
    QT_TRANSLATE_NOOP("LayerTreeView", "Output shape"),
    QT_TRANSLATE_NOOP("LayerTreeView", "Parameters"),
    QT_TRANSLATE_NOOP("LayerTreeView", "Trainable"),
)
NAME_ROLE = Qt.ItemDataRole.UserRole
EXPAND_ALL_BELOW = 40  # rows; larger trees open at the top level only


def format_shape(shape: tuple[int, ...] | None) -> str:
    """``(64, 16, 16)`` as ``64×16×16``; empty when unknown."""
    return "×".join(str(d) for d in shape) if shape else ""


def _ancestors(name: str) -> list[str]:
    """``a.b.c`` -> ``["a", "a.b"]``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _check_state(info) -> Qt.CheckState:
    if info.trainable == info.params:
        return Qt.CheckState.Checked
    return Qt.CheckState.Unchecked if info.trainable == 0 else Qt.CheckState.PartiallyChecked


def _grey(item: QTreeWidgetItem, frozen: bool) -> None:
    brush = QBrush(theme.colour("frozen")) if frozen else QBrush()
    for col in (COL_NAME, COL_TYPE, COL_SHAPE, COL_PARAMS):
        item.setForeground(col, brush)


class LayerTreeView(QTreeWidget):
    """The ``layerTree`` widget. ``items`` maps dotted module names to their rows.

    Signals
    -------
    trainableToggled(str, bool)   the user ticked (True) or unticked a module (its dotted name)
    """

    trainableToggled = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("layerTree")
        self.setColumnCount(len(HEADERS))
        self.setHeaderLabels([self.tr(h) for h in HEADERS])
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setAccessibleName(self.tr("Layers of the model"))
        self.setToolTip(self.tr("Tick the layers that should learn; unticked layers keep their weights"))
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        for col in (COL_TYPE, COL_SHAPE, COL_PARAMS, COL_TRAIN):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.items: dict[str, QTreeWidgetItem] = {}  # filled in place, so the panel may hold it
        self._kinds: dict[str, str] = {}
        self._with_bn: set[str] = set()  # modules holding a BatchNorm layer somewhere below
        self._updating = False
        self.itemChanged.connect(self._on_item_changed)

    @contextmanager
    def _redrawing(self):
        """Changes made by code: no ``trainableToggled``, and one repaint at the end, not one per row."""
        self._updating = True
        self.setUpdatesEnabled(False)
        try:
            yield
        finally:
            self.setUpdatesEnabled(True)
            self._updating = False

    def clear_rows(self) -> None:
        self.items.clear()
        self._kinds, self._with_bn = {}, set()
        self.clear()

    def populate(self, infos: list) -> None:
        """One row per module of ``engine.freezing.layer_tree`` infos, every tick on."""
        with self._redrawing():
            self.clear_rows()
            for info in infos:
                if info.name:  # the root is the panel's summary line
                    self._add_row(info)
            if len(self.items) <= EXPAND_ALL_BELOW:
                self.expandAll()
            else:
                self.expandToDepth(0)

    def _add_row(self, info) -> None:
        parent = self.items.get(info.name.rpartition(".")[0])
        item = QTreeWidgetItem(parent if parent is not None else self)
        item.setText(COL_NAME, info.name)
        item.setData(COL_NAME, NAME_ROLE, info.name)
        item.setToolTip(COL_NAME, info.name)
        item.setText(COL_TYPE, info.kind)
        item.setText(COL_SHAPE, format_shape(info.output_shape))
        item.setText(COL_PARAMS, integer(info.params))
        item.setTextAlignment(COL_PARAMS, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if info.params > 0:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
            item.setCheckState(COL_TRAIN, Qt.CheckState.Checked)
        else:
            item.setToolTip(COL_TRAIN, self.tr("No weights: nothing to train or freeze"))
        item.setFlags(flags)
        self.items[info.name] = item
        self._kinds[info.name] = info.kind
        if info.kind.startswith("BatchNorm"):
            self._with_bn.update(_ancestors(info.name))

    def show_state(self, infos: list, bn_fixed: bool) -> None:
        """Ticks, notes and grey text from the model's current infos."""
        with self._redrawing():
            for info in infos:
                item = self.items.get(info.name)
                if item is not None and info.params > 0:
                    self._show_row(item, info, bn_fixed)
            for info in infos:  # a ReLU inside a frozen block looks frozen too
                item = self.items.get(info.name)
                if item is not None and info.params == 0:
                    parent = item.parent()
                    _grey(
                        item, parent is not None and parent.checkState(COL_TRAIN) == Qt.CheckState.Unchecked
                    )

    def _show_row(self, item: QTreeWidgetItem, info, bn_fixed: bool) -> None:
        item.setCheckState(COL_TRAIN, _check_state(info))
        frozen = info.trainable == 0
        note = ""
        if frozen and self._kinds.get(info.name, "").startswith("BatchNorm"):
            note = self.tr("statistics fixed") if bn_fixed else self.tr("statistics update")
        elif frozen and info.name in self._with_bn:
            note = self.tr("BN statistics fixed") if bn_fixed else self.tr("BN statistics update")
        item.setText(COL_TRAIN, note)
        tip = self.tr("{trainable} of {total} parameters train").format(
            trainable=integer(info.trainable), total=integer(info.params)
        )
        item.setToolTip(COL_TRAIN, tip + (f"; {note}" if note else ""))
        _grey(item, frozen)

    @Slot(QTreeWidgetItem, int)
    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._updating or column != COL_TRAIN:
            return
        trainable = item.checkState(COL_TRAIN) == Qt.CheckState.Checked
        self.trainableToggled.emit(item.data(COL_NAME, NAME_ROLE), trainable)
