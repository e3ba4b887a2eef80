"""HSSM chaining (spec c, Algorithm 1): RHEL inside every HRU layer agrees with BPTT, layer by layer."""

from __future__ import annotations

import jax.numpy as jnp
import pytest

from rhel_viz.core.hssm import HSSMConfig, example_batch, hssm_gradients, init_hssm, layer_agreement
from rhel_viz.core.metrics import relative_error


def _agreement(layer: str, dtype, eps: float, head: str = "classification"):
    config = HSSMConfig(layer=layer, depth=4, hidden=8, oscillators=8, head=head)
    params = init_hssm(config, seed=1)
    sequence, target = example_batch(config, steps=120, seed=2, dtype=dtype)
    loss_rhel, rhel = hssm_gradients(config, params, sequence, target, 0.1, eps, "rhel")
    loss_bptt, bptt = hssm_gradients(config, params, sequence, target, 0.1, eps, "bptt")
    assert float(loss_rhel) == pytest.approx(float(loss_bptt), rel=1e-6)
    return layer_agreement(rhel, bptt), rhel, bptt


@pytest.mark.parametrize("layer", ["linear", "nonlinear"])
def test_per_layer_agreement_float64(layer):
    rows, rhel, bptt = _agreement(layer, jnp.float64, 1e-4)
    assert len(rows) == 4
    for layer_index, groups in enumerate(rows):
        for name, row in groups.items():
            assert row["cosine"] > 0.999999, (layer_index, name, row)
            assert abs(row["norm_ratio"] - 1) < 1e-5, (layer_index, name, row)
    # The non-Hamiltonian parts (encoder, GLUs, head) get the chained input gradients right too.
    assert relative_error(rhel, bptt) < 1e-6


@pytest.mark.parametrize("layer", ["linear", "nonlinear"])
def test_per_layer_agreement_float32_paper_eps(layer):
    rows, _, _ = _agreement(layer, jnp.float32, 0.1, head="regression")
    for groups in rows:
        for name, row in groups.items():
            assert row["cosine"] > 0.99, (name, row)


def test_bad_config_names_raise():
    with pytest.raises(ValueError, match="linear"):
        HSSMConfig(layer="lstm")
    with pytest.raises(ValueError, match="classification"):
        HSSMConfig(head="ranking")
