"""Echo = adjoint (spec a, "Equivalence with the continuous adjoint method"; teaching moment 8).

Two ways to get the costate lambda_t = dL/dPhi_t, the sensitivity of the loss to the state after
forward step t (t = 0..N, the loss l_t at that step included):

* :func:`bptt_costates`: the reference. A zero "state offset" delta_t is added to the state after
  every step of the forward scan, Phi_t = step(Phi_{t-1}) + delta_t, and ``jax.grad`` gives
  dL/d delta_t = lambda_t. This *is* backpropagation through time.
* :func:`echo_costates`: read from the two nudged echoes (:func:`rhel_viz.core.rhel.costate_from_echoes`),
  no differentiation through time:

      dL/dq_t = -(p^{e,+}_k - p^{e,-}_k) / (2 eps),   dL/dp_t = -(q^{e,+}_k - q^{e,-}_k) / (2 eps),

  with echo index k = N - t and E_k the echo state *after* its nudge -eps (0, g_t). The nudge of
  step t is exactly the term dl_t/dq_t that lambda_t contains, so the post-nudge state is the one
  that matches (for a reversible symplectic step the map holds at every k as eps -> 0, including
  k = 0, where E_0 = Sigma_z Phi_N - eps (0, g_N) and lambda_N = (g_N, 0); at finite eps the
  difference carries the O(eps^2) error and the 1/eps round-off of any centred difference).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from rhel_viz.core.integrators import LEAPFROG, Integrator, State, ensure_integrator, scanned_step_sizes, step_size_at
from rhel_viz.core.losses import step_loss
from rhel_viz.core.problem import Problem, cast, scalars, with_scalar_step
from rhel_viz.core.rhel import EchoTrace, costate_from_echoes


def _offset_loss(problem: Problem, damping: jax.Array, integrator: Integrator, offsets: State) -> jax.Array:
    """The trajectory loss with a state offset added after every step (offsets[0] to the initial state)."""
    system, params, initial, data, step_size = problem
    start = State(initial.position + offsets.position[0], initial.momentum + offsets.momentum[0])

    def body(carry: tuple[State, jax.Array], per_step_values: tuple[jax.Array, ...]):
        state, total = carry
        drive_input, target, weight, scanned_step_size, shift_position, shift_momentum = per_step_values
        step_size_t = step_size_at(step_size, scanned_step_size)
        state, _ = integrator.step(system, params, state, drive_input, step_size_t, damping)
        state = State(state.position + shift_position, state.momentum + shift_momentum)
        total = total + step_loss(system, params, state.position, drive_input, target, weight)
        return (state, total), None

    zero = jnp.zeros((), data.inputs.dtype)
    step_sizes = scanned_step_sizes(step_size, data.inputs.shape[0])
    xs = (data.inputs, data.targets, data.weights, step_sizes, offsets.position[1:], offsets.momentum[1:])
    (_, total), _ = jax.lax.scan(body, (start, zero), xs)
    return total


@partial(jax.jit, static_argnames=("integrator",))
def _bptt_costates(problem: Problem, damping: jax.Array, integrator: Integrator) -> State:
    problem, damping = cast((problem, damping), problem.dtype)
    steps = problem.data.inputs.shape[0]
    zeros = jnp.zeros((steps + 1,) + problem.initial.position.shape, problem.dtype)
    return jax.grad(partial(_offset_loss, problem, damping, integrator))(State(zeros, zeros))


def bptt_costates(problem: Problem, *, integrator: Integrator = LEAPFROG, damping: jax.Array | float = 0.0) -> State:
    """BPTT adjoint lambda_t = (dL/dq_t, dL/dp_t) for t = 0..N, shape (N+1, n) each, by ``jax.grad``."""
    ensure_integrator(integrator)
    (damping,) = scalars(problem.dtype, damping)
    return _bptt_costates(with_scalar_step(problem), damping, integrator)


def echo_costates(trace: EchoTrace, eps: jax.Array | float) -> State:
    """The adjoint read from the echoes (spec a): lambda_t = J Sigma_z (E^+_{N-t} - E^-_{N-t}) / (2 eps).

    Returned in forward time t = 0..N, shape (N+1, n) each, to be compared with :func:`bptt_costates`.
    """
    plus = jax.tree.map(lambda leaf: leaf[1], trace.echoes)
    minus = jax.tree.map(lambda leaf: leaf[2], trace.echoes)
    (eps,) = scalars(plus.position.dtype, eps)
    costates = costate_from_echoes(plus, minus, eps)  # echo order k
    return jax.tree.map(lambda leaf: leaf[::-1], costates)  # forward time t = N - k
