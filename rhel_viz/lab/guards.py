"""Numerical and cost guards shared by every page that runs a simulation (no streamlit).

* **Stability**: the leapfrog is stable while h * omega_max < 2 (linear stability of Stormer-Verlet),
  omega_max from the *current* parameters (:func:`rhel_viz.core.systems.max_frequency`).
* **Finiteness**: every result is checked for NaN/Inf before it is drawn.
* **Round-off**: in float32 the two nudged echoes differ by about eps * |state|; below
  :data:`FLOAT32_MIN_RELATIVE_EPS` times the state's scale, round-off dominates the difference.
* **Cost**: the work of one interaction, in *oscillator-steps* (sequence length x oscillators x
  sequences x passes over the sequence), must stay under :data:`WORK_BUDGET`; checked before running.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import jax
import numpy as np

from rhel_viz.core.systems import Params, System, max_frequency
from rhel_viz.lab.rules import InvalidInput

#: The leapfrog is stable while h * omega_max < LEAPFROG_STABILITY_LIMIT (linear stability of Stormer-Verlet).
LEAPFROG_STABILITY_LIMIT = 2.0
#: In float32, warn when eps < FLOAT32_MIN_RELATIVE_EPS * (largest |q|, |p| of the forward run). From the
#: eps sweep (default problems, N = 200, centred): at eps / scale = 1e-3 the relative error against BPTT is
#: already 2e-3 to 5e-3 and it grows as 1/eps below (3e-2 to 3e-1 at 1e-5), while float64 stays below 1e-7
#: down to eps = 1e-8. The float32 optimum is eps ~ 1e-2 to 3e-2 (error ~1e-4), about (2^-23)^(1/3).
FLOAT32_MIN_RELATIVE_EPS = 1e-3
#: Most work per interaction, in oscillator-steps. The largest configuration the widgets offer is one
#: training update of the memory task (N = 4000, width 32, batch 16, 5 passes: 10.2 M), measured at 0.39 s
#: per update on two cores (after a 6.2 s compile), i.e. about 26 M oscillator-steps/s; anything larger
#: (command line, scripts) is refused before it runs, with what to reduce.
WORK_BUDGET = 12_000_000
#: Passes over the sequence per interaction (forward, echoes, BPTT backward, costates...).
PASSES = {
    "echo view": 5,  # forward, three echoes, energies
    "gradient lab": 10,  # forward (with its integrand) + three echoes, BPTT forward + backward, costates, readout
    "eps sweep": 144,  # BPTT reference (2) + 2 dtypes x (forward + 23 eps x (2 + 1) echoes for both estimators)
    "check": 9,  # RHEL (3), BPTT (2), free-echo trace (4)
    "training update": 5,  # per sequence: RHEL forward + two echoes, BPTT forward + backward
}


class OverBudget(InvalidInput):
    """An interaction that would cost more than :data:`WORK_BUDGET`; the message says what to reduce."""


@dataclass(frozen=True)
class Stability:
    """h * omega_max of the leapfrog (stable below 2)."""

    step_size: float
    max_frequency: float

    @property
    def value(self) -> float:
        return self.step_size * self.max_frequency

    @property
    def stable(self) -> bool:
        return bool(np.isfinite(self.value) and self.value < LEAPFROG_STABILITY_LIMIT)

    @property
    def limit(self) -> float:
        """The largest stable step size for these parameters."""
        return LEAPFROG_STABILITY_LIMIT / self.max_frequency if self.max_frequency > 0 else float("inf")

    def message(self) -> str:
        return (f"unstable step size: h·ω_max = {self.value:.3g} ≥ {LEAPFROG_STABILITY_LIMIT:g} "
                f"(h = {self.step_size:g}, ω_max = {self.max_frequency:.3g}); lower h below {self.limit:.3g}")


@partial(jax.jit, static_argnames=("system",))
def _max_frequency(system: System, params: Params) -> jax.Array:
    return max_frequency(system, params)


def stability(system: System, params: Params, step_size: float) -> Stability:
    """h * omega_max from the current parameters."""
    return Stability(float(step_size), float(_max_frequency(system, params)))


def finite(*trees: Any) -> bool:
    """True when every leaf of every PyTree is finite (NaN and Inf are not)."""
    return all(bool(np.all(np.isfinite(np.asarray(leaf)))) for tree in trees for leaf in jax.tree.leaves(tree))


def state_scale(*arrays: Any) -> float:
    """Largest |value| of the given arrays (1 when they are all zero or not finite)."""
    values = [float(np.nanmax(np.abs(np.asarray(a)))) for a in arrays if np.size(a)]
    scale = max(values, default=0.0)
    return scale if np.isfinite(scale) and scale > 0 else 1.0


def eps_too_small(dtype: str, eps: float, scale: float = 1.0) -> bool:
    """True when, in float32, eps is below the round-off floor for a state of size ``scale``."""
    return dtype == "float32" and eps < FLOAT32_MIN_RELATIVE_EPS * scale


def work(steps: int, width: int, sequences: int = 1, passes: int = 1) -> int:
    """Oscillator-steps of one interaction."""
    return int(steps) * int(width) * int(sequences) * int(passes)


def check_budget(kind: str, steps: int, width: int, sequences: int = 1) -> int:
    """Raise :class:`OverBudget` (before anything runs) if ``kind`` (a key of :data:`PASSES`) costs too much."""
    passes = PASSES[kind]
    cost = work(steps, width, sequences, passes)
    if cost > WORK_BUDGET:
        per_step = max(1, int(width) * int(sequences) * passes)
        batch = f" × {sequences} sequences" if sequences > 1 else ""
        raise OverBudget(
            f"this {kind} needs N = {steps} steps × {width} oscillators{batch} × {passes} passes = {cost:.3g} "
            f"oscillator-steps, over the budget of {WORK_BUDGET:.3g} per interaction: reduce N to at most "
            f"{WORK_BUDGET // per_step} or the width")
    return cost
