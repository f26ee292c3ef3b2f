"""The window's panels, built once PyTorch is loaded (``MainWindow.build_panels`` imports this).

Importing this module imports every panel and with them the engine; ``gui.window.main_window``
defers it so the window can show before PyTorch has loaded (``gui.window.loading``). How the panels
are connected to each other is ``gui.window.wiring``.
"""

from __future__ import annotations

from gui.compare.compare_panel import ComparePanel
from gui.data.data_panel import DataPanel
from gui.evaluation.evaluation_panel import EvaluationPanel
from gui.layers.finetune_panel import FineTunePanel
from gui.model.model_panel import ModelPanel
from gui.runs.runs_panel import RunsPanel
from gui.training.training_panel import TrainingPanel
from gui.try_it.inference_panel import InferencePanel


def make_panels(window, models_dir) -> None:
    """Create the panels as attributes of ``window`` (``data_panel``, ``model_panel``, …)."""
    window.data_panel = DataPanel()
    window.model_panel = ModelPanel()
    window.training_panel = TrainingPanel(models_dir)
    window.finetune_panel = FineTunePanel(models_dir)
    window.evaluation_panel = EvaluationPanel()
    window.runs_panel = RunsPanel()
    window.inference_panel = InferencePanel(models_dir)
    window.compare_panel = ComparePanel()
