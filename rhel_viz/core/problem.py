"""What every gradient method shares: the problem it is given, the gradients it returns, one entry point.

The axes stay separate (DESIGN.md, "Three axes"): *what* evolves is the problem's system (a
Hamiltonian), *how* a step is taken is an :class:`~rhel_viz.core.integrators.Integrator`, and *how*
the gradient is obtained is a method object, :class:`~rhel_viz.core.rhel.RHEL` or
:class:`~rhel_viz.core.bptt.BPTT`, passed the way diffrax takes ``adjoint=``::

    gradients(problem, RHEL(eps=1e-4), integrator=LEAPFROG, damping=0.0)
    gradients(problem, BPTT(), integrator=LEAPFROG, damping=0.0)

Every method computes in the dtype of ``problem.data``; the step size, eps and friction are traced
scalars, so changing them never recompiles.

The sequence length N is part of every compiled program (it is the length of the scans). A :func:`padded`
problem runs N steps inside a longer scan, its steps beyond N switched off exactly, so problems of many
lengths share one program; :func:`unpadded_gradients` (and :func:`rhel_viz.core.rhel.unpadded_trace`)
give back the N-step results.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, TypeVar

import jax
import jax.numpy as jnp
import numpy as np

from rhel_viz.core.integrators import LEAPFROG, Integrator, State
from rhel_viz.core.systems import Params, System

Tree = TypeVar("Tree")


class Sequence(NamedTuple):
    """What one run sees: inputs u_1..u_N, targets y*_1..y*_N and per-step loss weights w_1..w_N."""

    inputs: jax.Array  # (N, input_size)
    targets: jax.Array  # (N, output_size)
    weights: jax.Array  # (N,)


class Problem(NamedTuple):
    """One run: a system, its parameters, an initial state, the data and the step size: a scalar h, or one
    h_t per step, shape (N,) (a padded problem's h_t = 0 switch its steps off, :func:`padded`).

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
    """The problem with its step size (h, or the per-step h_t) as a strongly typed array of the data's dtype
    (see :func:`scalars`)."""
    (step_size,) = scalars(problem.dtype, problem.step_size)
    return problem._replace(step_size=step_size)


def padded(problem: Problem, length: int) -> Problem:
    """The N-step ``problem`` run as ``length`` >= N steps whose steps N+1..length are switched off exactly.

    A switched-off step has step size h_t = 0, input u_t = 0, target 0 and loss weight w_t = 0. A step of
    size 0 is the identity for every integrator (each adds h times a rate to the state; friction scales by
    exp(-gamma h/2) = 1), its loss w_t l_t and its nudge eps w_t dl_t/dq are 0, and its RHEL integrand
    h dH/dtheta is 0 (spec b, S(eps)). So the forward run holds Phi_N after step N, the loss and BPTT's
    gradients are those of the N-step problem, and the echo first crosses the padding unchanged (E stays
    Sigma_z Phi_N), then runs the N-step echo: problems of every N <= ``length`` share one compiled
    program and give the N-step numbers (to round-off: they are bit for bit equal in practice). This holds
    while the state is finite: a run that overflows to inf before step N gets NaN from the padding
    (0 * inf), non-finite either way. Host-side (NumPy): call it outside jitted code.
    """
    steps = problem.data.inputs.shape[0]
    if length < steps:
        raise ValueError(f"cannot pad a problem of {steps} steps to {length}")
    extra = length - steps

    def with_zeros(leaf: jax.Array) -> jax.Array:
        leaf = np.asarray(leaf)
        return jnp.asarray(np.concatenate([leaf, np.zeros((extra, *leaf.shape[1:]), leaf.dtype)]))

    step_sizes = np.broadcast_to(np.asarray(problem.step_size, problem.dtype), (steps,))
    return problem._replace(data=jax.tree.map(with_zeros, problem.data), step_size=with_zeros(step_sizes))


def unpadded_gradients(gradients: Gradients, steps: int) -> Gradients:
    """The gradients of the first ``steps`` steps of a :func:`padded` problem: its input gradients of the
    switched-off steps dropped (parameter, initial-state gradients and loss are already the N-step ones).
    Plain indexing: NumPy leaves work too."""
    return gradients._replace(inputs=gradients.inputs[:steps])
