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



def _update_rate(task_name: str, method: str, updates: int = 10) -> float:
    """Warm updates per second of one method on one task's defaults (float64, eps 1e-4)."""
    import jax
    import jax.numpy as jnp

    from rhel_viz.tasks import TASKS, TaskSettings
    from rhel_viz.train import batch_at, init_state, update

    task = TASKS[task_name]
    state = init_state(TaskSettings(task=task_name, steps=task.step_choices[0]))
    data = state.data
    frozen = {key: leaf for key, leaf in data.params.items() if key not in data.trainable}
    batch, dtype = batch_at(data, 0), data.dataset.inputs.dtype
    eps, learning_rate = jnp.asarray(1e-4, dtype), jnp.asarray(task.learning_rate, dtype)

    def one_update() -> None:
        jax.block_until_ready(update(method, data.system, state.optimiser, state.params[method], frozen,
                                     state.opt_states[method], data.initial, batch, data.step_size, eps,
                                     learning_rate))

    one_update()  # compile
    return updates / timed(lambda: [one_update() for _ in range(updates)], repeats=3)["median_s"]


@register("training")
def training_updates_per_second() -> dict[str, Any]:
    """Updates per second of each task on its defaults, RHEL and BPTT side by side in one run."""
    from rhel_viz.tasks import TASKS
    from rhel_viz.train import METHODS

    return {f"{name} {method} updates/s": _update_rate(name, method) for name in TASKS for method in METHODS}
