"""The command line and the import boundary (numerics never import streamlit)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# --- export, for real: one `python -m rhel_viz export` per case, a mix of good and bad presets, values and
# targets (no images: no Chromium). A valid case writes exactly the files it lists; an invalid one exits 2
# with one line and leaves the folder as it found it.

TRAINING = "Learning the coupling spring"  # the cheapest exportable preset (with --updates 1 or 2)
TRAINING_STEMS = ("training_loss", "training_agreement", "training_drift", "training_parameters", "training_prediction")
ROOT_BYPASSES_MODES = os.geteuid() == 0  # root writes into a mode-0555 folder, and os.access says so
UNWRITABLE = "/proc/rhel-viz-export-test"  # a folder nobody, root included, can create entries in
LONG_NAME = "x" * 300  # longer than a file name may be (255 bytes): mkdir fails after the run


def _tree(root: Path) -> dict[str, str | None]:
    """Every file (with its text) and folder under ``root``, by relative path."""
    return {str(path.relative_to(root)): path.read_bytes().decode(errors="replace") if path.is_file() else None
            for path in sorted(root.rglob("*"))}


def _export_target(tmp_path: Path, target: str) -> str:
    """Lay out what ``target`` names under ``tmp_path``; the --out value."""
    (tmp_path / "file.txt").write_text("keep me")
    full = tmp_path / "full"
    full.mkdir()
    (full / "training_loss.csv").write_text("keep me too")
    (full / "notes.txt").write_text("not ours")
    (tmp_path / "empty").mkdir()
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    readonly.chmod(0o555)
    return {"new": str(tmp_path / "new" / "nested"), "empty": str(tmp_path / "empty"), "full": str(full),
            "file": str(tmp_path / "file.txt"), "file/sub": str(tmp_path / "file.txt" / "sub"),
            "readonly/sub": str(readonly / "sub"), "unwritable": UNWRITABLE,
            "long name": str(tmp_path / "new" / LONG_NAME)}[target]


EXPORT_CASES = [
    # (preset, extra flags, target, expected exit code)
    pytest.param(TRAINING, ["--updates", "1"], "new", 0, id="name-new-nested-folder"),
    pytest.param("learning-the-coupling-spring", ["--updates", "2", "--force"], "full", 0, id="slug-full-forced"),
    pytest.param(TRAINING, ["--updates", "1"], "full", 2, id="full-without-force"),
    pytest.param(TRAINING, ["--force"], "file", 2, id="existing-file"),
    pytest.param(TRAINING, [], "file/sub", 2, id="inside-a-file"),
    pytest.param(TRAINING, [], "readonly/sub", 2, id="mode-0555-folder",
                 marks=pytest.mark.skipif(ROOT_BYPASSES_MODES, reason="root may write there")),
    pytest.param(TRAINING, ["--updates", "1"], "unwritable", 2, id="unwritable-folder"),
    pytest.param(TRAINING, ["--updates", "1"], "long name", 2, id="name-too-long"),
    pytest.param(TRAINING, ["--updates", "0"], "new", 2, id="updates-0"),
    pytest.param(TRAINING, ["--updates", "2.5"], "new", 2, id="updates-2.5"),
    pytest.param(TRAINING, ["--updates", "3001"], "new", 2, id="updates-over-max"),
    pytest.param("no-such-preset", [], "new", 2, id="unknown-preset"),
]


@pytest.mark.parametrize(("preset", "flags", "target", "code"), EXPORT_CASES)
def test_export_for_real_writes_its_files_or_exits_2_leaving_nothing(tmp_path, preset, flags, target, code):
    out = _export_target(tmp_path, target)
    before = _tree(tmp_path)
    result = _run("export", "--preset", preset, "--out", out, "--no-images", *flags)
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode == code, result.stderr[-2000:]
    after = _tree(tmp_path)
    if code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "error" in lines[0], result.stderr
        assert after == before, "an invalid export changed the folder"
        assert not Path(UNWRITABLE).exists()
        return
    written = [Path(line) for line in result.stdout.splitlines()]
    expected = {f"{stem}.{fmt}" for stem in TRAINING_STEMS for fmt in ("csv", "npz")} | {"preset.txt"}
    assert {path.name for path in written} == expected and all(path.parent == Path(out) for path in written)
    created = {name for name in set(after) - set(before) if after[name] is not None}
    assert created == {str(path.relative_to(tmp_path)) for path in written} - set(before)  # nothing else
    for stem in TRAINING_STEMS:
        assert (Path(out) / f"{stem}.csv").read_text().startswith("trace,panel,point,x,y\n")
        with np.load(Path(out) / f"{stem}.npz") as arrays:
            assert arrays.files
    assert (Path(out) / "preset.txt").read_text().startswith(f"{TRAINING}\n")
    if target == "full":
        assert after["full/notes.txt"] == "not ours"  # --force overwrites files of the same name only


# --- export, fuzzed: random --out paths and --updates values, in-process (one compile for all examples) ---

_OUT_PARTS = st.sampled_from(["a", "b.c", ".", "x" * 300, "file.txt", "sp ace", "ü", "-dash", "new"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(_OUT_PARTS, min_size=1, max_size=3),
       updates=st.sampled_from(["1", "2", "0", "-1", "2.5", "nan", "3001", "ten"]),
       force=st.booleans())
def test_random_export_targets_and_values_write_their_files_or_exit_2_leaving_nothing(parts, updates, force, capsys):
    from rhel_viz import cli

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "file.txt").write_text("keep me")
        out = root.joinpath(*parts)
        before = _tree(root)
        args = ["export", "--preset", TRAINING, "--out", str(out), "--no-images", "--updates", updates]
        try:
            code = cli.main([*args, "--force"] if force else args)
        except SystemExit as exit_:  # argparse's own errors
            code = exit_.code
        captured = capsys.readouterr()
        assert code in (0, 2), (args, captured.err)
        if code == 2:
            lines = captured.err.strip().splitlines()
            assert len(lines) == 1 and "error" in lines[0] and "Traceback" not in captured.err, (args, captured.err)
            assert _tree(root) == before, f"{args}: an invalid export changed the folder"
        else:
            written = [Path(line) for line in captured.out.splitlines()]
            assert written and all(path.is_file() and path.parent.resolve() == out.resolve() for path in written)
            assert (root / "file.txt").read_text() == "keep me"
