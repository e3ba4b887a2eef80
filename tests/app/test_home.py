"""The app shell and home page in AppTest."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT


def test_home_renders_without_exception():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "learning by echoes" in at.title[0].value
    assert any("Recurrent Hamiltonian Echo Learning" in md.value for md in at.markdown)
