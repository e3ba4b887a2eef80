"""Hamiltonian SSMs: stacks of HRU layers, with RHEL as the backward pass of each HRU (spec c).

Architecture (spec c): a linear encoder to width H, then L blocks

    h <- h + GLU(GELU(C q(LayerNorm(h)) + D * LayerNorm(h)))

where q is the position sequence of an HRU layer (P oscillators driven by B x_t), and a head
(mean over time, then linear: softmax cross-entropy for classification or squared error for
regression). We use LayerNorm instead of the paper's BatchNorm so that one sequence is a complete,
deterministic example (no batch statistics).

RHEL enters *only* as the backward rule of each HRU layer (:func:`hru_positions_rhel`): a
``jax.custom_vjp`` whose forward rule calls the plain forward :func:`hru_positions`, keeps the
final state as the only residual, and whose backward rule runs the two nudged echoes with the
incoming cotangent dL/dq_t as the nudge. The input cotangent it returns is what nudges the echo of
the layer below once autodiff has carried it through the block's non-Hamiltonian maps
(Algorithm 1). Everything outside the HRUs goes through ordinary autodiff.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from rhel_viz.core.integrators import LEAPFROG, State
from rhel_viz.core.rhel import cotangent_nudge, echo_pair
from rhel_viz.core.systems import LinearHRU, NonlinearHRU, Params

HAMILTONIAN_KEYS = {"linear": ("A", "B"), "nonlinear": ("W", "b", "c", "alpha", "B")}
HEADS = ("classification", "regression")
MAX_DEPTH = 16  # most stacked layers a config may ask for
MAX_SIZE = 256  # widest hidden / oscillator / data / output size


@dataclass(frozen=True)
class HSSMConfig:
    """Static shape of an HSSM (what changing recompiles)."""

    layer: str = "linear"
    depth: int = 4
    hidden: int = 16
    oscillators: int = 16
    data_size: int = 3
    output_size: int = 4
    head: str = "classification"

    def __post_init__(self) -> None:
        """Names from their lists, sizes from 1 to :data:`MAX_SIZE` (depth to :data:`MAX_DEPTH`).

        A ValueError names the field and what is allowed."""
        if self.layer not in HAMILTONIAN_KEYS:
            raise ValueError(f"HRU layer = {self.layer!r} is not one of: {', '.join(HAMILTONIAN_KEYS)}")
        if self.head not in HEADS:
            raise ValueError(f"head = {self.head!r} is not one of: {', '.join(HEADS)}")
        for name, high in (("depth", MAX_DEPTH), ("hidden", MAX_SIZE), ("oscillators", MAX_SIZE),
                           ("data_size", MAX_SIZE), ("output_size", MAX_SIZE)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
                raise ValueError(f"{name.replace('_', ' ')} = {value!r} is not an integer from 1 to {high}")

    def hru(self) -> LinearHRU | NonlinearHRU:
        factory = LinearHRU if self.layer == "linear" else NonlinearHRU
        return factory(oscillators=self.oscillators, input_size=self.hidden, output_size=self.hidden)


def init_hssm(config: HSSMConfig, seed: int = 0) -> dict[str, Any]:
    """Parameters as a PyTree of NumPy float64 arrays (cast to the run's dtype by the caller)."""
    rng = np.random.default_rng(seed)
    hidden = config.hidden

    def dense(out_size: int, in_size: int) -> dict[str, np.ndarray]:
        return {"W": rng.normal(0.0, 1.0 / np.sqrt(in_size), (out_size, in_size)), "b": np.zeros(out_size)}

    blocks = []
    for layer_index in range(config.depth):
        hru_params = config.hru().default_params(seed * 1000 + layer_index + 1)
        blocks.append({
            "norm": {"scale": np.ones(hidden), "bias": np.zeros(hidden)},
            "hamiltonian": {key: hru_params[key] for key in HAMILTONIAN_KEYS[config.layer]},
            "readout": {"C": hru_params["C"], "D": rng.normal(0.0, 0.1, hidden)},
            "glu_value": dense(hidden, hidden),
            "glu_gate": dense(hidden, hidden),
        })
    return {"encoder": dense(hidden, config.data_size), "blocks": blocks, "head": dense(config.output_size, hidden)}


def hru_positions(system: LinearHRU | NonlinearHRU, params: Params, inputs: jax.Array,
                  step_size: jax.Array) -> tuple[jax.Array, State]:
    """The plain forward of one HRU layer from rest: positions q_1..q_N and the final state."""
    zeros = jnp.zeros(system.position_size, inputs.dtype)
    damping = jnp.zeros((), inputs.dtype)

    def body(state: State, drive_input: jax.Array) -> tuple[State, jax.Array]:
        state, _ = LEAPFROG.step(system, params, state, drive_input, step_size, damping)
        return state, state.position

    final_state, positions = jax.lax.scan(body, State(zeros, zeros), inputs)
    return positions, final_state


@partial(jax.custom_vjp, nondiff_argnums=(0,))
def hru_positions_rhel(system: LinearHRU | NonlinearHRU, params: Params, inputs: jax.Array, step_size: jax.Array,
                       eps: jax.Array) -> jax.Array:
    """HRU layer positions whose backward pass is RHEL (two nudged echoes), not autodiff."""
    return hru_positions(system, params, inputs, step_size)[0]


def _rhel_forward(system, params, inputs, step_size, eps):
    positions, final_state = hru_positions(system, params, inputs, step_size)
    return positions, (params, inputs, step_size, eps, final_state)  # no trajectory is kept


def _rhel_backward(system, residual, position_cotangents):
    params, inputs, step_size, eps, final_state = residual
    damping = jnp.zeros((), inputs.dtype)
    # The input cotangent is accumulated in place in a zero buffer. It is made from this layer's own
    # cotangent so that XLA cannot merge the layers' identical zero constants into one and copy it for
    # every layer at the start of the backward pass, which kept one extra N x H array alive per layer
    # (``bench scaling``). A non-finite cotangent gives non-finite gradients here, as in the echo itself.
    input_buffer = jnp.zeros_like(inputs) * position_cotangents[-1, 0]
    pair = echo_pair(system, params, final_state, inputs, position_cotangents, cotangent_nudge, step_size, damping,
                     eps, LEAPFROG, input_gradients=input_buffer)
    param_cotangent, input_cotangent = pair.param_gradients, pair.input_gradients
    return param_cotangent, input_cotangent, jnp.zeros_like(step_size), jnp.zeros_like(eps)


hru_positions_rhel.defvjp(_rhel_forward, _rhel_backward)


@partial(jax.custom_vjp, nondiff_argnums=(0,))
def hru_positions_memory_floor(system: LinearHRU | NonlinearHRU, params: Params, inputs: jax.Array,
                               step_size: jax.Array) -> jax.Array:
    """HRU layer positions with a *stand-in* backward that keeps only its inputs: a memory measurement, not a gradient.

    It keeps the layer's inputs (as RHEL does: they are replayed by the echo) and its backward
    returns local products of the arrays that must exist (dL/dq_t B as the input cotangent, the sum
    of dL/dq_t u_t^T for B, zeros for the rest; no time recursion), so the rest of the model runs
    its ordinary backward. The peak memory of an HSSM built on it is what exists whatever the HRUs' backward
    does: the block activations autodiff stores around the HRUs, the HRUs' inputs and outputs and
    their cotangents. RHEL's peak is compared with it (:mod:`rhel_viz.lab.scaling`).
    """
    return hru_positions(system, params, inputs, step_size)[0]


def _floor_forward(system, params, inputs, step_size):
    positions, _ = hru_positions(system, params, inputs, step_size)
    return positions, (params, inputs, step_size)  # the layer's inputs must exist anyway (so does RHEL keep them)


def _floor_backward(system, residual, position_cotangents):
    params, inputs, step_size = residual
    param_cotangent = jax.tree.map(jnp.zeros_like, params)
    param_cotangent["B"] = position_cotangents.T @ inputs  # local products of what must exist: no time recursion
    input_cotangent = position_cotangents @ params["B"]
    return param_cotangent, input_cotangent, jnp.zeros_like(step_size)


hru_positions_memory_floor.defvjp(_floor_forward, _floor_backward)

#: How the HRU layers of an HSSM are differentiated: RHEL (custom_vjp), BPTT (autodiff through
#: time), or the memory-floor stand-in (no gradient; measures what exists anyway).
HRU_BACKWARDS = ("rhel", "bptt", "memory-floor")


def _dense(params: dict[str, jax.Array], values: jax.Array) -> jax.Array:
    return values @ params["W"].T + params["b"]


def _layer_norm(params: dict[str, jax.Array], values: jax.Array) -> jax.Array:
    mean = jnp.mean(values, axis=-1, keepdims=True)
    variance = jnp.var(values, axis=-1, keepdims=True)
    return (values - mean) / jnp.sqrt(variance + 1e-5) * params["scale"] + params["bias"]


def hssm_outputs(config: HSSMConfig, params: dict[str, Any], sequence: jax.Array, step_size: jax.Array,
                 eps: jax.Array, method: str) -> jax.Array:
    """Head outputs for one sequence (N, data_size); ``method`` picks the HRU backward (:data:`HRU_BACKWARDS`)."""
    system = config.hru()
    hidden = _dense(params["encoder"], sequence)
    for block in params["blocks"]:
        normed = _layer_norm(block["norm"], hidden)
        if method == "rhel":
            positions = hru_positions_rhel(system, block["hamiltonian"], normed, step_size, eps)
        elif method == "memory-floor":
            positions = hru_positions_memory_floor(system, block["hamiltonian"], normed, step_size)
        else:
            positions = hru_positions(system, block["hamiltonian"], normed, step_size)[0]
        layer_out = positions @ block["readout"]["C"].T + block["readout"]["D"] * normed
        activated = jax.nn.gelu(layer_out)
        gated = _dense(block["glu_value"], activated) * jax.nn.sigmoid(_dense(block["glu_gate"], activated))
        hidden = hidden + gated
    return _dense(params["head"], jnp.mean(hidden, axis=0))


def hssm_loss(config: HSSMConfig, params: dict[str, Any], sequence: jax.Array, target: jax.Array,
              step_size: jax.Array, eps: jax.Array, method: str) -> jax.Array:
    """Cross-entropy against an integer class, or squared error against a target vector."""
    outputs = hssm_outputs(config, params, sequence, step_size, eps, method)
    if config.head == "classification":
        return -jax.nn.log_softmax(outputs)[target.astype(jnp.int32)]
    return 0.5 * jnp.sum((outputs - target) ** 2)


@partial(jax.jit, static_argnames=("config", "method"))
def hssm_gradients(config: HSSMConfig, params: dict[str, Any], sequence: jax.Array, target: jax.Array,
                   step_size: jax.Array, eps: jax.Array, method: str) -> tuple[jax.Array, dict[str, Any]]:
    """(loss, parameter gradients) with RHEL (``method="rhel"``) or BPTT (``"bptt"``) inside each HRU."""
    if method not in HRU_BACKWARDS:
        raise ValueError(f"unknown HRU backward {method!r}; choose one of {list(HRU_BACKWARDS)}")
    dtype = sequence.dtype
    params = jax.tree.map(lambda leaf: jnp.asarray(leaf, dtype), params)
    step_size, eps = jnp.asarray(step_size, dtype), jnp.asarray(eps, dtype)
    return jax.value_and_grad(hssm_loss, argnums=1)(config, params, sequence, target, step_size, eps, method)


def layer_agreement(rhel_grads: dict[str, Any], bptt_grads: dict[str, Any]) -> list[dict[str, dict[str, float]]]:
    """Per layer, per Hamiltonian parameter group: cosine and norm ratio of RHEL against BPTT (Fig. 4)."""
    from rhel_viz.core.metrics import cosine, norm_ratio

    rows = []
    for rhel_block, bptt_block in zip(rhel_grads["blocks"], bptt_grads["blocks"], strict=True):
        groups = {}
        for name, bptt_value in bptt_block["hamiltonian"].items():
            rhel_value = rhel_block["hamiltonian"][name]
            groups[name] = {"cosine": cosine(rhel_value, bptt_value), "norm_ratio": norm_ratio(rhel_value, bptt_value)}
        rows.append(groups)
    return rows


def example_batch(config: HSSMConfig, steps: int, seed: int = 0, dtype: Any = jnp.float64):
    """A random sequence and target for agreement checks and benchmarks."""
    rng = np.random.default_rng(seed)
    sequence = jnp.asarray(rng.normal(size=(steps, config.data_size)), dtype)
    if config.head == "classification":
        target = jnp.asarray(rng.integers(config.output_size), jnp.int32)
    else:
        target = jnp.asarray(rng.normal(size=config.output_size), dtype)
    return sequence, target
