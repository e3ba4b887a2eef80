"""The package's shape: no import cycles, no global JAX switch on import (the layers: ``.importlinter``)."""

from __future__ import annotations

import subprocess
import sys

import grimp

from tests.helpers import ROOT


def _cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm), as sorted lists."""
    modules = sorted(graph.modules)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if not imported.startswith(package):
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in modules:
        if module not in index:
            visit(module)
    return groups


def test_cycle_finder_finds_a_cycle():
    """The finder itself can fail: two modules importing each other form one group."""

    class Fake:
        modules = {"p.a", "p.b", "p.c"}

        def find_modules_directly_imported_by(self, module):
            return {"p.a": {"p.b"}, "p.b": {"p.a"}, "p.c": {"p.a"}}[module]

    assert _cycles(Fake(), "p") == [["p.a", "p.b"]]


def test_no_import_cycles_in_the_package():
    graph = grimp.build_graph("rhel_viz")
    assert _cycles(graph, "rhel_viz") == []


def test_importing_the_package_leaves_float64_off():
    code = ("import jax; before = jax.config.jax_enable_x64; "
            "import rhel_viz, rhel_viz.lab.echo, rhel_viz.lab.gradient_lab, rhel_viz.plots.echo, rhel_viz.cli, "
            "rhel_viz.export; "
            "assert jax.config.jax_enable_x64 == before == False, 'importing rhel_viz changed jax_enable_x64'")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
