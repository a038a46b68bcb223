"""The package's import graph: no cycles, lower layers never reach up, imports at the top.

Read from the source with ``ast`` (module-level and function-level imports alike), so a cycle
hidden inside a function still counts.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from conftest import ROOT

SRC = ROOT / "src"
PKG = "smilescope"
LOWER = ("io", "track", "geometry", "signals", "timebase", "measures", "landmarks", "errors")
UPPER = ("cli", "report", "store", "assess", "pipeline", "web", "archive")
# Own-module imports allowed inside a function, each with its reason (heavy modules on demand).
LOCAL_OK = {
    ("smilescope", "smilescope.pipeline"): "smilescope.analyze loads OpenCV and MediaPipe on first use only",
    ("smilescope.cli.analyze", "smilescope.pipeline"): "light commands (diary, --help) must not load MediaPipe",
    ("smilescope.cli.analyze", "smilescope.pipeline.overlay"): "decodes the video again, only for --overlay",
    ("smilescope.cli.analyze", "smilescope.report.annotate"): "OpenCV drawing, only for --overlay",
    ("smilescope.cli.analyze", "smilescope.io.video"): "PyAV and OpenCV: grade reads the video's length before analysing",
    ("smilescope", "smilescope.pipeline.photo"): "smilescope.photo loads OpenCV and MediaPipe on first use only",
    ("smilescope", "smilescope.report.annotate"): "smilescope.photo: OpenCV drawing on first use only",
    ("smilescope.cli.photo", "smilescope.report.annotate"): "OpenCV drawing: light commands must not load OpenCV (photo draws after its analysis)",
    ("smilescope", "smilescope.output"): "smilescope.photo's writer: NumPy with it, on first use only (import smilescope stays light)",
    ("smilescope.cli.serve", "smilescope.web.app"): "the web app loads FastAPI, OpenCV and MediaPipe; other commands must not",
    ("smilescope", "smilescope.archive.runner"): "smilescope.batch loads Dask and pandas on first use only",
    ("smilescope.cli.batch", "smilescope.archive.runner"): "Dask and pandas load only for a batch",
    ("smilescope.archive.runner", "smilescope.pipeline"): "the batch's client process never loads MediaPipe; only its workers do",
    ("smilescope.archive.runner", "smilescope.track.models"): "the batch's client process never loads MediaPipe; only its workers do",
    ("smilescope.archive.runner", "smilescope.io"): "PyAV and OpenCV: only in the batch's workers",
    ("smilescope.archive.runner", "smilescope._version"): "a worker checks that smilescope is installed there (and its version)",
    ("smilescope.report.figures", "smilescope.measures.shake"): "SciPy, only when a spectrum is drawn",
    ("smilescope.report.figures", "smilescope.measures.twitch"): "SciPy, only when a spectrum is drawn (the blinks it leaves out)",
    ("smilescope.cli.analyze", "smilescope.io.photo"): "smilescope.io loads PyAV and OpenCV: only when analyze or grade runs (a photo given is refused)",
    ("smilescope.report.html", "smilescope.store.figures"): "Matplotlib, only when a history figure is drawn",
    ("smilescope.pipeline", "smilescope.pipeline.engine"): "the package's names load on first use (start_early first)",
    ("smilescope.pipeline", "smilescope.pipeline.live"): "the package's names load on first use (start_early first)",
    ("smilescope.pipeline", "smilescope.pipeline.run"): "the package's names load on first use (start_early first)",
    ("smilescope.pipeline", "smilescope.results"): "the package's names load on first use (start_early first)",
    ("smilescope.pipeline", "smilescope.signals"): "the package's names load on first use (start_early first)",
    ("smilescope.pipeline.stages", "smilescope.pipeline.engine"):
        "stages loads light: the CLI starts the landmark process (start_early) before OpenCV and MediaPipe load",
    ("smilescope.pipeline.stages", "smilescope.track.observer"):
        "stages loads light: the CLI starts the landmark process (start_early) before OpenCV and MediaPipe load",
}


def modules() -> dict[str, Path]:
    out = {}
    for p in (SRC / PKG).rglob("*.py"):
        rel = p.relative_to(SRC).with_suffix("")
        name = ".".join(rel.parts)
        out[name[: -len(".__init__")] if name.endswith(".__init__") else name] = p
    return out


def imports(mods: dict[str, Path]):
    """(importer, imported, is_local) for every import of the package's own modules."""
    for name, path in mods.items():
        tree = ast.parse(path.read_text())
        is_pkg = path.name == "__init__.py"
        parents = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                parents[child] = node
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".")[: len(name.split(".")) - node.level + (1 if is_pkg else 0)]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                subs = [f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in mods]
                targets = subs or [mod]
            else:
                continue
            local, p = False, parents.get(node)
            while p is not None:
                if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    local = True
                p = parents.get(p)
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t.split(".")[0] == PKG and t != name:
                    yield name, t, local


def layer(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else ""


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in list(edges):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    mods = modules()
    edges = defaultdict(set)
    for a, b, _ in imports(mods):
        if b != PKG:  # the package root re-exports; it is not a layer
            edges[a].add(b)
    assert cycles(edges) == []


def test_lower_layers_never_import_upper_ones():
    bad = [(a, b) for a, b, _ in imports(modules()) if layer(a) in LOWER and layer(b) in UPPER]
    assert bad == []


def test_imports_of_own_modules_are_at_the_top():
    bad = [(a, b) for a, b, local in imports(modules()) if local and (a, b) not in LOCAL_OK]
    assert bad == [], "import these at module level, or add them to LOCAL_OK with the reason"


def test_the_checks_see_a_cycle_and_a_local_import(tmp_path):
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]
