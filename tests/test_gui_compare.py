"""The window's comparisons: *Compare…* plans variants of the forms' run, the Compare tab runs them.

Tiny on purpose: the built-in digits, an MLP, one or two epochs per run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from engine.compare.table import load_comparison
from gui.compare.plan_dialog import PlanDialog
from gui.compare.results import WINNER
from gui.window import menus
from tests.helpers_gui import RUN_TIMEOUT, open_window

ROOT = Path(__file__).resolve().parents[1]
TIMES = ("seconds", "wall_seconds")  # what differs between two runs of the same plan


def plan_from_dialog(qtbot, window, button, varies: str, values: str | None = None) -> PlanDialog:
    """Click a *Compare…* button, choose what varies, and wait until the plan is checked and estimated."""
    button.click()
    dialog = window.findChild(PlanDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.choose(varies, values=values)
    qtbot.waitUntil(dialog.ready, timeout=30_000)
    return dialog


def run_to_end(qtbot, window, dialog: PlanDialog):
    panel = window.compare_panel
    dialog.startButton.click()
    assert panel.is_running() and window.current_panel() is panel
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=3 * RUN_TIMEOUT)
    return panel


def names(rows: list[list[str]]) -> list[str]:
    return [row[0].removeprefix(WINNER).strip() for row in rows]


def without_times(rows: list[dict]) -> list[dict]:
    out = []
    for row in rows:
        kept = {k: v for k, v in row.items() if k not in TIMES}
        kept["std"] = {k: v for k, v in row["std"].items() if k not in TIMES}
        kept["per_seed"] = {k: v for k, v in row["per_seed"].items() if k not in TIMES}
        out.append(kept)
    return out


def test_a_three_variant_plan_from_the_runs_tab_fills_the_table_and_its_winner_can_be_tried(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path, epochs=1)
    library = window.runs_panel.library
    dialog = plan_from_dialog(qtbot, window, library.compareButton, "learning-rates", "0.1, 0.01, 0.001")
    assert dialog.summaryLabel.text().startswith("3 runs, about ")  # before Start: how many, how long
    assert "same test images" in dialog.summaryLabel.text()  # and how it is fair
    dialog.set_variant_name(0, "too fast")  # each variant's short name is the user's to choose
    qtbot.waitUntil(dialog.ready, timeout=30_000)
    dialog.startButton.click()
    panel = window.compare_panel
    assert "comparison is running" in menus.quit_question(window)  # quitting now asks first
    assert not window.train()  # one job at a time: Train says why it waits
    assert "comparison is running" in window.training_panel.messageLabel.text()
    window.show_panel(panel)
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=3 * RUN_TIMEOUT)

    rows = panel.table_rows()
    assert names(rows) == ["too fast", "lr 0.01", "lr 0.001"]
    assert [row[1] for row in rows] == ["done"] * 3
    assert sum(row[0].startswith(WINNER) for row in rows) == 1  # the winner is marked
    assert all("%" in row[2] and "–" in row[2] for row in rows)  # test accuracy with its interval
    assert len(panel.results.verdict_lines()) == 3  # a sentence for each pair
    assert sorted(panel.results.plotted_names()) == sorted(names(rows))  # every variant's curves
    assert panel.overallProgress.text().startswith("3 runs done in")
    runs = sorted(p.name for p in panel.folder.iterdir() if (p / "model.pt").is_file())
    assert runs == ["01-too-fast", "02-lr-0-01", "03-lr-0-001"]
    assert (
        json.loads((panel.folder / "plan.json").read_text(encoding="utf-8"))["variants"][0]["name"]
        == "too fast"
    )

    winner = panel.winner_checkpoint()
    assert winner is not None and panel.tryButton.isEnabled()
    panel.tryButton.click()
    qtbot.waitUntil(lambda: window.current_panel() is window.inference_panel, timeout=RUN_TIMEOUT)
    assert Path(window.current_model().path) == winner  # Try it answers with the winner's model


def test_a_stopped_comparison_reopens_from_the_runs_tab_after_a_restart_and_resumes(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path, epochs=3)  # time enough to stop the second run in its middle
    dialog = plan_from_dialog(
        qtbot, window, window.model_panel.compareButton, "learning-rates", "0.01, 0.003, 0.001"
    )
    dialog.startButton.click()
    panel = window.compare_panel
    qtbot.waitUntil(lambda: panel.table_rows()[0][1] == "done", timeout=RUN_TIMEOUT)
    qtbot.waitUntil(lambda: panel.runProgress.text().startswith("lr 0.003: epoch"), timeout=RUN_TIMEOUT)
    panel.stopButton.click()  # in the middle of the second run
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=RUN_TIMEOUT)
    assert [row[1] for row in panel.table_rows()] == ["done", "stopped", "waiting"]
    assert panel.overallProgress.text() == "1 of 3 runs done; Resume continues the others"
    assert panel.resumeButton.isEnabled()
    folder = panel.folder
    first = folder / "01-lr-0-01" / "model.pt"
    first_written = first.stat().st_mtime_ns
    window.close()

    window = open_window(qtbot, tmp_path, epochs=3)  # a new session: the comparison is on disk only
    library = window.runs_panel.library
    assert library.comparisons() == [folder]
    library.comparisonsMenu.aboutToShow.emit()
    library.comparisonsMenu.actions()[0].trigger()
    panel = window.compare_panel
    assert window.current_panel() is panel
    qtbot.waitUntil(lambda: panel.comparison is not None, timeout=RUN_TIMEOUT)
    assert [row[1] for row in panel.table_rows()] == ["done", "stopped", "waiting"]
    assert panel.resumeButton.isEnabled()
    panel.resumeButton.click()
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=3 * RUN_TIMEOUT)
    assert [row[1] for row in panel.table_rows()] == ["done"] * 3
    assert panel.comparison.finished and not panel.resumeButton.isEnabled()
    assert first.stat().st_mtime_ns == first_written  # the finished run was not run again
    history = (folder / "02-lr-0-003" / "history.csv").read_text(encoding="utf-8").splitlines()
    assert len(history) == 1 + 3  # the stopped run went on to its three epochs, no epoch twice
    assert sorted(panel.results.plotted_names()) == ["lr 0.001", "lr 0.003", "lr 0.01"]


def test_the_same_plan_from_the_window_and_the_command_line_gives_the_same_table(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path, epochs=1)
    dialog = plan_from_dialog(qtbot, window, window.compare_panel.newButton, "optimizers")
    panel = run_to_end(qtbot, window, dialog)
    assert names(panel.table_rows()) == ["adam", "sgd"]

    plan = tmp_path / "plan.json"
    plan.write_bytes((panel.folder / "plan.json").read_bytes())  # the plan the window ran
    env = {**os.environ, "TALLER_RUNS_DIR": str(tmp_path / "cli-runs")}
    done = subprocess.run(
        [sys.executable, "main.py", "compare", str(plan)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    (cli_folder,) = (tmp_path / "cli-runs").glob("compare-*")
    from_window, from_cli = load_comparison(panel.folder), load_comparison(cli_folder)
    assert without_times(from_cli.rows) == without_times(from_window.rows)
    assert [v["sentence"] for v in from_cli.verdicts] == [v["sentence"] for v in from_window.verdicts]
    assert from_cli.winner == from_window.winner
    # ... and the window shows exactly those rows (every column but the wall time).
    shown = [row[:-1] for row in panel.table_rows()]
    panel.reopen(cli_folder)
    qtbot.waitUntil(lambda: Path(panel.comparison.folder) == cli_folder, timeout=RUN_TIMEOUT)
    assert [row[:-1] for row in panel.table_rows()] == shown
