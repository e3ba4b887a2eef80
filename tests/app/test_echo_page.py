"""The Echo page in AppTest: every widget by key, every system x integrator, the guards."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT

PAGE = str(ROOT / "pages" / "echo.py")
FAST_STEPS = 50
CHARTS = 4  # animation, trajectories, phase portraits, energy and retrace error


def _page(**widgets) -> AppTest:
    """The page at a short sequence length, with the given selectbox values set by key, already run."""
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["steps"] = str(FAST_STEPS)  # opened at the short length: no run at the default one
    at.run()
    assert at.select_slider(key="steps").value == FAST_STEPS
    if not widgets:
        return at
    for key, value in widgets.items():
        at.selectbox(key=key).set_value(value)
    return at.run()


def _charts(at: AppTest) -> list:
    return at.get("plotly_chart")


WIDGET_CHANGES = [
    ("selectbox", "loss", "final"),
    ("slider", "h", 0.2),
    ("selectbox", "dtype", "float32"),
    ("select_slider", "eps", 1e-2),
    ("slider", "damping", 0.05),
    ("selectbox", "integrator", "rk4"),
    ("slider", "mass_1", 2.0),
    ("slider", "mass_2", 0.5),
    ("slider", "k_wall", 2.0),
    ("slider", "k_coupling", 1.5),
    ("slider", "q0", -0.5),
    ("slider", "drive_amp", 0.5),
    ("slider", "drive_freq", 2.0),
    ("select_slider", "magnify", "1e4"),
    ("select_slider", "steps", 100),
    ("selectbox", "system", "nonlinear"),
    ("number_input", "seed", 3),  # disabled for the masses and springs (nothing random)
]
BESIDE_THE_ANIMATION = {"system", "h", "eps", "damping", "magnify"}  # in the main area, not the sidebar


def _keys(block) -> set[str]:
    kinds = ("selectbox", "slider", "select_slider", "number_input")
    return {widget.key for kind in kinds for widget in getattr(block, kind) if widget.key}


def test_default_view_renders_every_figure():
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert "echo" in at.title[0].value
    assert len(_charts(at)) == CHARTS
    assert not at.warning and not at.error
    assert BESIDE_THE_ANIMATION <= _keys(at.main) and not BESIDE_THE_ANIMATION & _keys(at.sidebar)
    assert at.number_input(key="seed").disabled  # the masses and springs have nothing random


#: The four figures of the default view, as sent to the browser (JSON bytes): the animation ~372 kB, the others
#: ~107 kB. Was 581 kB before the animation's frames left out what never moves and its slider kept a step every
#: few frames. Every byte is parsed, restyled and drawn by the browser on each change of the view.
DEFAULT_VIEW_PAYLOAD_CEILING = 520_000


def test_default_view_payload_stays_under_its_ceiling():
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    sizes = [len(chart.proto.spec.encode()) for chart in _charts(at)]
    assert len(sizes) == CHARTS
    assert sum(sizes) < DEFAULT_VIEW_PAYLOAD_CEILING, sizes


def test_every_widget_changes_without_exception():
    at = _page()
    for kind, key, value in WIDGET_CHANGES:
        getattr(at, kind)(key=key).set_value(value)
        at.run()
        assert not at.exception, (key, at.exception)
        assert len(_charts(at)) == CHARTS, key


@pytest.mark.parametrize("system", ["springs", "linear", "nonlinear"])
@pytest.mark.parametrize("integrator", ["leapfrog", "euler", "rk4"])
def test_every_system_and_integrator_renders(system, integrator):
    at = _page(system=system, integrator=integrator)
    assert not at.exception
    assert len(_charts(at)) == CHARTS
    assert not at.error


def test_spring_controls_only_for_springs():
    at = _page(system="linear")
    assert not [widget for widget in at.slider if widget.key == "k_coupling"]
    assert not at.number_input(key="seed").disabled


def test_unstable_step_size_warns_instead_of_plotting():
    at = _page()
    at.slider(key="mass_1").set_value(0.1)
    at.slider(key="mass_2").set_value(0.1)
    at.slider(key="k_wall").set_value(10.0)
    at.slider(key="h").set_value(0.5)
    at.run()
    assert not at.exception
    assert at.warning and "Unstable step size" in at.warning[0].value
    assert not _charts(at)


def test_a_page_stopped_by_a_guard_still_gets_its_link_box():
    """guards.stop_page ends the page early; app.py still draws the "copy link" box (st.stop() would not)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/echo.py")
    at.query_params["steps"] = str(FAST_STEPS)
    at.run()
    assert len(at.sidebar.code) == 1 and _charts(at)
    at.slider(key="mass_1").set_value(0.1)
    at.slider(key="mass_2").set_value(0.1)
    at.slider(key="k_wall").set_value(10.0)
    at.slider(key="h").set_value(0.5).run()
    assert not at.exception
    assert at.warning and "Unstable step size" in at.warning[0].value and not _charts(at)
    assert len(at.sidebar.code) == 1, "no link box after the page stopped"


def test_non_finite_run_shows_an_error_instead_of_plots():
    at = _page(dtype="float32", integrator="euler")
    at.slider(key="h").set_value(1.0)
    at.select_slider(key="steps").set_value(400)
    at.run()
    assert not at.exception
    assert at.error and "NaN or infinite" in at.error[0].value
    assert not _charts(at)
