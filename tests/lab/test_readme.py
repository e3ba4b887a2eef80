"""The README's library example runs as written, in a fresh process, and prints RHEL close to BPTT."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

from tests.helpers import ROOT


def test_readme_library_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S)
    assert blocks, "the README has no python example"
    result = subprocess.run([sys.executable, "-c", blocks[0]], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    printed = ast.literal_eval(result.stdout.strip().splitlines()[-1])
    assert printed["rel_error"] < 1e-8 and printed["cosine"] > 1 - 1e-12, printed
