"""Shared test set-up: float64 everywhere, and a marker per test folder (core, lab, app, browser, load).

``make test-fast`` runs ``-m "core or lab or app"``; ``make test`` runs everything.
"""

from __future__ import annotations

from pathlib import Path

import jax
import pytest

jax.config.update("jax_enable_x64", True)  # numerics are checked in float64 (importing rhel_viz does not do this)

FOLDERS = ("core", "lab", "app", "browser", "load")
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test with the name of its folder, so ``-m`` selects folders."""
    for item in items:
        folder = Path(str(item.path)).resolve().relative_to(HERE).parts[0]
        if folder in FOLDERS:
            item.add_marker(getattr(pytest.mark, folder))
