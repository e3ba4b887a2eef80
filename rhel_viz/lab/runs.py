"""What the page experiments share (no streamlit): how an echo is run, the entry guard, a problem's stability.

* The rules of the values that say how an echo is run: :data:`NUDGING` (with :data:`DEFAULT_EPS`, the
  nudging everywhere: pages, training, command line), :data:`FRICTION`, :data:`INTEGRATOR`,
  :data:`GRADIENT_POINT` and :data:`ESTIMATOR`. The configs holding these values declare their fields with
  them (:class:`rhel_viz.lab.gradient_lab.GradientLabSettings`, the training's ``Hyper``, the Deep page's
  ``AgreementSettings``).
* :func:`check_run`: the entry guard of every experiment, before anything runs: values in range
  (:class:`~rhel_viz.lab.rules.InvalidInput`), cost within budget (:class:`~rhel_viz.lab.guards.OverBudget`).
* :func:`run_length` and :func:`build_run_problem`: every run of N steps computes at one padded length
  (:data:`SEQUENCE_BUCKETS`), its steps beyond N switched off exactly, so every N shares one program.
* :func:`program`: the compiled program a run needs (what :mod:`rhel_viz.lab.costs` estimates).
* :func:`problem_stability`: h * omega_max of a config's initial parameters.
* :func:`to_numpy`: a PyTree of jax arrays as NumPy (results hold NumPy only).
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from rhel_viz.core.integrators import GRADIENT_POINTS, INTEGRATORS
from rhel_viz.core.problem import Problem, padded
from rhel_viz.core.rhel import ESTIMATORS
from rhel_viz.lab import costs, guards
from rhel_viz.lab.guards import Stability
from rhel_viz.lab.problems import ProblemConfig, build_problem
from rhel_viz.lab.rules import OneOf, Range, require

#: The nudging strength eps: its rule, and its default everywhere (pages, training, command line).
NUDGING = Range("nudging ε", 1e-12, 1.0)
DEFAULT_EPS = 1e-4
#: The friction gamma (any gamma > 0 breaks the echo), the integrator (only the reversible ones echo),
#: where dH/dtheta is read (half-step positions, or full steps to show what breaks) and the estimator.
FRICTION = Range("friction γ", 0.0, 1.0)
INTEGRATOR = OneOf("integrator", tuple(INTEGRATORS))
GRADIENT_POINT = OneOf("gradient point", GRADIENT_POINTS)
ESTIMATOR = OneOf("estimator", ESTIMATORS)
#: The sequence lengths the page experiments compile for (the Echo view, the Gradient lab, the eps sweep): a
#: run of N steps computes at the shortest of these that holds N, its steps beyond N switched off exactly
#: (:func:`rhel_viz.core.problem.padded`), and its results are cut back to N. One length covers every N the
#: pages offer (50..800): at 800 steps a compiled Echo view runs in about 15 ms and the Gradient lab in
#: about 30 ms on two cores, against 5 and 10 ms at 50 steps, while each new length would cost a compile
#: of 3 to 15 s.
SEQUENCE_BUCKETS: tuple[int, ...] = (800,)
#: The rules of :func:`check_run`'s values, in the order their messages are given.
RUN_RULES = {"eps": NUDGING, "damping": FRICTION, "integrator": INTEGRATOR, "gradient_point": GRADIENT_POINT,
             "estimator": ESTIMATOR}


def check_run(config: ProblemConfig, kind: str, *, eps: float | None, damping: float, integrator: str,
              estimator: str = "centred", gradient_point: str = "half") -> None:
    """The entry guard of every experiment: values in range (InvalidInput), then cost within budget (OverBudget).

    ``kind`` is a key of :data:`rhel_viz.lab.guards.PASSES`; ``eps=None``: a run that ignores eps (the sweep).
    """
    values = {"eps": eps, "damping": damping, "integrator": integrator, "gradient_point": gradient_point,
              "estimator": estimator}
    require(RUN_RULES, {name: value for name, value in values.items() if not (name == "eps" and value is None)})
    guards.check_budget(kind, config.steps, config.make_system().position_size)


def run_length(kind: str, config: ProblemConfig) -> int:
    """The number of steps a ``kind`` of run (a key of :data:`rhel_viz.lab.guards.PASSES`) on ``config``
    computes: the shortest of :data:`SEQUENCE_BUCKETS` that holds N, or N itself when no bucket does or the
    padded run would exceed the work budget (longer or wider runs than the pages offer: command line, scripts)."""
    width = config.make_system().position_size
    for length in sorted(SEQUENCE_BUCKETS):
        if length >= config.steps and guards.work(length, width, 1, guards.PASSES[kind]) <= guards.WORK_BUDGET:
            return length
    return config.steps


def build_run_problem(kind: str, config: ProblemConfig) -> Problem:
    """``config``'s problem padded to :func:`run_length` steps (results of its first N steps are the N-step ones)."""
    return padded(build_problem(config), run_length(kind, config))


def program(kind: str, config: ProblemConfig, *static: object) -> costs.Program:
    """The compiled program of a ``kind`` of run on ``config``: its shapes (the padded :func:`run_length`, not
    N) and dtype, plus the run's other static choices (the integrator). Values that are traced (N up to the
    padded length, eps, step size, masses, seed, the gradient point) are not part of it: changing them never
    compiles."""
    shape = (config.system, run_length(kind, config), config.dtype, config.n_masses, config.oscillators,
             config.input_size, config.output_size)
    return costs.Program(kind, (*shape, *static))


def problem_stability(config: ProblemConfig) -> Stability:
    """h * omega_max of the problem's initial parameters (checked before a page runs anything long)."""
    problem = build_problem(config)
    return guards.stability(problem.system, problem.params, config.step_size)


def to_numpy(tree: Any) -> Any:
    """Every leaf of a PyTree as a NumPy array (NamedTuples such as ``State`` keep their type)."""
    return jax.tree.map(np.asarray, tree)
