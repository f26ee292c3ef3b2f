"""The command line answers at once: parsing its arguments and listing runs import no PyTorch.

Each check runs in a fresh interpreter, since this test process has imported torch long before.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "torchvision", "sklearn", "scipy", "matplotlib", "numpy")


def heavy_modules_after(code: str, cwd: Path = ROOT) -> list[str]:
    """The heavy modules a fresh Python has imported after running ``code``."""
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1].split() if done.stdout.strip() else []


def test_building_the_parser_and_parsing_imports_no_torch():
    code = (
        "from engine.cli_args import build_parser\n"
        "parser = build_parser()\n"
        "parser.parse_args(['train', '--model', 'resnet18', '--dataset', 'cifar10', '--precision', 'bf16'])\n"
        "parser.parse_args(['runs', '--json'])"
    )
    assert heavy_modules_after(code) == []


def test_help_and_runs_import_no_torch(tmp_path):
    run = tmp_path / "runs" / "digits-cnn-1"
    run.mkdir(parents=True)
    (run / "config.json").write_text(
        '{"data_config": {"dataset": "digits"}, "model_config": {"arch": "cnn"}, "train_config": {}}'
    )
    (run / "history.csv").write_text("fold,epoch,phase,val_acc\n0,1,1,0.5\n")
    (run / "last.pt").write_bytes(b"not read: the plain files say it all")
    code = (
        "import contextlib, io\n"
        "from gui.launch import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        f"    assert main(['runs', '--root', {str(tmp_path / 'runs')!r}]) == 0\n"
        "    try:\n"
        "        main(['train', '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "assert 'digits-cnn-1' in out.getvalue() and '50.0%' in out.getvalue(), out.getvalue()"
    )
    assert heavy_modules_after(code) == []
