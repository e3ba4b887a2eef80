"""``python -m benchmarks`` (also ``python -m rhel_viz bench``): one benchmark's JSON is printed unwrapped;
tables have one row per configuration; the package forwards to the folder without importing it."""

from __future__ import annotations

import json
import subprocess
import sys

from benchmarks import __main__ as runner
from benchmarks import bench
from tests.helpers import ROOT

ROWS = [{"model": "hru", "seq_len": n, "method": m, "seconds_median": 0.5, "peak_mb": 1.25}
        for n in (1000, 50_000) for m in ("rhel", "bptt")]


def _fake(monkeypatch) -> None:
    monkeypatch.setattr(bench, "BENCHMARKS", {"fake": lambda: {"device": "cpu:0", "rows": ROWS},
                                              "other": lambda: {"ratio": 1.5}})


def test_single_benchmark_json_is_not_wrapped(monkeypatch, capsys):
    _fake(monkeypatch)
    assert runner.main(["fake", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"device": "cpu:0", "rows": ROWS}
    assert runner.main(["fake", "other", "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"fake", "other"}


def test_table_has_one_line_per_configuration(monkeypatch, capsys):
    _fake(monkeypatch)
    assert runner.main(["fake"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(index for index, line in enumerate(lines) if "seq_len" in line and "method" in line)
    body = lines[header + 1: header + 1 + len(ROWS)]
    assert [line.split()[:2] for line in body] == [[str(row["seq_len"]), row["method"]] for row in ROWS]
    assert any("model = hru in every row" in line for line in lines)


def test_package_command_forwards_to_the_benchmarks_folder():
    result = subprocess.run([sys.executable, "-m", "rhel_viz", "bench", "no-such-benchmark"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "python -m benchmarks: error: unknown benchmark ['no-such-benchmark']" in result.stderr


def test_deep_modules_do_not_import_streamlit():
    code = ("import sys, rhel_viz.lab.deep, rhel_viz.lab.scaling, rhel_viz.plots.deep, rhel_viz.core.hssm; "
            "assert 'streamlit' not in sys.modules, 'streamlit imported'")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
