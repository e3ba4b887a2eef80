"""Helpers shared by test modules (imported as ``tests.helpers``; fixtures live in the conftest files)."""

from __future__ import annotations

from benchmarks.appserver import CHROMIUM, CHROMIUM_ARGS, ROOT, wait_for_run

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "ROOT", "assert_page_healthy", "wait_for_run"]


def assert_page_healthy(page) -> None:
    """No Streamlit exception, no open dialog, no JS error."""
    exceptions = page.get_by_test_id("stException")
    texts = [exceptions.nth(i).inner_text()[:300] for i in range(exceptions.count())]
    assert not texts, f"exceptions on the page: {texts}"
    assert page.locator('[role="dialog"]').count() == 0, "a dialog is open"
    assert not page.js_errors, f"JS errors: {page.js_errors}"
