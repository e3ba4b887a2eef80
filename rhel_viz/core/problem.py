"""What every gradient method shares: the problem it is given, the gradients it returns, one entry point.

The axes stay separate (DESIGN.md, "Three axes"): *what* evolves is the problem's system (a
Hamiltonian), *how* a step is taken is an :class:`~rhel_viz.core.integrators.Integrator`, and *how*
the gradient is obtained is a method object, :class:`~rhel_viz.core.rhel.RHEL` or
:class:`~rhel_viz.core.bptt.BPTT`, passed the way diffrax takes ``adjoint=``::

    gradients(problem, RHEL(eps=1e-4), integrator=LEAPFROG, damping=0.0)
    gradients(problem, BPTT(), integrator=LEAPFROG, damping=0.0)

Every method computes in the dtype of ``problem.data``; the step size, eps and friction are traced
scalars, so changing them never recompiles.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, TypeVar

import jax
import jax.numpy as jnp

from rhel_viz.core.integrators import LEAPFROG, Integrator, State
from rhel_viz.core.systems import Params, System

Tree = TypeVar("Tree")


class Sequence(NamedTuple):
    """What one run sees: inputs u_1..u_N, targets y*_1..y*_N and per-step loss weights w_1..w_N."""

    inputs: jax.Array  # (N, input_size)
    targets: jax.Array  # (N, output_size)
    weights: jax.Array  # (N,)


class Problem(NamedTuple):
    """One run: a system, its parameters, an initial state, the data and the step size h.

    A pytree whose leaves are the arrays: the system (static facts, hashable) is not a leaf but part
    of the tree structure, so a Problem can be handed to a jitted function as it is; new values never
    recompile, a new system does.
    """

    system: System
    params: Params
    initial: State
    data: Sequence
    step_size: jax.Array

    @property
    def dtype(self) -> Any:
        """The dtype every method computes in: that of the data."""
        return self.data.inputs.dtype


jax.tree_util.register_pytree_node(
    Problem,
    lambda problem: ((problem.params, problem.initial, problem.data, problem.step_size), problem.system),
    lambda system, children: Problem(system, *children),
)


class Gradients(NamedTuple):
    """The loss and its gradients with respect to parameters, inputs and the initial state."""

    loss: jax.Array
    params: Params
    inputs: jax.Array  # (N, input_size)
    initial_state: State


class GradientMethod(Protocol):
    """How a gradient is obtained: :class:`~rhel_viz.core.rhel.RHEL` or :class:`~rhel_viz.core.bptt.BPTT`."""

    def gradients(self, problem: Problem, *, integrator: Integrator = LEAPFROG,
                  damping: jax.Array | float = 0.0) -> Gradients: ...


def gradients(problem: Problem, method: GradientMethod, *, integrator: Integrator = LEAPFROG,
              damping: jax.Array | float = 0.0) -> Gradients:
    """dL/dtheta, dL/du_t and dL/dPhi_0 of the discrete loss (spec b) by ``method``, stepping with ``integrator``.

    ``damping`` is the friction gamma (it breaks the echo, spec f moment 6, but not BPTT).
    """
    return method.gradients(problem, integrator=integrator, damping=damping)


def scalars(dtype: Any, *values: jax.Array | float) -> tuple[jax.Array, ...]:
    """Scalars as strongly typed arrays of ``dtype``, so that a Python float and an array give the same
    traced signature: changing a value never recompiles."""
    return tuple(jnp.asarray(value, dtype) for value in values)


def cast(tree: Tree, dtype: Any) -> Tree:
    """Every leaf of ``tree`` as an array of ``dtype`` (a Problem keeps its system)."""
    return jax.tree.map(lambda leaf: jnp.asarray(leaf).astype(dtype), tree)


def with_scalar_step(problem: Problem) -> Problem:
    """The problem with its step size as a strongly typed array of the data's dtype (see :func:`scalars`)."""
    (step_size,) = scalars(problem.dtype, problem.step_size)
    return problem._replace(step_size=step_size)
