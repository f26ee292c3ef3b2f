"""The Compare tab: a comparison's queue of runs as it goes, its table, curves and verdicts.

The queue runs in a worker thread (``engine.compare.queue`` through ``gui.tasks.TaskRunner``), as
``taller compare`` runs it; this panel only shows its events: each run's progress and the whole
plan's with the time left, a row per variant as its runs end, the curves as epochs end, and at the
end the verdicts and the winner, which *Open* and *Try it* hand to the window. *Stop* stops the
running run after its batch; *Resume* continues a stopped comparison (finished runs are kept), also
one reopened from disk after the window was closed (the Runs tab lists them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.runs_library import CHECKPOINTS
from engine.train.runs import runs_root
from gui.compare.jobs import load_job, plan_job, report_job, resume_job
from gui.compare.progress import QueueProgress
from gui.compare.results import CompareResults
from gui.language import duration
from gui.tasks import TaskRunner, stop_all
from gui.widgets.message_label import MessageLabel


class ComparePanel(QWidget):
    """Runs a comparison plan (or resumes or reopens one) and shows it.

    Signals
    -------
    newRequested()          *New comparison…* (the window opens the plan dialog on its forms)
    openRequested(str)      the winner's checkpoint, to open (curves, evaluation)
    tryRequested(str)       the winner's checkpoint, to open and try
    runningChanged(bool)    a comparison started (True) or its thread ended (False)
    statusMessage(str)      short text for the status bar
    """

    newRequested = Signal()
    openRequested = Signal(str)
    tryRequested = Signal(str)
    runningChanged = Signal(bool)
    statusMessage = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("comparePanel")
        self.queue = TaskRunner(self, "compareTask")
        self.reading = TaskRunner(self, "compareReadTask")
        self.reporting = TaskRunner(self, "compareReportTask")
        self._report: Path | None = None
        self.comparison = None  # engine.compare.table.Comparison shown (at the end, or read back)
        self.folder: Path | None = None
        self._rows: dict[str, dict[str, Any]] = {}  # each variant's row as its last run ended
        self._build()
        self.queue.runningChanged.connect(self.runningChanged)
        self.queue.runningChanged.connect(self._update_buttons)
        self.reading.runningChanged.connect(self._update_buttons)
        self.reporting.runningChanged.connect(self._update_buttons)
        self._update_buttons()

    def _build(self) -> None:
        self.newButton = QPushButton(self.tr("New comparison…"), objectName="newComparisonButton")
        self.newButton.setToolTip(self.tr("Plan variants of the run the Data and Model forms describe"))
        self.stopButton = QPushButton(self.tr("Stop"), objectName="stopComparisonButton")
        self.stopButton.setToolTip(self.tr("Stop after the current batch; Resume continues later"))
        self.resumeButton = QPushButton(self.tr("Resume"), objectName="resumeComparisonButton")
        self.resumeButton.setToolTip(
            self.tr("Continue a stopped comparison: finished runs are kept, the stopped one goes on")
        )
        self.openButton = QPushButton(self.tr("Open winner"), objectName="openWinnerButton")
        self.openButton.setToolTip(self.tr("Open the winning variant's model: its curves and evaluation"))
        self.tryButton = QPushButton(self.tr("Try the winner"), objectName="tryWinnerButton")
        self.tryButton.setToolTip(self.tr("Open the winning variant's model in Try it"))
        self.reportButton = QPushButton(self.tr("Report"), objectName="compareReportButton")
        self.reportButton.setToolTip(
            self.tr("Write the comparison's HTML report and CSV table into its folder (report/)")
        )
        self.openReportButton = QPushButton(self.tr("Open report"), objectName="openCompareReportButton")
        self.openReportButton.hide()
        bar = QHBoxLayout()
        for button in (self.newButton, self.stopButton, self.resumeButton):
            bar.addWidget(button)
        bar.addStretch(1)
        for button in (self.reportButton, self.openReportButton, self.openButton, self.tryButton):
            bar.addWidget(button)
        self.titleLabel = QLabel(objectName="compareTitle", wordWrap=True)
        self.titleLabel.setText(
            self.tr(
                "Compare approaches in one go: New comparison… plans variants of the forms' run; "
                "the Runs tab lists comparisons made before."
            )
        )
        self.progress = QueueProgress()
        self.overallProgress, self.runProgress = self.progress.overall, self.progress.run
        self.messageLabel = MessageLabel("compareMessage")
        self.results = CompareResults()
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.titleLabel)
        layout.addWidget(self.progress)
        layout.addWidget(self.messageLabel)
        layout.addWidget(self.results, 1)
        self.newButton.clicked.connect(self.newRequested)
        self.stopButton.clicked.connect(self.stop)
        self.resumeButton.clicked.connect(lambda: self.resume())
        self.openButton.clicked.connect(lambda: self._hand_on(self.openRequested))
        self.tryButton.clicked.connect(lambda: self._hand_on(self.tryRequested))
        self.reportButton.clicked.connect(lambda: self.write_report())
        self.openReportButton.clicked.connect(self._open_report)

    # ---- public API ---------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self.queue.is_running()

    def start(self, plan) -> bool:
        """Run ``plan`` (``engine.compare.plan.Plan``) in a new comparison folder; False while one runs."""
        if self.is_running():
            return False
        self._begin([v.name for v in plan.variants], plan.name)
        return self.queue.start(plan_job(plan), self._on_done, self._on_failed, on_events=self._events())

    @Slot()
    def resume(self, folder: str | Path | None = None) -> bool:
        """Continue the stopped comparison in ``folder`` (default: the one shown; else asks)."""
        if self.is_running():
            return False
        if folder is None:
            folder = self.folder or QFileDialog.getExistingDirectory(
                self, self.tr("Resume a comparison"), str(runs_root())
            )
        if not folder:
            return False
        folder = Path(folder)
        if self.folder != folder or self.comparison is None:
            self._begin([], folder.name)  # the runs that finished before are announced again
        else:  # keep the finished runs' curves: only the stopped run's epochs are replayed
            self.messageLabel.show_message("")
        self.folder = folder
        self.progress.reset(self.tr("Resuming…"))
        return self.queue.start(resume_job(folder), self._on_done, self._on_failed, on_events=self._events())

    def reopen(self, folder: str | Path) -> bool:
        """Read the comparison in ``folder`` back (a worker) and show it; Resume continues it if stopped."""
        if self.is_running() or self.reading.is_running():
            return False
        self.folder, self._report = Path(folder), None
        self.openReportButton.hide()
        self.progress.reset(self.tr("Reading {name}…").format(name=self.folder.name))
        return self.reading.start(
            load_job(folder), lambda read: self._show_comparison(*read), self._on_failed
        )

    def write_report(self) -> bool:
        """Write the shown comparison's report (HTML page, CSV table) into its folder, in a worker."""
        if self.comparison is None or self.reporting.is_running():
            return False
        return self.reporting.start(report_job(self.comparison), self._on_report, self._on_failed)

    def _on_report(self, path: Path) -> None:
        self._report = Path(path)
        text = self.tr("Report written to {path}").format(path=path)
        self.messageLabel.show_message(text, role="ok")
        self.openReportButton.show()
        self.statusMessage.emit(text)

    @Slot()
    def _open_report(self) -> None:
        if self._report is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._report)))

    @Slot()
    def stop(self) -> None:
        """Stop the running run after its batch; the runs after it do not start."""
        if self.queue.stop():
            self.progress.stopping()
            self._update_buttons()

    def shutdown(self) -> None:
        """Stop the queue (the run saves what it has) and wait; for the window's closeEvent."""
        stop_all(self)

    def winner_checkpoint(self) -> Path | None:
        """The model file of the winning variant's best run, or None before there is one."""
        folder = self.comparison.winner_dir() if self.comparison is not None else None
        found = [folder / name for name in CHECKPOINTS] if folder else []
        return next((path for path in found if path.is_file()), None)

    def table_rows(self) -> list[list[str]]:
        return self.results.table.texts()

    # ---- queue events -------------------------------------------------------------------------
    def _events(self) -> dict:
        return {
            "compare_start": self._on_compare_start,
            "compare_run_start": self._on_run_start,
            "progress": self._on_progress,
            "epoch_end": self._on_epoch,
            "warning": self._on_warning,
            "status": self._on_status,
            "compare_run_end": self._on_run_end,
            "compare_end": self._on_compare_end,
        }

    def _on_compare_start(self, event: dict) -> None:
        self.folder = Path(event["folder"])
        self.titleLabel.setText(
            self.tr("Comparison {name}, in {folder}").format(name=self.folder.name, folder=self.folder)
        )
        self.results.show_verdicts([], event.get("notes") or [])
        self.progress.started(event.get("runs"), event.get("estimate"))

    def _on_run_start(self, event: dict) -> None:
        name = str(event["name"])
        self.results.set_row({**self._rows.get(name, {"variant": name}), "status": "running"})
        self.progress.run_started(name)

    def _on_progress(self, event: dict) -> None:
        if "variant" in event:  # not the loading of the data, which comes before any run
            self.progress.progress(event, self.queue.stopping())

    def _on_epoch(self, event: dict) -> None:
        if "variant" in event:
            self.results.add_epoch(event)

    def _on_warning(self, event: dict) -> None:
        message = self.tr("{variant}: {message}").format(
            variant=event.get("variant", ""), message=event.get("message", "")
        )
        self.messageLabel.show_message(message, role="warning")
        self.statusMessage.emit(message)

    def _on_status(self, event: dict) -> None:
        self.statusMessage.emit(str(event.get("message", "")))

    def _on_run_end(self, event: dict) -> None:
        row = dict(event.get("row") or {})
        self._rows[str(event["name"])] = row
        self.results.set_row(row)
        self.progress.run_ended(event.get("status") == "finished", event.get("eta"))

    def _on_compare_end(self, event: dict) -> None:
        self.results.set_rows(event.get("table") or [], event.get("winner"))
        self.results.show_verdicts(event.get("verdicts") or [])

    # ---- outcome ------------------------------------------------------------------------------
    def _on_done(self, comparison) -> None:
        self._show_comparison(comparison)
        if comparison.finished:
            winner = comparison.winner or "–"
            message = self.tr("Comparison finished: {winner} did best").format(winner=winner)
        else:
            message = self.tr("Comparison stopped; Resume continues it")
        self.statusMessage.emit(message)

    def _on_failed(self, message: str) -> None:
        self.messageLabel.show_error(message)
        self.progress.run.setFormat(self.tr("Failed"))
        self.statusMessage.emit(message.splitlines()[0] if message else "")
        self._update_buttons()

    def _show_comparison(self, comparison, notes: list[str] | None = None) -> None:
        """Show a comparison read back (at the end of a queue, or reopened): rows, curves, verdicts;
        ``notes`` on how it is fair (None: those the queue said at its start)."""
        self.comparison, self.folder = comparison, Path(comparison.folder)
        names = [v.name for v in comparison.plan.variants]
        notes = self.results.notes if notes is None else notes
        self.results.clear(names)
        self.results.set_rows(comparison.rows, comparison.winner)
        histories: dict[str, list[list[dict[str, Any]]]] = {}
        for run in comparison.runs:
            record = run.get("record") or {}
            histories.setdefault(run["variant"], []).append(list(record.get("history") or []))
        self.results.set_histories(histories)
        self.results.show_verdicts(comparison.verdicts, notes)
        finished = sum(r["status"] == "finished" for r in comparison.runs)
        total = len(comparison.runs)
        self.titleLabel.setText(
            self.tr("Comparison {name}, in {folder}").format(name=self.folder.name, folder=self.folder)
        )
        if comparison.finished:
            took = sum(float(r.get("seconds") or 0) for r in comparison.runs)
            text = self.tr("%n run(s) done in {time}", "", total).format(time=duration(took))
        else:
            text = self.tr("{done} of %n run(s) done; Resume continues the others", "", total).format(
                done=finished
            )
        self.progress.show_done(finished, total, text)
        self._update_buttons()

    # ---- helpers ------------------------------------------------------------------------------
    def _begin(self, variants: list[str], name: str) -> None:
        self.comparison, self._report = None, None
        self.openReportButton.hide()
        self._rows: dict[str, dict[str, Any]] = {}
        self.results.clear(variants)
        self.messageLabel.show_message("")
        self.titleLabel.setText(self.tr("Comparison {name}").format(name=name))
        self.progress.reset(self.tr("Starting…"))

    def _hand_on(self, signal) -> None:
        path = self.winner_checkpoint()
        if path is not None:
            signal.emit(str(path))

    def _update_buttons(self, *_) -> None:
        running, reading = self.is_running(), self.reading.is_running()
        self.newButton.setEnabled(not running)
        self.stopButton.setEnabled(running and not self.queue.stopping())
        unfinished = self.comparison is not None and not self.comparison.finished
        self.resumeButton.setEnabled(not running and not reading and (unfinished or self.comparison is None))
        self.reportButton.setEnabled(self.comparison is not None and not self.reporting.is_running())
        has_winner = self.winner_checkpoint() is not None
        self.openButton.setEnabled(has_winner)
        self.tryButton.setEnabled(has_winner)
