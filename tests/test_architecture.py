"""The shape docs/architecture.md promises, checked: no import cycle between skyconf's packages, the
vendor's API known only by its provider and the sandbox, and no module long without saying why."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "skyconf"
# What only the NetSapiens provider and the sandbox may spell: API paths and the vendor's field names.
VENDOR = re.compile(
    r"ns-api|/domains/|answerrule|callqueue|autoattendant|timeframe-|\"time-frame\"|forward-always|"
    r"device-provisioning|name-first-name|user-scope|voicemail-(enabled|login|greeting|playback)|NetSapiens|netsapiens"
)
VENDOR_HOMES = ("providers/netsapiens/", "sandbox/")
# The provider registry names its default provider and the module that implements it.
REGISTRY = "providers/__init__.py"
LONG = 400
LONG_REASON = "Why this module is long:"


def node_of(module: str) -> str:
    """A package inside skyconf (`model`, `providers`, ...), or a top-level module (`plan`, `resolve`)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "skyconf"


def runtime_imports(path: Path) -> set[str]:
    """Modules of skyconf that `path` imports when it runs (imports under TYPE_CHECKING do not count)."""
    tree = ast.parse(path.read_text())
    checking: set[int] = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test):
            checking |= {id(c) for c in ast.walk(n)}
    found: set[str] = set()
    for n in ast.walk(tree):
        if id(n) in checking:
            continue
        if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("skyconf"):
            found |= {f"{n.module}.{a.name}" for a in n.names} if n.module == "skyconf" else {n.module}
        elif isinstance(n, ast.Import):
            found |= {a.name for a in n.names if a.name.startswith("skyconf.")}
    return found


def package_graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        source = node_of(module)
        for target in map(node_of, runtime_imports(path)):
            if target not in (source, "skyconf"):
                edges[source].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_between_packages() -> None:
    edges = package_graph()
    assert "model" in edges and "providers" in edges, "the graph was read"
    found = cycles(edges)
    detail = {c: sorted(edges[c] & set(cycle)) for cycle in found for c in cycle}
    assert found == [], f"import cycles between skyconf's packages: {found} ({detail})"


def test_the_cycle_check_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_vendor_names_stay_in_the_provider_and_the_sandbox() -> None:
    leaks = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(VENDOR_HOMES) or relative == REGISTRY:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if VENDOR.search(line):
                leaks.append(f"{relative}:{number}: {line.strip()}")
    assert leaks == []


def test_long_modules_say_why() -> None:
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        if text.count("\n") > LONG and LONG_REASON not in (ast.get_docstring(ast.parse(text)) or ""):
            long.append(f"{path.relative_to(PACKAGE)} ({text.count(chr(10))} lines)")
    assert long == [], f"modules over {LONG} lines without '{LONG_REASON}' in their docstring"
