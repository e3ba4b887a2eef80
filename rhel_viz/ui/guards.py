"""How every page shows the shared guards (:mod:`rhel_viz.lab.guards`): one look, texts in ``assets/``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import streamlit as st

from rhel_viz.lab import guards
from rhel_viz.ui import text

_page = threading.local()  # Streamlit runs each session's script in its own thread


class PageStopped(Exception):
    """Raised by :func:`stop_page` inside :func:`stoppable_page`: the rest of the page is skipped."""


@contextmanager
def stoppable_page() -> Iterator[None]:
    """Run a page in here (``shell.run_page`` does) so that :func:`stop_page` ends just the page."""
    _page.stoppable = True
    try:
        yield
    except PageStopped:
        pass
    finally:
        _page.stoppable = False


def stop_page() -> NoReturn:
    """Skip the rest of the page, like ``st.stop()``, but let ``app.py`` still draw the "copy link" box.

    After ``st.stop()`` Streamlit draws nothing more in that run (every element raises the stop again), so
    the box ``app.py`` draws after the page would be lost. Outside :func:`stoppable_page` (a page file run on
    its own, as some AppTests do), this is ``st.stop()``.
    """
    if getattr(_page, "stoppable", False):
        raise PageStopped
    st.stop()


def stop_if_unstable(stability: guards.Stability) -> None:
    """A warning and :func:`stop_page` when h * omega_max >= 2 (nothing is run, nothing is plotted)."""
    if stability.stable:
        return
    st.warning(text.asset_text("guard_unstable.md").format(
        stability=stability.value, omega=stability.max_frequency, step_size=stability.step_size,
        limit=stability.limit), icon=":material/warning:")
    stop_page()


def error_if_not_finite(ok: bool, asset: str = "echo_nonfinite.md") -> bool:
    """An error (text from ``assets/<asset>``) when a result holds NaN or Inf; returns ``ok``: draw only if True."""
    if not ok:
        st.error(text.asset_text(asset), icon=":material/error:")
    return ok


def stop_if_not_finite(ok: bool, asset: str = "echo_nonfinite.md") -> None:
    """:func:`error_if_not_finite`, then :func:`stop_page` (the rest of the page would only draw broken plots)."""
    if not error_if_not_finite(ok, asset):
        stop_page()


def warn_eps_roundoff(dtype: str, eps: float, scale: float = 1.0, asset: str = "guard_float32_eps.md") -> None:
    """A warning (text from ``assets/<asset>``) when eps is below float32's round-off floor for this state
    scale (the page still runs)."""
    if guards.eps_too_small(dtype, eps, scale):
        st.warning(text.asset_text(asset).format(
            eps=eps, scale=scale, floor=guards.FLOAT32_MIN_RELATIVE_EPS * scale), icon=":material/warning:")


def show_invalid(error: Exception) -> None:
    """An input the registry refuses (or too costly a run): its message, never a traceback."""
    st.error(text.asset_text("guard_invalid.md").format(message=str(error).rstrip(".")), icon=":material/block:")
