"""Benchmarks: ``python -m rhel_viz bench [NAME ...] [--json]``. Timings live here, never in unit tests.

Each benchmark is a function registered by name that returns a JSON-able dict of measured figures
(and prints nothing itself); the command line prints them as a table or as JSON.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

BENCHMARKS: dict[str, Callable[[], dict[str, Any]]] = {}


def register(name: str) -> Callable[[Callable[[], dict[str, Any]]], Callable[[], dict[str, Any]]]:
    """Add a benchmark to the registry under ``name``."""

    def decorate(function: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
        BENCHMARKS[name] = function
        return function

    return decorate


def timed(function: Callable[[], Any], repeats: int = 7) -> dict[str, float]:
    """Median, min and max wall time of ``function()`` over ``repeats`` warm calls (it must block)."""
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return {"median_s": statistics.median(seconds), "min_s": min(seconds), "max_s": max(seconds)}


@register("scaling")
def scaling() -> dict[str, Any]:
    """Forward / RHEL / BPTT time and memory for one HRU layer and a 4-layer HSSM, 1k to 50k steps."""
    from rhel_viz.scaling import run_all

    return run_all()
