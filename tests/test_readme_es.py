"""README.es.md keeps in step with README.md: the same shell commands in the same order."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```(?:bash|sh|shell|console)\n(.*?)^```", re.M | re.S)
COMMENT = re.compile(r"(^|\s+)#\s.*$|^\s*#.*$")  # a whole-line comment, or "  # ..." after a command


def command_blocks(path: Path) -> list[list[str]]:
    """Each shell block of ``path`` as its command lines, comments and blank lines left out."""
    blocks = []
    for body in FENCE.findall(path.read_text(encoding="utf-8")):
        lines = [COMMENT.sub("", line).rstrip() for line in body.splitlines()]
        blocks.append([line for line in lines if line.strip()])
    return blocks


def test_the_spanish_readme_has_the_english_commands_in_the_same_order():
    english, spanish = command_blocks(ROOT / "README.md"), command_blocks(ROOT / "README.es.md")
    assert len(english) >= 10  # the blocks were found, not nothing
    for n, (en, es) in enumerate(zip(english, spanish, strict=False), start=1):
        assert es == en, f"shell block {n} differs between README.md and README.es.md"
    assert len(spanish) == len(english), "README.es.md has a different number of shell blocks"


def test_each_readme_links_to_the_other_at_the_top():
    assert "[Español](README.es.md)" in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[0]
    assert "[English](README.md)" in (ROOT / "README.es.md").read_text(encoding="utf-8").splitlines()[0]


def test_the_comment_filter_keeps_commands_and_drops_comments(tmp_path):
    readme = tmp_path / "R.md"
    readme.write_text(
        "```bash\n# a comment\npython main.py train --dataset folder:PATH   # trailing words\n\n"
        'sed "s|^Exec=taller|x|" a > b\n```\n\n```\nnot a shell block\n```\n',
        encoding="utf-8",
    )
    assert command_blocks(readme) == [
        ["python main.py train --dataset folder:PATH", 'sed "s|^Exec=taller|x|" a > b']
    ]
