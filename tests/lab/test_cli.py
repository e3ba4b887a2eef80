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


def _strict_loads(text: str):
    """json.loads that refuses NaN and Infinity, which Python's json accepts but JSON does not have."""

    def refuse(constant: str):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_check_json_is_strict_and_warns_when_the_run_blows_up():
    result = _run("check", "--system", "nonlinear", "--integrator", "euler", "--step-size", "1.0", "--steps", "800",
                  "--json")
    assert result.returncode == 0, result.stderr
    report = _strict_loads(result.stdout)
    assert any("NaN or infinite" in warning for warning in report["warnings"]), report["warnings"]
    assert "warning: the run produced NaN" in result.stderr


def test_check_warns_when_the_echo_does_not_retrace_and_on_a_tiny_float32_eps():
    result = _run("check", "--system", "springs", "--steps", "50", "--damping", "0.05", "--json")
    report = _strict_loads(result.stdout)
    assert any("does not retrace" in warning for warning in report["warnings"]), report["warnings"]
    result = _run("check", "--system", "springs", "--steps", "50", "--dtype", "float32", "--eps", "1e-7", "--json")
    assert any("round-off floor" in warning for warning in _strict_loads(result.stdout)["warnings"])
    clean = _run("check", "--system", "springs", "--steps", "50", "--json")
    assert _strict_loads(clean.stdout)["warnings"] == [] and "warning" not in clean.stderr


def test_export_checks_its_target_before_computing(tmp_path):
    existing_file = tmp_path / "file.txt"
    existing_file.write_text("keep me")
    full = tmp_path / "full"
    full.mkdir()
    (full / "echo_phase.csv").write_text("keep me too")
    for out in (existing_file, existing_file / "sub", full):
        result = _run("export", "--preset", "perfect-echo", "--out", str(out), "--no-images")
        assert result.returncode == 2, (out, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert existing_file.read_text() == "keep me" and (full / "echo_phase.csv").read_text() == "keep me too"
    assert not (existing_file.parent / "sub").exists()
    forced = _run("export", "--preset", "perfect-echo", "--out", str(full), "--no-images", "--force")
    assert forced.returncode == 0, forced.stderr
    assert (full / "echo_phase.csv").read_text().startswith("trace,panel,point,x,y")
