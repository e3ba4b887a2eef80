"""Every use of Plotly's private internals, in one place, each behind a small named function.

Checked against Plotly 7.1.0. Plotly has no public way to attach animation frames without validating
every trace of every frame again (``fig.frames = ...``, ``go.Figure(frames=...)`` and ``go.Frame(...)``
all do), which costs about 1 s for the echo animation's 300 frames of known-valid shape, on every page
run. ``tests/lab/test_plotly_internals.py`` checks that what is used here still exists and behaves as
assumed, and that no other module of the package uses it: when a Plotly upgrade breaks one, that test
names what to fix here.
"""

from __future__ import annotations

from collections.abc import Iterable

import plotly.graph_objects as go

__all__ = ["attach_frames", "unvalidated_frame"]


def unvalidated_frame(**props) -> go.Frame:
    """A ``go.Frame`` that keeps ``props`` (plain dicts and lists) as given, unvalidated.

    Uses the constructor's private ``_validate=False``. Such a frame serialises as given
    (``to_plotly_json``, ``fig.to_dict()``, ``fig.to_json()``) and ``frame.name`` reads back, but its
    ``frame.data`` cannot be read as trace objects: copy the figure with ``go.Figure(fig)`` first,
    which validates the frames into ordinary ones (``rhel_viz.plots.style.presentation`` does).
    """
    return go.Frame(**props, _validate=False)


def attach_frames(fig: go.Figure, frames: Iterable[go.Frame]) -> None:
    """Set ``fig``'s animation frames without re-validating them (the private ``fig._frame_objs``)."""
    fig._frame_objs = tuple(frames)
