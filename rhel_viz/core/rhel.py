"""Recurrent Hamiltonian Echo Learning: gradients from the difference of two nudged echoes.

The recipe of spec b, in three passes and no stored trajectory:

1. *Forward*: run Phi_0 -> Phi_N on u_1..u_N. Only Phi_N is kept (plus the loss, and the local
   gradients of the readout, which sit outside the Hamiltonian).
2. *Flip*: E_0 = Sigma_z Phi_N - eps (0, g_N): every momentum flipped, then the final-step nudge.
3. *Echo*: E_k = step(E_{k-1}; u_{N-k+1}) - eps (0, g_{N-k}) for k = 1..N (no nudge after the
   last step). The echo feels the loss as a force -eps dl/dq at the mirror image of each step.
   Two echoes, +eps and -eps, run side by side in one ``vmap``.

Along each echo we add up the step integrands h dH/dtheta (read at the half-step positions where
the force was evaluated, spec b). The gradient is their difference:

    dL/dtheta ~= [S(+eps) - S(-eps)] / (2 eps)       (centred, error O(eps^2))
    dL/dtheta ~= [S(+eps) - S_forward] / eps         (one-sided, error O(eps))

and the input gradient at step t is the same difference of h dH/du at echo step k = N - t + 1.

!!! warning
    RHEL equals BPTT only up to that truncation error *plus round-off*: the finite difference
    cancels digits, so its round-off grows as 1/eps (spec f, moment 4; in float64 the best eps is
    about 1e-4, error about 1e-10). And only for a reversible integrator without friction: at
    eps = 0 the echo then retraces the forward run, E_k = Sigma_z Phi_{N-k} to round-off; Euler,
    RK4 or gamma > 0 leave a bias that no eps removes.

The initial-state gradient is read off the end of the echo (spec a, "echo = adjoint"):
dL/dq_0 = -d(p^e_N)/d eps and dL/dp_0 = -d(q^e_N)/d eps (:func:`costate_from_echoes`).

Nothing here differentiates through time: ``jax.grad`` only takes *local* partial derivatives of
the energy and of the per-step loss at a fixed state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from rhel_viz.core.integrators import (
    LEAPFROG,
    GradientPoint,
    Integrator,
    State,
    check_gradient_point,
    ensure_integrator,
    flip,
    reads_at_half,
    scanned_step_sizes,
    step_integrand,
    step_integrand_difference,
    step_size_at,
)
from rhel_viz.core.losses import nudge_force, step_loss
from rhel_viz.core.problem import Gradients, Problem, cast, scalars, unpadded_gradients, with_scalar_step
from rhel_viz.core.systems import Params, System

ESTIMATORS: tuple[str, ...] = ("centred", "one-sided")

@dataclass(frozen=True)
class RHEL:
    """The gradient method of spec b: two nudged echoes (``estimator="centred"``, error O(eps^2)) or one
    echo against the forward pass (``"one-sided"``, error O(eps)); dH/dtheta read at ``gradient_point``.

    A pytree: ``eps`` is its leaf (traced, so changing it never recompiles), ``estimator`` and
    ``gradient_point`` are static (each selects a program). Use with :func:`rhel_viz.core.problem.gradients`.
    """

    eps: jax.Array | float = 1e-4
    estimator: str = "centred"
    gradient_point: str = "half"

    def __post_init__(self) -> None:
        if self.estimator not in ESTIMATORS:
            raise ValueError(f"unknown estimator {self.estimator!r}; choose one of {list(ESTIMATORS)}")
        check_gradient_point(self.gradient_point)

    def gradients(self, problem: Problem, *, integrator: Integrator = LEAPFROG,
                  damping: jax.Array | float = 0.0) -> Gradients:
        """RHEL gradients of the loss (spec b); the loss itself comes from the forward pass.

        Centred: memory does not grow with N beyond the inputs and the input-gradient buffer the
        echo pair adds into. One-sided: no initial-state gradient (returned as NaN), and it keeps
        two N-long buffers of h dH/du (the forward pass's and the echo's) to difference them.
        """
        ensure_integrator(integrator)
        eps, damping = scalars(problem.dtype, self.eps, damping)
        return _rhel_gradients(with_scalar_step(problem), eps, damping, self.gradient_point, integrator,
                               self.estimator)


jax.tree_util.register_dataclass(RHEL, data_fields=["eps"], meta_fields=["estimator", "gradient_point"])


class EchoTrace(NamedTuple):
    """Everything a plot needs: the forward run and the echoes at eps = 0, +eps, -eps.

    Echo arrays have a leading axis of 3 in that order; echo index k mirrors forward step N - k.
    ``gradients`` is the centred estimate, ``one_sided`` the one-sided one from the same +eps echo and the
    forward pass (no initial-state gradient: NaN).
    """

    gradients: Gradients
    one_sided: Gradients
    forward: State  # (N+1, n) each
    echoes: State  # (3, N+1, n) each
    echo_param_integrand: Params  # (3, N, ...) per echo step, h dH/dtheta
    echo_input_integrand: jax.Array  # (3, N, input_size) per echo step, h dH/du
    forward_step_loss: jax.Array  # (N,) l_t along the forward run


def unpadded_trace(trace: EchoTrace, steps: int) -> EchoTrace:
    """The trace of the first ``steps`` steps of a padded problem (:func:`rhel_viz.core.problem.padded`).

    Plain indexing, so it works on NumPy leaves too (``jax.tree.map(np.asarray, trace)`` first). Forward
    arrays keep their first entries; echo arrays (echo order) their last, because the echo of a padded run
    first crosses the switched-off steps (identities without nudges) and only then mirrors steps N..1.
    """
    length = trace.forward_step_loss.shape[0]
    skipped = length - steps  # echo steps over the padding, at the start of the echo

    def echo_tail(leaf):
        return leaf[:, skipped:]

    return EchoTrace(
        gradients=unpadded_gradients(trace.gradients, steps),
        one_sided=unpadded_gradients(trace.one_sided, steps),
        forward=jax.tree.map(lambda leaf: leaf[:steps + 1], trace.forward),
        echoes=jax.tree.map(echo_tail, trace.echoes),
        echo_param_integrand=jax.tree.map(echo_tail, trace.echo_param_integrand),
        echo_input_integrand=echo_tail(trace.echo_input_integrand),
        forward_step_loss=trace.forward_step_loss[:steps],
    )


class _ForwardPass(NamedTuple):
    final_state: State
    loss: jax.Array
    readout_param_grads: Params
    readout_input_grads: jax.Array  # (N, input_size)
    param_integrand_sum: Params | None  # S_forward, for the one-sided estimator
    input_integrand: jax.Array | None  # (N, input_size)
    trajectory: State | None
    step_losses: jax.Array | None


class Echo(NamedTuple):
    """One echo's results: its end state, S(eps), and the per-step h dH/du in forward-time order."""

    final_state: State
    param_integrand_sum: Params
    input_integrand: jax.Array  # (N, input_size), in forward-time order
    trajectory: State | None
    param_integrand: Params | None


def _forward(problem: Problem, integrator: Integrator, damping: jax.Array, gradient_point: GradientPoint,
             with_integrand: bool, with_trajectory: bool) -> _ForwardPass:
    """The forward pass: final state, loss and the local readout gradients.

    The carry is O(1); what grows with N are the per-step outputs: the readout's input gradients
    (N, input_size) always, the per-step h dH/du with ``with_integrand`` (one-sided estimator), and
    the states and losses with ``with_trajectory`` (plots).
    """
    system, params, initial, data, step_size = problem
    zero_params = jax.tree.map(jnp.zeros_like, params)
    readout_grad = jax.value_and_grad(step_loss, argnums=(1, 3))

    def body(carry, per_step_values):
        state, loss, readout_sum, integrand_sum = carry
        drive_input, target, weight, scanned_step_size = per_step_values
        step_size_t = step_size_at(step_size, scanned_step_size)
        new_state, force_position = integrator.step(system, params, state, drive_input, step_size_t, damping)
        loss_t, (param_grad, input_grad) = readout_grad(system, params, new_state.position, drive_input, target, weight)
        readout_sum = jax.tree.map(jnp.add, readout_sum, param_grad)
        outputs = {"readout_input": input_grad}
        if with_integrand:
            param_part, input_part = step_integrand(system, params, state, new_state, force_position, drive_input,
                                                    step_size_t, integrator, gradient_point)
            integrand_sum = jax.tree.map(jnp.add, integrand_sum, param_part)
            outputs["input_integrand"] = input_part
        if with_trajectory:
            outputs["state"] = new_state
            outputs["loss"] = loss_t
        return (new_state, loss + loss_t, readout_sum, integrand_sum), outputs

    zero = jnp.zeros((), data.inputs.dtype)
    carry = (initial, zero, zero_params, zero_params)
    step_sizes = scanned_step_sizes(step_size, data.inputs.shape[0])
    (final_state, loss, readout_sum, integrand_sum), outputs = jax.lax.scan(
        body, carry, (data.inputs, data.targets, data.weights, step_sizes))
    trajectory = None
    if with_trajectory:
        trajectory = jax.tree.map(lambda first, rest: jnp.concatenate([first[None], rest]), initial, outputs["state"])
    return _ForwardPass(
        final_state=final_state,
        loss=loss,
        readout_param_grads=readout_sum,
        readout_input_grads=outputs["readout_input"],
        param_integrand_sum=integrand_sum if with_integrand else None,
        input_integrand=outputs.get("input_integrand"),
        trajectory=trajectory,
        step_losses=outputs.get("loss"),
    )


NudgeRule = Callable[[jax.Array, jax.Array, Any], jax.Array]


def loss_nudge(system: System, params: Params) -> NudgeRule:
    """The nudge of the readout loss: g_t = dl_t/dq at the echo position, from (targets, weights)."""

    def rule(position: jax.Array, drive_input: jax.Array, target_and_weight: tuple[jax.Array, jax.Array]):
        target, weight = target_and_weight
        return nudge_force(system, params, position, drive_input, target, weight)

    return rule


def cotangent_nudge(position: jax.Array, drive_input: jax.Array, cotangent: jax.Array) -> jax.Array:
    """The nudge of a linear loss sum_t cotangent_t . q_t: g_t is the incoming cotangent itself
    (used when an HRU sits inside a larger model, spec c, Algorithm 1)."""
    return cotangent


def _echo_step(system: System, params: Params, state: State, drive_input: jax.Array, loss_data: Any,
               nudge_rule: NudgeRule, step_size: jax.Array, damping: jax.Array, eps: jax.Array,
               integrator: Integrator) -> tuple[State, State, jax.Array]:
    """One echo iteration: nudge with the loss of this forward step, then step with its input.

    Returns (nudged state, new state, force-evaluation position); the one body that both
    :func:`echo` and :func:`echo_pair` scan.
    """
    g = nudge_rule(state.position, drive_input, loss_data)
    nudged = State(state.position, state.momentum - eps * g)
    new_state, force_position = integrator.step(system, params, nudged, drive_input, step_size, damping)
    return nudged, new_state, force_position


def echo(system: System, params: Params, final_state: State, inputs: jax.Array, nudge_data: Any,
         nudge_rule: NudgeRule, step_size: jax.Array, damping: jax.Array, eps: jax.Array, integrator: Integrator,
         gradient_point: GradientPoint = "half", with_trajectory: bool = False) -> Echo:
    """One nudged echo from the flipped final state, with the index alignment of spec b.

    ``nudge_data`` holds per-step loss data (leading axis N) and ``nudge_rule(q, u_t, data_t)``
    turns it into the loss gradient g_t. The scan runs over the data backwards (``reverse=True``),
    so nothing is copied or reversed: iteration j first nudges with the loss of forward step
    t = j + 1 (the nudge that follows echo step N - j - 1, or the first nudge g_N of E_0), then
    steps with u_{j+1} and h_{j+1} (``step_size``: h, or one h_t per step). Per-step outputs come out in
    forward-time order.
    """
    zero_params = jax.tree.map(jnp.zeros_like, params)

    def body(carry, per_step_values):
        state, integrand_sum = carry
        drive_input, loss_data, scanned_step_size = per_step_values
        step_size_t = step_size_at(step_size, scanned_step_size)
        state, new_state, force_position = _echo_step(system, params, state, drive_input, loss_data, nudge_rule,
                                                      step_size_t, damping, eps, integrator)
        param_part, input_part = step_integrand(system, params, state, new_state, force_position, drive_input,
                                                step_size_t, integrator, gradient_point)
        integrand_sum = jax.tree.map(jnp.add, integrand_sum, param_part)
        outputs = {"input_integrand": input_part}
        if with_trajectory:
            outputs["nudged_state"] = state
            outputs["param_integrand"] = param_part
        return (new_state, integrand_sum), outputs

    xs = (inputs, nudge_data, scanned_step_sizes(step_size, inputs.shape[0]))
    (end, integrand_sum), outputs = jax.lax.scan(body, (flip(final_state), zero_params), xs, reverse=True)
    trajectory = param_integrand = None
    if with_trajectory:  # echo order: E_0 (flipped and nudged), ..., E_N
        trajectory = jax.tree.map(lambda before, last: jnp.concatenate([before[::-1], last[None]]),
                                  outputs["nudged_state"], end)
        param_integrand = jax.tree.map(lambda leaf: leaf[::-1], outputs["param_integrand"])
    return Echo(end, integrand_sum, outputs["input_integrand"], trajectory, param_integrand)


class EchoPair(NamedTuple):
    """The centred RHEL estimate from the +eps and -eps echoes, run side by side in one scan."""

    final_states: State  # (2, n) each: the ends of the +eps and -eps echoes
    param_gradients: Params  # [S(+eps) - S(-eps)] / (2 eps)
    input_gradients: jax.Array  # (N, input_size): the given buffer plus the per-step centred differences


def echo_pair(system: System, params: Params, final_state: State, inputs: jax.Array, nudge_data: Any,
              nudge_rule: NudgeRule, step_size: jax.Array, damping: jax.Array, eps: jax.Array,
              integrator: Integrator, gradient_point: GradientPoint = "half",
              input_gradients: jax.Array | None = None) -> EchoPair:
    """The +eps and -eps echoes in ONE scan whose body steps both (``vmap`` over the pair): spec b.

    Memory is what makes RHEL worth having (spec f, teaching moment 7), so nothing per step is kept
    for either echo: the parameter difference is accumulated in the carry, and the input
    difference h [dH/du(+) - dH/du(-)] / (2 eps) of step t is *added in place* to row t of
    ``input_gradients`` (carried through the loop; pass the readout's own input gradients, or
    None for zeros). The only array that grows with N is that buffer, which is an output anyway.
    """
    steps = inputs.shape[0]
    scale = 0.5 / eps
    pair_eps = jnp.stack([eps, -eps])
    start = jax.tree.map(lambda leaf: jnp.stack([leaf, leaf]), flip(final_state))
    if input_gradients is None:
        input_gradients = jnp.zeros_like(inputs)
    zero_params = jax.tree.map(jnp.zeros_like, params)

    def body(carry, per_step_values):
        states, param_sum, input_buffer, row = carry
        drive_input, loss_data, scanned_step_size = per_step_values
        step_size_t = step_size_at(step_size, scanned_step_size)
        nudged, new_states, force_positions = jax.vmap(
            lambda state, pair_e: _echo_step(system, params, state, drive_input, loss_data, nudge_rule, step_size_t,
                                             damping, pair_e, integrator))(states, pair_eps)
        param_diff, input_diff = step_integrand_difference(system, params, nudged, new_states, force_positions,
                                                           drive_input, step_size_t, integrator, gradient_point)
        param_sum = jax.tree.map(jnp.add, param_sum, param_diff)
        updated_row = input_buffer[row] + scale * input_diff
        input_buffer = jax.lax.dynamic_update_index_in_dim(input_buffer, updated_row, row, axis=0)
        return (new_states, param_sum, input_buffer, row - 1), None

    carry = (start, zero_params, input_gradients, jnp.asarray(steps - 1, jnp.int32))
    xs = (inputs, nudge_data, scanned_step_sizes(step_size, steps))
    (ends, param_sum, input_buffer, _), _ = jax.lax.scan(body, carry, xs, reverse=True)
    param_gradients = jax.tree.map(lambda leaf: scale * leaf, param_sum)
    return EchoPair(ends, param_gradients, input_buffer)


def costate_from_echoes(plus: State, minus: State, eps: jax.Array) -> State:
    """The adjoint read from the +eps and -eps echoes (spec a, "echo = adjoint"): lambda = J Sigma_z (E+ - E-)/(2 eps),

        dL/dq = -(p+ - p-) / (2 eps),   dL/dp = -(q+ - q-) / (2 eps),

    for echo states at the same echo step (after its nudge); at the end of the echo, the
    initial-state gradient dL/dPhi_0.
    """
    scale = 0.5 / eps
    return State(position=-(plus.momentum - minus.momentum) * scale,
                 momentum=-(plus.position - minus.position) * scale)


def _loss_echo(problem: Problem, final_state: State, damping: jax.Array, eps: jax.Array, integrator: Integrator,
               gradient_point: GradientPoint, with_trajectory: bool) -> Echo:
    """One echo of the problem's own readout loss (its nudges g_t = dl_t/dq)."""
    system, params, _, data, step_size = problem
    return echo(system, params, final_state, data.inputs, (data.targets, data.weights), loss_nudge(system, params),
                step_size, damping, eps, integrator, gradient_point, with_trajectory=with_trajectory)


def _one_sided(forward: _ForwardPass, plus: Echo, eps: jax.Array) -> Gradients:
    """[S(+eps) - S_forward] / eps (error O(eps)) from a forward pass run ``with_integrand``; no initial-state
    gradient (NaN)."""
    scale = 1.0 / eps
    param_diff = jax.tree.map(jnp.subtract, plus.param_integrand_sum, forward.param_integrand_sum)
    params = jax.tree.map(lambda readout, diff: readout + scale * diff, forward.readout_param_grads, param_diff)
    inputs = forward.readout_input_grads + scale * (plus.input_integrand - forward.input_integrand)
    nan = jax.tree.map(lambda leaf: jnp.full_like(leaf, jnp.nan), forward.final_state)
    return Gradients(forward.loss, params, inputs, nan)


def _one_sided_gradients(problem: Problem, eps: jax.Array, damping: jax.Array, integrator: Integrator,
                         gradient_point: GradientPoint) -> Gradients:
    """One-sided RHEL: the forward pass with its integrand, then one echo at +eps."""
    forward = _forward(problem, integrator, damping, gradient_point, with_integrand=True, with_trajectory=False)
    plus = _loss_echo(problem, forward.final_state, damping, eps, integrator, gradient_point, with_trajectory=False)
    return _one_sided(forward, plus, eps)


def _centred_gradients(problem: Problem, eps: jax.Array, damping: jax.Array, integrator: Integrator,
                       gradient_point: GradientPoint) -> Gradients:
    """Centred RHEL from the paired echo; the readout's input gradients are the buffer it adds into."""
    system, params, _, data, step_size = problem
    forward = _forward(problem, integrator, damping, gradient_point, with_integrand=False, with_trajectory=False)
    pair = echo_pair(system, params, forward.final_state, data.inputs, (data.targets, data.weights),
                     loss_nudge(system, params), step_size, damping, eps, integrator, gradient_point,
                     input_gradients=forward.readout_input_grads)
    ends = pair.final_states
    initial_state = costate_from_echoes(jax.tree.map(lambda leaf: leaf[0], ends),
                                        jax.tree.map(lambda leaf: leaf[1], ends), eps)
    params_grad = jax.tree.map(jnp.add, forward.readout_param_grads, pair.param_gradients)
    return Gradients(forward.loss, params_grad, pair.input_gradients, initial_state)


def rhel_estimate(problem: Problem, eps: jax.Array, damping: jax.Array, gradient_point: GradientPoint,
                  integrator: Integrator, estimator: str) -> Gradients:
    """The body of :meth:`RHEL.gradients`, not jitted, for callers that jit and batch it themselves: the eps
    sweep vmaps it over eps, with the gradient point as a traced boolean
    (:func:`~rhel_viz.core.integrators.reads_at_half`) so that both readings share its program.

    :meth:`RHEL.gradients` passes the gradient point's name, a compile-time constant: XLA then fuses the
    step integrand as it always did, and the library's numbers stay bit for bit what they were (a traced
    choice moves RHEL at the round-off level, ~1e-11 relative at eps = 1e-4).
    """
    problem, eps, damping = cast((problem, eps, damping), problem.dtype)
    estimate = _one_sided_gradients if estimator == "one-sided" else _centred_gradients
    return estimate(problem, eps, damping, integrator, gradient_point)


_rhel_gradients = jax.jit(rhel_estimate, static_argnames=("gradient_point", "integrator", "estimator"))


def rhel_gradients(problem: Problem, eps: jax.Array | float, *, integrator: Integrator = LEAPFROG,
                   damping: jax.Array | float = 0.0, estimator: str = "centred",
                   gradient_point: str = "half") -> Gradients:
    """``gradients(problem, RHEL(eps, estimator, gradient_point), ...)``: see :meth:`RHEL.gradients`."""
    return RHEL(eps, estimator, gradient_point).gradients(problem, integrator=integrator, damping=damping)


@partial(jax.jit, static_argnames=("integrator",))
def _rhel_trace(problem: Problem, eps: jax.Array, damping: jax.Array, read_at_half: jax.Array,
                integrator: Integrator) -> EchoTrace:
    problem, eps, damping = cast((problem, eps, damping), problem.dtype)
    forward = _forward(problem, integrator, damping, read_at_half, with_integrand=True, with_trajectory=True)
    eps_values = jnp.stack([jnp.zeros_like(eps), eps, -eps])
    echoes = jax.vmap(lambda e: _loss_echo(problem, forward.final_state, damping, e, integrator, read_at_half,
                                           with_trajectory=True))(eps_values)
    plus = jax.tree.map(lambda leaf: leaf[1], echoes)
    minus = jax.tree.map(lambda leaf: leaf[2], echoes)
    scale = 0.5 / eps
    param_diff = jax.tree.map(jnp.subtract, plus.param_integrand_sum, minus.param_integrand_sum)
    params = jax.tree.map(lambda readout, diff: readout + scale * diff, forward.readout_param_grads, param_diff)
    inputs = forward.readout_input_grads + scale * (plus.input_integrand - minus.input_integrand)
    initial_state = costate_from_echoes(plus.final_state, minus.final_state, eps)
    return EchoTrace(
        gradients=Gradients(forward.loss, params, inputs, initial_state),
        one_sided=_one_sided(forward, plus, eps),
        forward=forward.trajectory,
        echoes=echoes.trajectory,
        echo_param_integrand=echoes.param_integrand,
        echo_input_integrand=echoes.input_integrand[:, ::-1],
        forward_step_loss=forward.step_losses,
    )


def rhel_trace(problem: Problem, eps: jax.Array | float, *, integrator: Integrator = LEAPFROG,
               damping: jax.Array | float = 0.0, gradient_point: str = "half") -> EchoTrace:
    """Both RHEL estimators plus the trajectories for plots: forward, echo at 0, +eps and -eps (O(N) memory).

    The same gradients as ``RHEL(eps, estimator).gradients`` up to round-off (the three echoes run as
    separate scans here, not as one paired scan). The gradient point is traced: "half" and "full" share
    one compiled program.
    """
    ensure_integrator(integrator)
    eps, damping = scalars(problem.dtype, eps, damping)
    return _rhel_trace(with_scalar_step(problem), eps, damping, reads_at_half(gradient_point), integrator)


def echo_retrace_error(trace: EchoTrace) -> jax.Array:
    """max |E_k - Sigma_z Phi_{N-k}| over the eps = 0 echo: zero (to round-off) for a reversible step."""
    free_echo = jax.tree.map(lambda leaf: leaf[0], trace.echoes)
    mirrored = flip(jax.tree.map(lambda leaf: leaf[::-1], trace.forward))
    return jnp.max(jnp.stack([jnp.max(jnp.abs(a - b)) for a, b in zip(free_echo, mirrored, strict=True)]))
