"""Taller's command line: train, evaluate, predict and import-weights run the window's engine.

Every error a user can cause ends with a message on stderr and a non-zero exit, never a traceback
(``engine.errors.describe``; a bug's traceback goes to a log file the message names): 1 for data,
model, checkpoint, file-system and out-of-memory problems, 2 for bad arguments (argparse's
convention), 128 + the signal's number when stopped by Ctrl+C (130) or SIGTERM (143), with a line
saying what was kept (``engine.signals``, ``engine.saving``). ``engine.cli_args`` holds the arguments.

Parsing and ``runs`` import no torch, so ``taller --help`` and ``taller runs`` answer at once; each
other command imports what it needs when it starts (PyTorch and torchvision take seconds).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from engine.cli_args import build_parser, configs_from_args, resume_changes
from engine.cli_output import print_metrics, print_recipes, print_runs, print_test_accuracy, warn
from engine.compare.cli import add_compare_parser, cmd_compare
from engine.data.registry import load_dataset
from engine.errors import CliError, describe, user_message
from engine.formatting import accuracy_interval
from engine.i18n import _
from engine.names import display_name, show_names_on
from engine.progress import TerminalProgress, say, track
from engine.runs_library import run_summaries
from engine.signals import say_interrupted, terminate_as_interrupt
from engine.train.layout import MODEL, runs_root
from engine.train.request import RunRequest

if TYPE_CHECKING:
    from engine import evaluation
    from engine.train.run import RunResult

EXIT_ERROR = 1
EXIT_USAGE = 2


def main(argv: list[str] | None = None, training_threads: bool = False) -> int:
    """Run one command; returns the process exit status. ``training_threads``: first set PyTorch's
    thread count for training (``engine.threads``), for a command that computes."""
    show_names_on(sys.stdout, sys.stderr)
    argv = sys.argv[1:] if argv is None else list(argv)
    with terminate_as_interrupt():  # SIGTERM from the first moment: a line said, never a silent exit
        try:
            return run_command(argv, training_threads)
        except KeyboardInterrupt as e:  # Ctrl+C, SIGTERM, or a second one during a run
            return say_interrupted(e, argv)


def run_command(argv: list[str], training_threads: bool) -> int:
    """Parse ``argv`` and run its command; every error becomes a message (see the module)."""
    args = build_parser((add_compare_parser,)).parse_args(argv)
    args.argv = argv  # what --devices hands on to torchrun
    if training_threads and args.command not in ("runs", "recipes"):
        # deferred: it imports torch, which parsing and listing runs do without
        from engine.threads import use_training_threads

        use_training_threads()
    commands = {
        "train": cmd_train,
        "evaluate": cmd_evaluate,
        "predict": cmd_predict,
        "import-weights": cmd_import,
        "export": cmd_export,
        "runs": cmd_runs,
        "recipes": lambda _args: print_recipes() or 0,
        "export-notebook": cmd_export_notebook,
        "lr-find": cmd_lr_find,
        "compare": cmd_compare,
    }
    try:
        return commands[args.command](args)
    except Exception as e:  # noqa: BLE001 - the one boundary: a message, never a traceback
        # Expected failures (ours, OSError, out of memory) get advice; a bug gets a log file.
        print(f"error: {describe(e)}", file=sys.stderr)
        return EXIT_ERROR


# --- train ------------------------------------------------------------------------------------------


def cmd_train(args: argparse.Namespace) -> int:
    """Train in a run folder (a new one, ``--out``, or ``--resume``'s), print the test accuracy last.

    The run goes through ``engine.train.runner``, as the window's do. Ctrl+C or SIGTERM stop like
    the window's Stop: finished epochs are saved, exit 128 + signal. ``--devices N`` runs the same
    command on N processes through torchrun; started by torchrun, the processes train together
    (``engine.train.distributed``) and only rank 0 prints and writes.
    """
    # deferred: torch and the training code load for the commands that train (see the module's docstring)
    from engine.launcher import JsonEvents, launch_train
    from engine.saving import stop_on_signals  # deferred: as above
    from engine.train import distributed, runner  # deferred: as above
    from engine.train.run import resolve_device  # deferred: as above
    from engine.train.runs import read_configs  # deferred: as above

    if args.devices and args.devices > 1 and not distributed.launched():
        return launch_train(args.argv, args.devices, args.device)
    if args.resume:
        changes = resume_changes(args)
        device = changes.get(("train", "device"), (None, read_configs(args.resume)[2].device))[1]
    else:
        request = RunRequest(*configs_from_args(args), freeze_preset=args.freeze_preset)
        device = request.train_cfg.device
    distributed.start(resolve_device(device))  # under torchrun: join the other ranks
    main_rank = distributed.is_main()  # asked now: after distributed.finish() every process is "main"
    bar = JsonEvents() if args.events == "jsonl" else TerminalProgress()
    events = bar.on_event if main_rank else None
    stop = threading.Event()
    try:
        with stop_on_signals(stop) as signals:
            if args.resume:
                result = runner.resume(args.resume, events, stop, changes=changes, also=args.save)
            else:
                result = runner.start(request, events, stop, out=args.out, also=args.save)
    except RuntimeError as e:  # a collective failed: say which process it was, not "a bug"
        message = distributed.lost_peer(e)
        if message is None:
            raise
        raise CliError(message) from e
    finally:
        bar.close()
        distributed.finish()
    if not main_rank:
        return 128 + signals[0] if signals else (EXIT_ERROR if result.error or not result.history else 0)
    return report_run(args, result, signals)


def report_run(args: argparse.Namespace, result: RunResult, signals: list[int]) -> int:
    """What rank 0 (or the only process) says when the run has ended; the exit status."""
    # deferred: torch, loaded already by the run that has ended
    from engine.launcher import JsonEvents
    from engine.saving import stopped_message  # deferred: as above

    out = result.run_dir
    if not result.history and not signals:  # a stop asked for before the first epoch is said below
        raise CliError(result.error or _("the run ended before an epoch finished: nothing to save"))
    if result.save_error:
        raise CliError(result.save_error)
    if signals:
        resumable = not result.meta["train_config"].get("kfold")
        print(stopped_message(signals[0], out, result, resumable=resumable), file=sys.stderr)
    elif result.error:
        # The last good epoch's model and files are kept, and the run still counts as failed.
        raise CliError(_("{error} (kept in {out})").format(error=result.error, out=out))
    if result.test is None:
        if signals:
            return 128 + signals[0]
        raise CliError(_("no test accuracy: the run ended before an epoch finished"))
    if args.events == "jsonl":
        saved = {"event": "saved", "run_dir": str(out), "test_accuracy": result.test["accuracy"]}
        saved["test_accuracy_ci"] = accuracy_interval(result.test["accuracy"], result.test.get("n"))
        JsonEvents().on_event({**saved, "stopped": True} if signals else saved)
    print(_("saved {path}").format(path=out / MODEL))
    print_test_accuracy(result.test)
    if result.folds:
        kf = result.meta["kfold"]
        print(f"kfold_val_accuracy_mean={kf['val_acc_mean']:.4f} std={kf['val_acc_std']:.4f}")
    if signals:
        # The same lines as a finished run's, for scripts, marked: the model is the stopped run's.
        print("stopped=1")
        return 128 + signals[0]
    return 0


# --- evaluate ---------------------------------------------------------------------------------------


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Test a checkpoint on its dataset's held-out test part (or on ``--dataset``), print metrics."""
    # deferred: torch loads for the commands that compute (see the module's docstring)
    from engine import evaluation, precision
    from engine.train.fallback import open_checkpoint  # deferred: as above
    from engine.train.run import resolve_device  # deferred: as above

    loaded = open_checkpoint(args.checkpoint)
    warn(loaded.note)
    data_cfg = evaluation.data_config_for(
        loaded.meta, args.dataset, args.data_dir, loader=args.loader, cache=not args.no_cache
    )
    data = load_dataset(data_cfg)
    device = resolve_device(args.device)
    bar = TerminalProgress(label=_("evaluating"))
    result = evaluation.evaluate_model(
        loaded.model,
        loaded.meta,
        data,
        device=device,
        on_event=bar.on_event,
        name=loaded.path.name,
        precision=precision.resolve(args.precision, device) if args.precision else None,
    )
    bar.close()
    warn(evaluation.unreadable_note(result.metrics))
    print_metrics(result.metrics)
    if args.report:
        write_report(args.report, result)
    print_test_accuracy(result.metrics)
    return 0


def write_report(folder: str, result: evaluation.ModelEvaluation) -> None:
    """report.html, its charts and the metrics files of one evaluation."""
    # deferred: matplotlib and Jinja2 load only when a report is asked for (a second at start-up).
    from engine.report.html import write_report as write

    trained_on = result.meta.get("dataset")
    path = write(
        Path(folder),
        meta=result.meta,
        metrics=result.metrics,
        probabilities=result.probabilities,
        labels=result.test.labels,
        images=result.test.images,
        evaluated_on=result.data_name if result.data_name != trained_on else None,
    )
    print(_("report written to {path}").format(path=path))


# --- predict, import-weights ------------------------------------------------------------------------


def cmd_predict(args: argparse.Namespace) -> int:
    """Print ``path<TAB>class<TAB>probability`` for the top classes of each image."""
    # deferred: torch loads for the commands that compute (see the module's docstring)
    from engine.predict import Predictor
    from engine.train.fallback import open_checkpoint  # deferred: as above

    loaded = open_checkpoint(args.checkpoint)
    warn(loaded.note)
    predictor = Predictor(loaded.model, loaded.meta)
    failures = 0
    for path in track(args.images, len(args.images), _("predicting")):
        try:
            prediction = predictor.predict(path)
        except Exception as e:  # noqa: BLE001 - one bad image must not end the others
            message = user_message(e)
            if message is None:
                raise  # a bug: the boundary in main() logs it
            named = message if display_name(path) in message else f"{path}: {message}"
            print(f"error: {named}", file=sys.stderr)
            failures += 1
            continue
        for cls, prob in prediction.top[: args.top]:
            say(f"{path}\t{cls}\t{prob:.4f}")
    return EXIT_ERROR if failures else 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write a checkpoint as ONNX and say how closely onnxruntime matched PyTorch."""
    # deferred: torch and onnx load for the commands that compute (see the module's docstring)
    from engine.export_onnx import export_checkpoint
    from engine.train.fallback import open_checkpoint  # deferred: as above

    loaded = open_checkpoint(args.checkpoint)
    warn(loaded.note)
    bar = TerminalProgress(label=_("exporting"))
    result = export_checkpoint(loaded, args.out, on_event=bar.on_event)
    bar.close()
    print(
        _(
            "wrote {path} (checked with onnxruntime on {checked} {checked_on}: "
            "max |difference in probability| {difference:.1e})"
        ).format(
            path=result.path,
            checked=result.checked,
            checked_on=result.checked_on,
            difference=result.max_difference,
        )
    )
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    """A table of the run folders (``--json``: one JSON list), read without torch."""
    root = Path(args.root) if args.root else runs_root()
    if args.root and not root.is_dir():
        what = _("is not a folder") if root.exists() else _("does not exist")
        raise CliError(
            _("--root {root} {what}: name the folder that holds the run folders").format(root=root, what=what)
        )
    summaries, errors = run_summaries(root)
    if args.json:
        print(json.dumps([s.to_json() for s in summaries], indent=1))
    elif summaries:
        print_runs(summaries)
    else:
        print(_("no runs in {root} yet: `taller train` makes one").format(root=root), file=sys.stderr)
    for message in errors:
        print(_("warning: {warning}").format(warning=message), file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Copy a downloaded ImageNet weights file into the local torch cache."""
    # deferred: torch loads for the commands that compute (see the module's docstring)
    from engine.models.weights import import_weights

    started = time.perf_counter()
    path = import_weights(args.arch, args.file)
    seconds = time.perf_counter() - started
    print(
        _("imported {arch} ImageNet weights to {path} ({seconds:.1f}s)").format(
            arch=args.arch, path=path, seconds=seconds
        )
    )
    return 0


# --- export-notebook, lr-find -----------------------------------------------------------------------


def cmd_export_notebook(args: argparse.Namespace) -> int:
    """Write the notebook and/or script of plain PyTorch that redoes a run."""
    # deferred: torch reads the checkpoint (see the module's docstring)
    from engine.codegen.notebook import export_run

    if not args.out and not args.script:
        raise CliError(_("say where to write: OUT.ipynb, --script OUT.py, or both"))
    source, note = export_run(args.run, args.out, args.script)
    warn(note)
    for path in filter(None, (args.out, args.script)):
        print(_("wrote {path} (from {source})").format(path=path, source=source))
    return 0


def cmd_lr_find(args: argparse.Namespace) -> int:
    """The learning-rate range test for a run's settings; prints the curve's points and the suggestion."""
    # deferred: torch and the training code load for the commands that train (see the module's docstring)
    from engine.train import runner
    from engine.train.lr_find import lr_find  # deferred: as above

    data_cfg, model_cfg, train_cfg = configs_from_args(args)
    data = load_dataset(data_cfg)
    if args.freeze_preset:
        frozen = runner.preset_names(args.freeze_preset, model_cfg, data)
        model_cfg = replace(model_cfg, frozen=tuple(dict.fromkeys(model_cfg.frozen + frozen)))
    result = lr_find(
        data_cfg,
        model_cfg,
        train_cfg,
        data,
        start_lr=args.start_lr,
        end_lr=args.end_lr,
        max_batches=args.max_batches,
    )
    for lr, loss in zip(result.lrs[::10], result.losses[::10], strict=True):
        print(f"lr={lr:.3g}  loss={loss:.4f}")
    if result.suggestion is None:
        raise CliError(_("the loss never fell over the range: try a larger --end-lr or more --max-batches"))
    print(f"suggested_lr={result.suggestion:.3g}")
    return 0


if __name__ == "__main__":  # `python -m engine.cli train ...`: what --devices hands to torchrun
    sys.exit(main())
