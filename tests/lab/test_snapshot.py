"""The numbers did not change when the package was reshaped into layers: ``tests/snapshots``
was written before the reshape began.

* ``gradients.npz``: RHEL (eps = 1e-4, centred) and BPTT gradients (loss, parameters, inputs, initial
  state) of the default problem of each system x loss, float64.
* ``check.json``: ``python -m rhel_viz check --system S --loss L --json`` for the same 3 x 2 problems.
* ``exports.npz``: the NPZ data of ``python -m rhel_viz export --preset P --no-images`` for every preset.

A later change that is *meant* to move these numbers regenerates the snapshot and says why in its commit.
Tolerances: 1e-12 relative on values of order one (the reshape moves no arithmetic, and in practice
these compare bit for bit); the agreement metrics (relative errors of 1e-16..1e-7) to 1e-6 of themselves.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from rhel_viz import cli
from rhel_viz.export import preset_figures
from rhel_viz.lab.presets import load_presets
from rhel_viz.lab.problems import ProblemConfig, build_problem
from rhel_viz.plots.files import figure_npz
from tests.helpers import ROOT

SNAPSHOTS = ROOT / "tests" / "snapshots"
COMBOS = [(system, loss) for system in ("springs", "linear", "nonlinear") for loss in ("sequence", "final")]
RTOL = 1e-12


def _close(actual, expected, rtol: float = RTOL, atol: float = 0.0) -> None:
    np.testing.assert_allclose(np.asarray(actual, np.float64), np.asarray(expected, np.float64), rtol=rtol, atol=atol)


@pytest.fixture(scope="module")
def gradients() -> np.lib.npyio.NpzFile:
    return np.load(SNAPSHOTS / "gradients.npz")


@pytest.mark.parametrize(("system", "loss"), COMBOS)
def test_gradients_match_the_snapshot(system, loss, gradients):
    from rhel_viz import BPTT, RHEL

    problem = build_problem(ProblemConfig(system=system, loss=loss))
    for method, result in (("rhel", RHEL(eps=1e-4).gradients(problem)), ("bptt", BPTT().gradients(problem))):
        prefix = f"{system}/{loss}/{method}"
        keys = sorted(key.removeprefix(f"{prefix}/params/") for key in gradients.files
                      if key.startswith(f"{prefix}/params/"))
        assert keys == sorted(result.params), prefix
        _close(result.loss, gradients[f"{prefix}/loss"])
        scale = max(float(np.max(np.abs(gradients[f"{prefix}/params/{name}"]))) for name in keys)
        for name in keys:
            _close(result.params[name], gradients[f"{prefix}/params/{name}"], atol=RTOL * scale)
        _close(result.inputs, gradients[f"{prefix}/inputs"], atol=RTOL * float(np.max(np.abs(result.inputs))))
        _close(result.initial_state.position, gradients[f"{prefix}/initial/position"], atol=RTOL * scale)
        _close(result.initial_state.momentum, gradients[f"{prefix}/initial/momentum"], atol=RTOL * scale)


def _compare_report(actual, expected, path: str = "") -> None:
    if isinstance(expected, dict):
        assert set(actual) == set(expected), path
        for key in expected:
            _compare_report(actual[key], expected[key], f"{path}/{key}")
    elif isinstance(expected, float):
        if "rel_error" in path or "retrace" in path:  # tiny numbers: a relative tolerance of their own size
            _close(actual, expected, rtol=1e-6, atol=1e-18)
        else:
            _close(actual, expected, atol=1e-15)
    else:
        assert actual == expected, path


@pytest.mark.parametrize(("system", "loss"), COMBOS)
def test_check_reports_match_the_snapshot(system, loss):
    expected = json.loads((SNAPSHOTS / "check.json").read_text())[f"{system}-{loss}"]
    report = cli.run_check(ProblemConfig(system=system, loss=loss), eps=1e-4)
    _compare_report(json.loads(json.dumps(report)), expected)


@pytest.mark.parametrize("preset", sorted(load_presets()))
def test_preset_exports_match_the_snapshot(preset):
    snapshot = np.load(SNAPSHOTS / "exports.npz")
    chosen = load_presets()[preset]
    slug = chosen.slug
    expected = {key.removeprefix(f"{slug}/"): snapshot[key] for key in snapshot.files if key.startswith(f"{slug}/")}
    assert expected, f"no snapshot for {slug}"
    actual = {}
    for stem, fig in preset_figures(chosen).figures.items():
        with np.load(io.BytesIO(figure_npz(fig))) as data:
            actual.update({f"{stem}/{key}": data[key] for key in data.files})
    assert set(actual) == set(expected)
    for key, values in expected.items():
        finite = np.isfinite(values)
        assert np.array_equal(finite, np.isfinite(actual[key])), key
        scale = float(np.max(np.abs(values[finite]))) if finite.any() else 1.0
        _close(actual[key][finite], values[finite], atol=RTOL * scale)
