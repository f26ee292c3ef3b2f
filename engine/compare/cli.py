"""``taller compare``: a plan from a file, a preset or one setting's values; one line per run, then the table.

``taller compare PLAN.json``, ``taller compare --preset scratch-frozen-finetune --model regnet
--dataset digits --epochs 2`` (the run options of ``train`` set the base), ``--vary SETTING --values
...``, ``--repeats N``; ``--resume FOLDER`` continues a stopped comparison, ``--report FOLDER`` writes
its report. Ctrl+C or SIGTERM stop as ``train`` does: the running run stops after its batch and keeps
its finished epochs, the finished runs are kept, exit 128 + the signal; ``--resume`` continues.

Parsing imports no PyTorch (``taller --help`` answers at once); the queue and the report load when
the command runs.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.cli_args import COUNT, GROUP_TITLES, add_setting, configs_from_args
from engine.cli_output import print_table
from engine.compare.plan import Plan
from engine.compare.presets import PRESETS, expand, setting_variants
from engine.errors import CliError
from engine.formatting import accuracy_text, duration, percent
from engine.i18n import _, gettext
from engine.progress import TerminalProgress, say
from engine.settings import CONFIGS, RECIPE_NAMES, of_config
from engine.signals import Terminated

if TYPE_CHECKING:
    from engine.compare.table import Comparison


def add_compare_parser(sub: argparse._SubParsersAction) -> None:
    """The ``compare`` command and its options."""
    cp = sub.add_parser(
        "compare",
        help=_("compare variants of a run: the runs one after another, a fair table, and whether each "
               "difference is real"),
    )  # fmt: skip
    cp.add_argument("plan", nargs="?", metavar="PLAN.json", help=_("a comparison plan (JSON)"))
    what = cp.add_argument_group(_("what to compare"))
    what.add_argument("--preset", choices=list(PRESETS), help=_("a ready-made comparison"))
    what.add_argument(
        "--vary", metavar="SETTING", help=_("a setting to vary, by its name (lr, batch_size, optimizer, ...)")
    )
    what.add_argument(
        "--values",
        nargs="+",
        metavar="VALUE",
        help=_("the values to try: of --vary, or the preset's learning rates (or LOW:HIGH:COUNT, a log "
               "range), models or optimizers"),
    )  # fmt: skip
    what.add_argument(
        "--repeats",
        type=COUNT,
        metavar="N",
        help=_("run each variant N times, with seeds SEED to SEED+N-1 (mean ± std, a paired test)"),
    )
    what.add_argument("--name", help=_("the comparison's name (its folder: runs/compare-NAME-N)"))
    folder = cp.add_argument_group(_("comparison folder"))
    folder.add_argument(
        "--out", metavar="FOLDER", help=_("where to run it (default: a new runs/compare-NAME-N)")
    )
    folder.add_argument("--resume", metavar="FOLDER", help=_("continue a stopped comparison"))
    folder.add_argument("--report", metavar="FOLDER", help=_("write the report of a comparison (HTML, CSV)"))
    for config in CONFIGS:
        group = cp.add_argument_group(_("base run: {title}").format(title=gettext(GROUP_TITLES[config])))
        for setting in of_config(config):
            if setting.option:
                add_setting(group, setting)


def cmd_compare(args: argparse.Namespace) -> int:
    """Run, resume or report a comparison; see the module."""
    if args.report:
        return report(args.report)
    # deferred: the queue loads PyTorch and the training code, which parsing does without
    from engine.compare.queue import resume_plan, run_plan
    from engine.saving import stop_on_signals  # deferred: as above

    plan = None if args.resume else build_plan(args)
    if args.resume:
        refuse_base_options(args, "--resume")
    stop = threading.Event()
    printer = Printer()
    try:
        with stop_on_signals(stop) as signals:
            if args.resume:
                comparison = resume_plan(args.resume, printer.on_event, stop)
            else:
                comparison = run_plan(plan, args.out, printer.on_event, stop)
    except Terminated as e:  # a second Ctrl+C: out at once; the folder still resumes
        if not e.running or printer.folder is None:
            raise
        printer.close()
        print("\n" + stopped_line(e.signum, printer.folder), file=sys.stderr)
        return 128 + e.signum
    finally:
        printer.close()
    print_comparison(comparison)
    if signals:
        print(stopped_line(signals[0], comparison.folder), file=sys.stderr)
        return 128 + signals[0]
    return 0


def build_plan(args: argparse.Namespace) -> Plan:
    """The plan a command line asks for: its file, or a preset or --vary on the base the options set."""
    if args.plan:
        if args.preset or args.vary:
            raise CliError(_("give either PLAN.json or --preset/--vary, not both"))
        refuse_base_options(args, "PLAN.json")
        plan = Plan.read(args.plan)
        plan.name = args.name or plan.name
        plan.repeats = args.repeats or plan.repeats
        return plan
    data_cfg, model_cfg, train_cfg = configs_from_args(args)
    if args.preset and args.vary:
        raise CliError(_("give either --preset or --vary, not both"))
    if args.preset:
        variants = expand(args.preset, model_cfg.arch, args.values)
    elif args.vary:
        if not args.values:
            raise CliError(_("--vary {setting} needs --values to try").format(setting=args.vary))
        variants = setting_variants(args.vary, args.values)
    else:
        raise CliError(_("say what to compare: PLAN.json, --preset NAME or --vary SETTING --values ..."))
    name = args.name or args.preset or args.vary
    return Plan.from_configs(name, data_cfg, model_cfg, train_cfg, variants, args.repeats or 1, args.preset)


def refuse_base_options(args: argparse.Namespace, source: str) -> None:
    """Refuse run options typed beside a plan file or --resume, whose settings are the plan's own."""
    typed = [
        s.option
        for config in CONFIGS
        for s in of_config(config)
        if s.option
        and (
            getattr(args, s.dest) is not None  # None: a recipe setting left out (--no-augment is False)
            if s.name in RECIPE_NAMES
            else getattr(args, s.dest) not in (s.default, None, [], False)
        )
    ]
    if typed:
        raise CliError(
            _(
                "{options} cannot be used with {source}: the plan holds the settings of its runs; change "
                'its "base", or use --preset or --vary with them'
            ).format(options=", ".join(typed), source=source)
        )


def report(folder: str) -> int:
    """Write a comparison's report and print its table."""
    # deferred: matplotlib and Jinja2 load only when a report is asked for
    from engine.compare.report import write_comparison_report
    from engine.compare.table import load_comparison  # deferred: numpy, which parsing does without

    comparison = load_comparison(folder)
    print_comparison(comparison)
    print(_("report written to {path}").format(path=write_comparison_report(comparison)))
    return 0


def print_comparison(comparison: Comparison) -> None:
    """The table, the verdicts and the winner."""
    # deferred: numpy, which parsing does without (the table is read once the runs have ended)
    from engine.compare.table import TABLE_HEADER, row_cells

    say("")
    print_table(TABLE_HEADER, [row_cells(r) for r in comparison.rows])
    for verdict in comparison.verdicts:
        say("- " + verdict["sentence"])
    if comparison.winner:
        say(_("winner: {name} ({path})").format(name=comparison.winner, path=comparison.winner_dir()))


def stopped_line(signum: int, folder: Path) -> str:
    """What a stopped comparison says: what is kept, how to go on."""
    return _(
        "stopped by {name}: the finished runs are kept in {folder}, and the stopped one keeps its finished "
        "epochs; continue with: taller compare --resume {folder}"
    ).format(name=signal.Signals(signum).name, folder=folder)


class Printer:
    """One line per run on stdout; a progress bar on a terminal and warnings on stderr."""

    def __init__(self):
        self.bar = TerminalProgress()
        self.folder: Path | None = None
        self.runs = 0

    def on_event(self, event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "compare_start":
            self.folder, self.runs = Path(event["folder"]), event["runs"]
            about = _("comparing {n} runs in {folder} (about {time})").format(
                n=self.runs, folder=self.folder, time=duration(event["estimate"])
            )
            print(about, file=sys.stderr)
            for note in event.get("notes") or []:
                print(f"  · {note}", file=sys.stderr)
        elif kind == "compare_run_end":
            self.bar.close()
            say(self.run_line(event))
        elif kind in ("progress", "warning"):
            self.bar.on_event(event)

    def run_line(self, event: dict[str, Any]) -> str:
        """``[2/3] frozen: test accuracy 91.1% · best validation 90.2% (epoch 2) · 14 s · FOLDER``."""
        # deferred: numpy, which parsing does without; loaded by the runs by now
        from engine.compare.table import run_record

        record = run_record(Path(event["run_dir"])) or {}
        head = f"[{event['index'] + 1}/{self.runs}] {event['name']}"
        if not record:
            return _("{head}: no epoch finished").format(head=head)
        line = _("{head}: test accuracy {test} · best validation {val} (epoch {epoch}) · {run_dir}").format(
            head=head,
            test=accuracy_text(record["test_acc"], record["test_n"]),
            val=percent(record["best_val_acc"]),
            epoch=record["best_epoch"],
            run_dir=event["run_dir"],
        )
        return _("{line} (finished before)").format(line=line) if event.get("replayed") else line

    def close(self) -> None:
        self.bar.close()
