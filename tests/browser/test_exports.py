"""Image export needs Chromium (kaleido drives Debian's): the headless export writes every file of a preset."""

from __future__ import annotations

import subprocess
import sys

from rhel_viz.plots import files as export
from tests.helpers import ROOT

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rhel_viz", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_cli_export_writes_valid_files(tmp_path):
    result = _cli("export", "--preset", "perfect-echo", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    for stem in ("echo_animation", "echo_trajectories", "echo_phase", "echo_energy"):
        assert (tmp_path / f"{stem}.png").read_bytes().startswith(PNG_MAGIC)
        assert b"<svg" in (tmp_path / f"{stem}.svg").read_bytes()[:200]
        header = (tmp_path / f"{stem}.csv").read_text().splitlines()[0]
        assert header == ",".join(export.CSV_COLUMNS)
        assert (tmp_path / f"{stem}.npz").stat().st_size > 100
    html = (tmp_path / "echo_animation.html").read_text()
    assert html.count('"traces":') > 10 and len(html) > 1_000_000  # plotly.js and the frames, inlined
