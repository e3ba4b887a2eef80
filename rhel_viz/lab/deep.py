"""The numbers of the "Deep and long" page: per-layer agreement in an HSSM, and live scaling runs.

* :func:`run_layer_agreement`: RHEL (two nudged echoes per HRU layer, chained top-down through
  autodiff of the blocks: the paper's Algorithm 1) against BPTT, as the cosine and norm ratio of every
  Hamiltonian parameter group in every layer (the paper's Fig. 4): a :class:`LayerAgreement`.
* :func:`run_live_scaling`: time and XLA memory of forward, RHEL and BPTT at a few short lengths,
  in this process (the full 1k-50k benchmark runs in fresh processes: :mod:`rhel_viz.lab.scaling`):
  a :class:`LiveScaling`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp

from rhel_viz.core.hssm import HAMILTONIAN_KEYS, HSSMConfig, example_batch, hssm_gradients, init_hssm, layer_agreement
from rhel_viz.lab import costs, scaling
from rhel_viz.lab.problems import SEED
from rhel_viz.lab.rules import OneOf, check_fields, setting
from rhel_viz.lab.runs import NUDGING

#: Sizes of the agreement HSSM: small enough to compile and run in seconds, deep enough to chain.
AGREEMENT_DEPTH = 4
AGREEMENT_WIDTH = 16
AGREEMENT_STEPS = 200
AGREEMENT_STEP_SIZE = 0.1
AGREEMENT_DTYPES: tuple[str, ...] = ("float64", "float32")
PAPER_EPS = 0.1  # every experiment of the paper (the official code's configs)
LIVE_SEQ_LENS: tuple[int, ...] = (250, 500, 1000, 2000)
LIVE_REPEATS = 3

#: Parameter groups as Fig. 4 labels them: W is the nonlinear HRU's "A", c its "delta".
GROUP_LABELS = {"A": "A", "W": "A (W)", "B": "B", "b": "b", "c": "δ (c)", "alpha": "α"}  # in Fig. 4's order


@dataclass(frozen=True)
class AgreementSettings:
    """Which HSSM and precision the agreement bars use (checked when made)."""

    layer: str = setting("linear", OneOf("HSSM layer", tuple(HAMILTONIAN_KEYS)))
    dtype: str = setting("float64", OneOf("precision", AGREEMENT_DTYPES))
    eps: float = setting(PAPER_EPS, NUDGING)
    seed: int = setting(0, SEED)

    def __post_init__(self) -> None:
        check_fields(self)


def agreement_config(layer: str) -> HSSMConfig:
    """The HSSM of the agreement figure (regression head, so float32 has a smooth loss)."""
    return HSSMConfig(layer=layer, depth=AGREEMENT_DEPTH, hidden=AGREEMENT_WIDTH, oscillators=AGREEMENT_WIDTH,
                      data_size=3, output_size=4, head="regression")


@dataclass(frozen=True)
class LayerGroupAgreement:
    """One bar pair of Fig. 4: a Hamiltonian parameter group of one layer, RHEL against BPTT."""

    layer: int  # 1 = the first (bottom) block
    group: str  # the parameter's name in the HRU ("A", "W", "B", "b", "c", "alpha")
    label: str  # as Fig. 4 labels it (:data:`GROUP_LABELS`)
    cosine: float
    norm_ratio: float  # |RHEL| / |BPTT|


@dataclass(frozen=True)
class LayerAgreement:
    """Per layer and parameter group, the agreement of RHEL with BPTT in the agreement HSSM, and both losses."""

    settings: AgreementSettings  # which HSSM, precision, eps and seed
    rows: tuple[LayerGroupAgreement, ...]  # layer by layer, groups in Fig. 4's order
    loss_rhel: float  # the loss of the RHEL run
    loss_bptt: float  # the loss of the BPTT run
    steps: int  # sequence length N
    depth: int  # HRU layers


@dataclass(frozen=True)
class LiveScaling:
    """Time and XLA memory of every method of one model at a few short lengths, measured in this process.

    ``rows`` are :func:`rhel_viz.lab.scaling.measure`'s rows (the saved benchmark's schema: ``model``,
    ``seq_len``, ``method``, ``seconds_median``/``_min``/``_max``, ``peak_mb``, ...), less the process-wide
    ``rss_peak_mb``; ``summary`` is :func:`rhel_viz.lab.scaling.summarise`'s entry for the model.
    """

    model: str
    rows: tuple[dict[str, Any], ...]
    summary: dict[str, Any]


def _group_rows(layer_groups: list[dict[str, dict[str, float]]]) -> tuple[LayerGroupAgreement, ...]:
    order = list(GROUP_LABELS)
    return tuple(LayerGroupAgreement(layer_index, group, GROUP_LABELS.get(group, group), values["cosine"],
                                values["norm_ratio"])
                 for layer_index, groups in enumerate(layer_groups, start=1)
                 for group, values in sorted(groups.items(), key=lambda item: order.index(item[0])))


def agreement_cost(settings: AgreementSettings) -> costs.Cost:
    """What :func:`run_layer_agreement` will cost now (one program per layer kind and dtype; eps is traced)."""
    return costs.estimate(costs.Program("layer agreement", (settings.layer, settings.dtype)))


def live_scaling_plan(model: str, seq_lens: tuple[int, ...] = LIVE_SEQ_LENS) -> tuple[tuple[int, str], ...]:
    """The live measurement's steps, (sequence length, method), each measured on its own."""
    return tuple((seq_len, method) for seq_len in seq_lens for method in scaling.methods_of(model))


def live_step_cost(model: str, seq_len: int, method: str) -> costs.Cost:
    """What one step of the live measurement costs now (compiling one method at one length, then timing it)."""
    return costs.estimate(costs.Program("live scaling", (model, seq_len, method)))


def measure_live_step(model: str, seq_len: int, method: str, repeats: int = LIVE_REPEATS) -> dict[str, Any]:
    """One row of the live measurement: time (median of ``repeats`` warm runs) and XLA memory."""
    row = scaling.measure(model, seq_len, method, repeats)
    row.pop("rss_peak_mb")  # a process-wide high-water mark: meaningless in a shared process
    return row


def live_scaling_of(model: str, rows: list[dict[str, Any]]) -> LiveScaling:
    """The measurement from its rows (one per step of :func:`live_scaling_plan`)."""
    return LiveScaling(model=model, rows=tuple(rows), summary=scaling.summarise(rows)[model])


def run_layer_agreement(settings: AgreementSettings) -> LayerAgreement:
    """Per layer and parameter group: cosine and norm ratio of RHEL against BPTT (plain floats).

    eps and the step size are traced: changing eps never recompiles.
    """
    config = agreement_config(settings.layer)
    dtype = jnp.float64 if settings.dtype == "float64" else jnp.float32
    params = init_hssm(config, seed=settings.seed)
    sequence, target = example_batch(config, AGREEMENT_STEPS, seed=settings.seed + 1, dtype=dtype)
    loss_rhel, rhel = hssm_gradients(config, params, sequence, target, AGREEMENT_STEP_SIZE, settings.eps, "rhel")
    loss_bptt, bptt = hssm_gradients(config, params, sequence, target, AGREEMENT_STEP_SIZE, settings.eps, "bptt")
    return LayerAgreement(settings=settings, rows=_group_rows(layer_agreement(rhel, bptt)),
                          loss_rhel=float(loss_rhel), loss_bptt=float(loss_bptt), steps=AGREEMENT_STEPS,
                          depth=AGREEMENT_DEPTH)


def run_live_scaling(model: str, seq_lens: tuple[int, ...] = LIVE_SEQ_LENS,
                     repeats: int = LIVE_REPEATS) -> LiveScaling:
    """Time (median of ``repeats`` warm runs) and XLA memory of every method at a few lengths, in-process.

    Same models, sizes and definitions as the benchmark (:mod:`rhel_viz.lab.scaling`); only shorter. A
    shared server runs the steps one by one (:func:`live_scaling_plan`), so other work can go in between.
    """
    plan = live_scaling_plan(model, seq_lens)
    rows = [measure_live_step(model, seq_len, method, repeats) for seq_len, method in plan]
    return live_scaling_of(model, rows)
