"""The command line and the import boundary (numerics never import streamlit)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import ROOT


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rhel_viz", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_check_json_report():
    result = _run("check", "--system", "nonlinear", "--loss", "final", "--steps", "50", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"system", "loss", "dtype", "eps", "steps", "params", "inputs", "overall",
            "echo_retrace_error"} <= set(report)
    assert report["system"] == "nonlinear" and report["loss"] == "final" and report["steps"] == 50
    assert set(report["params"]) == {"B", "C", "D", "W", "alpha", "b", "c"}
    for row in report["params"].values():
        assert set(row) == {"rel_error", "cosine", "norm_ratio"}
    assert report["overall"]["rel_error"] < 1e-7
    assert report["inputs"]["cosine"] > 0.999999
    assert report["echo_retrace_error"] < 1e-12


def test_check_table_and_damping():
    result = _run("check", "--system", "springs", "--steps", "50", "--damping", "0.05")
    assert result.returncode == 0, result.stderr
    assert "k_coupling" in result.stdout and "echo retrace error" in result.stdout


@pytest.mark.parametrize("flags", [
    ["check", "--system", "pendulum"],
    ["check", "--eps", "-1"],
    ["check", "--eps", "nan"],
    ["check", "--steps", "0"],
    ["check", "--steps", "ten"],
    ["check", "--dtype", "float16"],
    ["check", "--damping", "-0.1"],
    ["check", "--unknown"],
    ["frobnicate"],
    [],
])
def test_bad_flags_give_one_line_and_exit_2(flags):
    result = _run(*flags)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_numerical_modules_do_not_import_streamlit():
    code = ("import sys, rhel_viz, rhel_viz.core.rhel, rhel_viz.core.bptt, rhel_viz.core.systems, "
            "rhel_viz.core.integrators, rhel_viz.lab.problems, rhel_viz.lab.echo, rhel_viz.lab.gradient_lab, "
            "rhel_viz.core.metrics, rhel_viz.cli, rhel_viz.plots.style; "
            "assert 'streamlit' not in sys.modules, 'streamlit imported'")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
