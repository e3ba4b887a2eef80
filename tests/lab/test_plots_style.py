"""The shared figure style: presentation mode sets every text of a figure large, legends never meet titles,
log axes label in powers of ten. Pure figure checks (the browser measures the drawn result:
tests/browser/test_presentation.py)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots

from rhel_viz.lab.deep import LayerGroupAgreement
from rhel_viz.lab.train import StepRecord
from rhel_viz.plots import deep, gradients, style, training

# What Streamlit's Plotly theme sizes itself (12-16 px) unless the figure says otherwise: in presentation
# mode each of these must be set explicitly.
THEMED = ("legend.font", "title.font", "hoverlabel.font")


def _history(n: int = 30) -> list[StepRecord]:
    losses = np.logspace(0, -22, n)  # the range that used to mix "10µ" with "10⁻²⁰"
    return [StepRecord(step=i + 1, loss_rhel=float(loss), loss_bptt=float(loss), cosine=1.0 - 1e-9, rel_error=1e-8,
                       param_distance=float(loss))
            for i, loss in enumerate(losses)]


def _figures() -> dict[str, go.Figure]:
    rows = [LayerGroupAgreement(layer, group, group, 0.999, 1.001) for layer in (1, 2) for group in ("A", "B")]
    eps = np.logspace(-8, -1, 8)
    errors = {("float64", "centred"): np.logspace(-6, -9, 8), ("float32", "one-sided"): np.logspace(-2, -4, 8)}
    scaling_rows = [{"seq_len": n, "method": method, "seconds_median": 0.01 * n, "seconds_min": 0.009 * n,
                     "seconds_max": 0.011 * n, "peak_mb": 0.1 * n, "must_exist_mb": 0.01 * n}
                    for n in (1000, 2000, 5000) for method in ("forward", "rhel", "bptt")]
    return {"loss": training.loss_figure(_history()), "same_point": training.agreement_figure(_history()),
            "drift": training.drift_figure(_history()),
            "agreement": deep.agreement_figure(rows), "memory": deep.memory_figure(scaling_rows, "XLA peak memory"),
            "sweep": gradients.eps_sweep_figure(eps, errors, current_eps=1e-4),
            "bars": gradients.gradient_bars_figure(["a", "b"], np.ones(2), np.ones(2))}


def _font_sizes(node, path: str = "") -> list[tuple[str, float]]:
    """Every (path, size) of a ``font``-like dict in a figure's JSON."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else key
            if key.endswith("font") and isinstance(value, dict) and value.get("size") is not None:
                sizes = value["size"] if isinstance(value["size"], list) else [value["size"]]
                found += [(where, size) for size in sizes]
            found += _font_sizes(value, where)
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            found += _font_sizes(value, f"{path}[{index}]")
    return found


def _a_bit_of_everything() -> go.Figure:
    """Subplot titles, an annotation, a text trace, buttons and a slider, animation frames, a colour bar."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("left", "right"))
    fig.add_scatter(x=[1, 2], y=[1, 2], mode="markers+text", text=["a", "b"], textfont=dict(size=12),
                    line=dict(width=5), row=1, col=1)
    fig.add_scatter(x=[1, 2], y=[1, 2], mode="lines", name="plain", row=1, col=2)
    fig.add_heatmap(z=[[1, 2], [3, 4]], row=1, col=2)
    fig.add_annotation(x=1, y=1, text="note", font=dict(size=11))
    fig.update_layout(updatemenus=[dict(type="buttons", buttons=[dict(label="Play", method="animate", args=[None])],
                                        font=dict(size=14))],
                      sliders=[dict(steps=[dict(label="0", method="animate", args=[["0"]])],
                                    font=dict(color="rgba(0,0,0,0)", size=1),
                                    currentvalue=dict(font=dict(size=13)))])
    fig.frames = [go.Frame(name="0", data=[go.Scatter(line=dict(color="red")), go.Scatter(line=dict(width=1))],
                           traces=[0, 1])]
    return style.base_layout(fig, "Title", height=400)


def test_presentation_sets_every_text_of_a_figure_to_at_least_the_minimum():
    fig = _a_bit_of_everything()
    big = style.presentation(fig)
    layout = big.layout
    for name in THEMED:
        owner = layout
        for part in name.split("."):
            owner = getattr(owner, part)
        assert owner.size >= style.PRESENT_MIN_TEXT, name
    for axis in [*big.select_xaxes(), *big.select_yaxes()]:
        assert axis.tickfont.size >= style.PRESENT_MIN_TEXT and axis.title.font.size >= style.PRESENT_MIN_TEXT
    assert layout.title.font.size == style.PRESENT_TITLE_SIZE
    assert all(annotation.font.size >= style.PRESENT_FONT_SIZE for annotation in layout.annotations)
    assert big.data[0].textfont.size >= style.PRESENT_MIN_TEXT
    assert big.data[2].colorbar.tickfont.size >= style.PRESENT_MIN_TEXT
    assert layout.updatemenus[0].font.size >= style.PRESENT_FONT_SIZE
    assert layout.sliders[0].currentvalue.font.size >= style.PRESENT_FONT_SIZE
    assert layout.sliders[0].font.size == 1  # hidden (transparent) slider labels keep their size
    visible = [(where, size) for where, size in _font_sizes(big.to_plotly_json())
               if not where.startswith("layout.sliders[0].font")]
    assert visible and all(size >= style.PRESENT_MIN_TEXT for _, size in visible), visible
    assert big.layout.height == 400  # an animation keeps its height (its player is placed for it)
    assert fig.layout.title.font.size == style.TITLE_FONT_SIZE  # the original is untouched
    loss = _figures()["loss"]
    assert style.presentation(loss).layout.height == round(loss.layout.height * style.PRESENT_HEIGHT_SCALE)


def test_presentation_thickens_lines_but_a_frame_keeps_the_width_it_does_not_set():
    big = style.presentation(_a_bit_of_everything())
    assert big.data[0].line.width == 5 + style.PRESENT_MAX_LINE_GAIN  # 1.8 times, but at most 3 px more
    assert big.data[1].line.width == style.PRESENT_MIN_LINE_WIDTH * style.PRESENT_LINE_SCALE  # default width 2
    assert big.frames[0].data[0].line.width is None  # a colour change only: the trace's width stays
    assert big.frames[0].data[1].line.width == style.PRESENT_MIN_LINE_WIDTH


@pytest.mark.parametrize("name", ["loss", "same_point", "drift", "agreement", "memory", "sweep", "bars"])
def test_every_explicit_font_of_a_presented_figure_is_large(name):
    big = style.presentation(_figures()[name])
    sizes = _font_sizes(big.to_plotly_json())
    assert sizes and min(size for _, size in sizes) >= style.PRESENT_MIN_TEXT, sizes
    for axis in [*big.select_xaxes(), *big.select_yaxes()]:
        assert axis.tickfont.size >= style.PRESENT_MIN_TEXT


@pytest.mark.parametrize("present", [False, True])
def test_a_title_and_its_legend_reserve_separate_rows(present):
    fig = _figures()["loss"]
    fig = style.presentation(fig) if present else fig
    title, legend = fig.layout.title, fig.layout.legend
    assert (title.yref, title.y, title.yanchor) == ("container", 1, "top")
    assert (legend.yref, legend.yanchor) == ("container", "top")
    title_bottom_px = style.TITLE_PAD + 1.3 * title.font.size
    assert (1 - legend.y) * fig.layout.height >= title_bottom_px  # the legend starts below the title's line


def test_legends_below_and_the_current_eps_label_inside_the_plot():
    for name in ("agreement", "memory"):
        legend = _figures()[name].layout.legend
        assert (legend.yref, legend.y, legend.yanchor) == ("container", 0, "bottom"), name
    sweep = _figures()["sweep"]
    (label,) = sweep.layout.annotations
    assert (label.yref, label.y, label.yanchor) == ("paper", 1.0, "top")  # inside the plot, below its top
    assert sweep.layout.legend.yref == "container"  # the legend reserves its rows above the plot


def test_log_axes_label_in_powers_of_ten():
    for name in ("loss", "same_point", "drift", "sweep", "memory"):
        fig = _figures()[name]
        logs = [axis for axis in [*fig.select_xaxes(), *fig.select_yaxes()] if axis.type == "log"]
        assert logs and all(axis.exponentformat == "power" for axis in logs), name


def test_theme_text_is_the_placeholder_streamlit_draws_in_its_strongest_text_colour():
    """Streamlit's frontend swaps its GRAY_90 placeholder for gray90 (light) or gray10 (dark): an upgrade that
    renames it would leave our texts near-black on the dark theme."""
    from streamlit.elements.lib.streamlit_plotly_theme import GRAY_90

    assert style.THEME_TEXT == GRAY_90


@pytest.mark.parametrize("present", [False, True])
@pytest.mark.parametrize("name", ["loss", "same_point", "drift", "agreement", "memory", "sweep", "bars"])
def test_ticks_axis_titles_and_legends_are_in_the_theme_text_colour(name, present):
    """Set on every axis (Streamlit's template sets tick and axis-title colours of its own, which a layout
    font colour does not override) and kept by presentation mode; the browser measures the contrast
    (tests/browser/test_theme.py)."""
    fig = _figures()[name]
    fig = style.presentation(fig) if present else fig
    layout = fig.layout
    assert layout.font.color == layout.legend.font.color == style.THEME_TEXT
    for axis in [*fig.select_xaxes(), *fig.select_yaxes()]:
        assert axis.tickfont.color == axis.title.font.color == style.THEME_TEXT, (name, axis.title.text)
