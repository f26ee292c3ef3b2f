"""House rules that import-linter and ruff cannot state, checked by .ci/run.

- No import inside a function, except one that defers a heavy optional dependency: such an import
  carries a comment on its line or the line above saying so (``# optional: ...`` or ``# deferred: ...``).
- No module of engine/ or gui/ over MAX_LINES lines (a module that big does more than one job).
- No import cycle between any two modules of engine/ and gui/ (import-linter's acyclic_siblings checks
  packages; this checks modules, so a circle inside one package is caught too).

Run from the repository root: ``python .ci/architecture.py``; exits 1 and lists what is wrong.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import grimp

ROOTS = ("engine", "gui")
MAX_LINES = 420
MARKERS = ("# optional:", "# deferred:")


def function_imports(path: Path) -> list[str]:
    """Imports inside functions of ``path`` that do not say why they are deferred."""
    lines = path.read_text(encoding="utf-8").splitlines()
    tree = ast.parse("\n".join(lines), filename=str(path))
    bad: dict[int, str] = {}  # by line: a nested function's import is reported once
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(func):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                here = lines[node.lineno - 1]
                above = lines[node.lineno - 2] if node.lineno > 1 else ""
                if not any(m in here or m in above.strip() for m in MARKERS):
                    bad[node.lineno] = f"{path}:{node.lineno}: import inside {func.name}(): {here.strip()}"
    return [bad[line] for line in sorted(bad)]


def long_modules(path: Path) -> list[str]:
    n = len(path.read_text(encoding="utf-8").splitlines())
    return [f"{path}: {n} lines (at most {MAX_LINES})"] if n > MAX_LINES else []


def cycles() -> list[str]:
    """Every strongly connected group of more than one module (Tarjan, iterative)."""
    graph = grimp.build_graph(*ROOTS)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        group.append(top)
                        if top == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(edges.get(child, ()))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return [f"import cycle: {' <-> '.join(g)}" for g in groups]


def main() -> int:
    files = sorted(p for root in ROOTS for p in Path(root).rglob("*.py"))
    problems = [msg for f in files for msg in function_imports(f) + long_modules(f)] + cycles()
    for line in problems:
        print(line)
    print(f"architecture: {len(files)} modules checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
