"""Shared test set-up: float64 everywhere, a marker per test folder (core, lab, app, browser, load), and
JAX's persistent compilation cache.

``make test-fast`` runs ``-m "core or lab or app"``; ``make test`` runs everything.

Most of the suite's time is XLA compiling the same programs run after run, so compiled programs are kept
in ``.pytest_cache/jax-compilation-cache`` (``make clean`` removes it): the first run on a machine compiles
everything, later runs load what did not change. The settings are environment variables, set before JAX
is imported, so the subprocesses the tests start (``python -m rhel_viz``, the app server of the browser
tests) share the cache too. Set ``JAX_COMPILATION_CACHE_DIR`` yourself to use another folder.
"""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(HERE.parent / ".pytest_cache" / "jax-compilation-cache"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")  # default 1 s: most of ours are shorter

import jax  # noqa: E402 - after the cache settings above
import pytest  # noqa: E402

jax.config.update("jax_enable_x64", True)  # numerics are checked in float64 (importing rhel_viz does not do this)

FOLDERS = ("core", "lab", "app", "browser", "load")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test with the name of its folder, so ``-m`` selects folders."""
    for item in items:
        folder = Path(str(item.path)).resolve().relative_to(HERE).parts[0]
        if folder in FOLDERS:
            item.add_marker(getattr(pytest.mark, folder))
