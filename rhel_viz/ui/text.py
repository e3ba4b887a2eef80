"""Explanatory text lives in ``assets/*.md``, not in Python strings."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import streamlit as st

ASSETS = Path(__file__).resolve().parents[2] / "assets"


@cache
def asset_text(name: str) -> str:
    """The contents of ``assets/<name>`` (read once per process)."""
    return (ASSETS / name).read_text(encoding="utf-8")


def markdown(name: str) -> None:
    """Render ``assets/<name>.md`` (math in $...$ and $$...$$ is typeset by Streamlit)."""
    st.markdown(asset_text(f"{name}.md"))


def asset_path(name: str) -> str:
    return str(ASSETS / name)
