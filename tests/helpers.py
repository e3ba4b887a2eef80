"""Helpers shared by test modules (imported as ``tests.helpers``; fixtures live in the conftest files)."""

from __future__ import annotations

from collections.abc import Iterator

from benchmarks.appserver import CHROMIUM, CHROMIUM_ARGS, ROOT, start_app, stop_app, wait_for_run

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "ROOT", "assert_does_not_happen", "assert_page_healthy", "compiled_versions",
           "served_app", "wait_for_run"]


def served_app(log_name: str) -> Iterator[str]:
    """For a fixture to ``yield from``: a running app server's base URL, its log in .pytest_cache/<log_name>,
    stopped afterwards."""
    (ROOT / ".pytest_cache").mkdir(exist_ok=True)
    proc, base = start_app(log_path=ROOT / ".pytest_cache" / log_name)
    try:
        yield base
    finally:
        stop_app(proc)


def assert_page_healthy(page) -> None:
    """No Streamlit exception, no open dialog, no JS error."""
    exceptions = page.get_by_test_id("stException")
    texts = [exceptions.nth(i).inner_text()[:300] for i in range(exceptions.count())]
    assert not texts, f"exceptions on the page: {texts}"
    assert page.locator('[role="dialog"]').count() == 0, "a dialog is open"
    assert not page.js_errors, f"JS errors: {page.js_errors}"


def compiled_versions() -> dict[str, int]:
    """How many versions of each of core's module-level jitted functions have been compiled so far.

    A test must see inside to prove that changing a value does not recompile, so this one helper reads
    the modules' private jitted functions and ``_cache_size()``, a private method of jax's jitted
    functions. Fine in a test; the package itself counts nothing.
    """
    from rhel_viz.core import adjoint, bptt, hssm, rhel, sweeps

    jitted = {
        "rhel_gradients": rhel._rhel_gradients,
        "rhel_trace": rhel._rhel_trace,
        "rhel_gradients_over_eps": sweeps._rhel_gradients_over_eps,
        "bptt_gradients": bptt._bptt_gradients,
        "loss_value": bptt._loss_value,
        "bptt_costates": adjoint._bptt_costates,
        "hssm_gradients": hssm.hssm_gradients,
    }
    return {name: function._cache_size() for name, function in jitted.items()}


def assert_does_not_happen(page, predicate: str, arg=None, *, within_ms: int, message: str) -> None:
    """Fail if the JavaScript ``predicate`` (a function of ``arg``) turns true within ``within_ms``.

    For what must *not* happen (a paused animation moving on, a paused training updating): the wait is
    for the event that would show the bug, bounded by the period in which it would have come.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        page.wait_for_function(predicate, arg=arg, timeout=within_ms)
    except PlaywrightTimeoutError:
        return
    raise AssertionError(message)
