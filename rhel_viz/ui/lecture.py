"""Lecture flags read from the URL: ``?present=1`` (presentation mode) and ``?hide=controls,link,exports``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st

from rhel_viz.ui.usertext import ignored_note

PRESENT = "present"
HIDE = "hide"
HIDE_CHOICES = ("controls", "link", "exports")  # what ``hide=a,b`` can hide


@dataclass(frozen=True)
class Lecture:
    """The lecture flags of this run: presentation mode and what is hidden."""

    present: bool = False
    hidden: frozenset[str] = frozenset()

    @property
    def show_controls(self) -> bool:
        return "controls" not in self.hidden

    @property
    def show_link(self) -> bool:
        return "link" not in self.hidden and not self.present

    @property
    def show_exports(self) -> bool:
        return "exports" not in self.hidden and not self.present


def lecture_flags(query: Mapping[str, str]) -> tuple[Lecture, list[str]]:
    """Parse ``present`` and ``hide``; returns the flags and the notes for values that were not understood."""
    notes = []
    present_raw = query.get(PRESENT)
    present = present_raw is not None and present_raw.lower() in ("1", "true", "yes", "on")
    if present_raw is not None and present_raw.lower() not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
        notes.append(ignored_note(PRESENT, present_raw, "use 1 or 0"))
    hidden = set()
    for item in filter(None, (query.get(HIDE) or "").split(",")):
        if item in HIDE_CHOICES:
            hidden.add(item)
        else:
            notes.append(ignored_note(HIDE, item, f"choose from {', '.join(HIDE_CHOICES)}"))
    return Lecture(present=present, hidden=frozenset(hidden)), notes


def current_lecture() -> Lecture:
    """The lecture flags of this run (read from the URL)."""
    return lecture_flags(st.query_params.to_dict())[0]
