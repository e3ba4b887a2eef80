"""Colours, labels and layout shared by every figure, legible in light and dark themes."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

FORWARD = "#2F6FDE"  # forward trajectory
ECHO = "#F4A259"  # free echo (eps = 0)
ECHO_PLUS = "#1B998B"  # echo nudged by +eps
ECHO_MINUS = "#C5283D"  # echo nudged by -eps
TARGET = "#8E7DBE"  # the loss target
RHEL = "#1B998B"
BPTT = "#2F6FDE"
NEUTRAL = "#8a94a8"  # guides, walls, grid-like marks
# Streamlit's Plotly theme draws tick labels and axis titles in its gray70 on light (3.7:1 on white, under
# WCAG AA's 4.5:1 for text). Its frontend replaces placeholder colours anywhere in a figure by theme colours
# (its Plotly theme module): GRAY_90, "#000037", becomes gray90 (near black) on the
# light theme and gray10 (near white) on the dark one, the colour of its legends. Outside Streamlit (the
# exported files, on white) it stays this near-black navy.
THEME_TEXT = "#000037"

FONT_SIZE = 14
TITLE_FONT_SIZE = 16  # Streamlit's theme draws titles at 16 px; set here too, so the legend can sit below it
TITLE_PAD = 6  # pixels above a figure's title
LEGEND_GAP = 4  # pixels between the title and a legend below it
MODEBAR = dict(bgcolor="rgba(0,0,0,0)", color=NEUTRAL, activecolor=FORWARD)  # Plotly's buttons, both themes

# Presentation mode (``?present=1``): larger type and thicker marks for a projector. Streamlit's Plotly theme
# sets 12 px tick labels and legends and 14 px axis titles in the figure's template, which a larger
# ``layout.font`` does not override: every text is set explicitly here (at least PRESENT_MIN_TEXT px).
PRESENT_FONT_SIZE = 20  # body text: legends, axis titles, annotations, buttons
PRESENT_TITLE_SIZE = 24
PRESENT_TICK_SIZE = 18
PRESENT_MIN_TEXT = 18  # no text of a presented figure is smaller
PRESENT_TEXT_SCALE = PRESENT_FONT_SIZE / FONT_SIZE  # sizes a figure sets itself grow by this much
PRESENT_HEIGHT_SCALE = 1.2  # larger text takes room from the plot: give some back (not to animations)
PRESENT_LINE_SCALE = 1.8
PRESENT_MAX_LINE_GAIN = 3.0  # px at most added to a line (thick ones, e.g. stiff springs, stay in proportion)
PRESENT_MIN_LINE_WIDTH = 2.0
PRESENT_MARKER_SCALE = 1.4


def base_layout(fig: go.Figure, title: str | None = None, height: int = 360) -> go.Figure:
    """Transparent background (inherits the Streamlit theme), readable fonts, legend on top.

    Texts in :data:`THEME_TEXT`, which Streamlit draws in its strongest text colour of the viewer's theme:
    tick labels, axis titles, legends and subplot titles reach WCAG AA's 4.5:1 on light and on dark.

    With a title, the title sits at the top of the figure and the legend right below it
    (:func:`legend_on_top`): both reserve their room above the plot, so they never overlap each other or
    the plot, however many rows the legend wraps into. Without one, the legend sits right above the plot
    (paper coordinates, as figures that move it themselves expect); call :func:`legend_on_top` to have it
    reserve its room instead (e.g. above an annotation or subplot titles).
    """
    fig.update_layout(
        height=height,
        margin=dict(l=50, r=20, t=20, b=40),
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font=dict(size=FONT_SIZE, color=THEME_TEXT),
        legend=dict(font=dict(color=THEME_TEXT), title=dict(font=dict(color=THEME_TEXT))),
        uirevision="keep",
        modebar=MODEBAR,
    )
    if title:
        fig.update_layout(title=dict(text=title, font=dict(size=TITLE_FONT_SIZE), x=0, xref="paper", xanchor="left",
                                     y=1, yref="container", yanchor="top", pad=dict(t=TITLE_PAD, b=0, l=0),
                                     automargin=True))
        legend_on_top(fig)
    else:
        fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0))
    axis_style = dict(gridcolor="rgba(128,128,128,0.25)", zerolinecolor="rgba(128,128,128,0.4)",
                      tickfont=dict(color=THEME_TEXT), title=dict(font=dict(color=THEME_TEXT)))
    fig.update_xaxes(**axis_style)
    fig.update_yaxes(**axis_style)
    for axis in _axes(fig):
        if axis.type == "log" and axis.exponentformat is None:
            axis.exponentformat = "power"  # 10⁻⁵ everywhere, never SI prefixes ("10µ", "100p") mixed with powers
    return fig


def legend_on_top(fig: go.Figure) -> go.Figure:
    """A horizontal legend at the top of the figure, below the title if there is one.

    The legend is placed in container coordinates, so plotly.js reserves the top margin down to its last
    row: the plot (and any subplot titles above it) starts below the legend.
    """
    fig.update_layout(legend=dict(orientation="h", xanchor="left", x=0, yref="container", yanchor="top",
                                  y=_legend_top(fig)))
    return fig


def legend_below(fig: go.Figure) -> go.Figure:
    """A horizontal legend at the bottom of the figure, centred; it reserves its rows below the axis title."""
    fig.update_layout(legend=dict(orientation="h", xanchor="center", x=0.5, yref="container", yanchor="bottom",
                                  y=0))
    return fig


def _legend_top(fig: go.Figure) -> float:
    """Container y of the legend's top edge: right below the title's line, or at the top without a title."""
    height = fig.layout.height or 450
    below = TITLE_PAD
    if fig.layout.title.text:
        size = fig.layout.title.font.size or TITLE_FONT_SIZE
        below += 1.3 * size + LEGEND_GAP  # a line of text is about 1.3 font sizes tall
    return 1 - below / height


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
LOG_TICKS_MAX = 7  # labelled decades on a log axis, at most


def power_label(mantissa: int, exponent: int) -> str:
    """"10⁻⁵", or "2·10⁻⁵" for another mantissa: the one format of log-axis labels."""
    power = "10" + str(exponent).translate(_SUPERSCRIPT)
    return power if mantissa == 1 else f"{mantissa}·{power}"


def log_ticks(values) -> dict:
    """``tickvals`` and ``ticktext`` for a log axis showing ``values`` (the positive, finite ones).

    Powers of ten (every k-th, at most LOG_TICKS_MAX); over less than two decades also 2 and 5 times each.
    All labelled as :func:`power_label` at the axis's own font size: plotly.js's own log ticks switch to SI
    prefixes ("10µ", "100p") or plain digits, and draw the 2s and 5s at three quarters of the tick font.
    Over a sliver of a decade (fewer than two such ticks inside), plotly.js's own ticks; none without values.
    """
    values = np.asarray(values, dtype=float).ravel()
    values = values[np.isfinite(values) & (values > 0)]
    if not values.size:
        return {}
    smallest, largest = float(values.min()), float(values.max())
    low, high = math.floor(math.log10(smallest)), math.ceil(math.log10(largest))
    high = max(high, low + 1)
    if math.log10(largest / smallest) < 1.5:
        ticks = [(mantissa, exponent) for exponent in range(low, high + 1) for mantissa in (1, 2, 5)]
        ticks = [(m, e) for m, e in ticks if e < high or m == 1]
    else:
        step = math.ceil((high - low + 1) / LOG_TICKS_MAX)
        ticks = [(1, exponent) for exponent in range(high, low - 1, -step)][::-1]
    inside = [m * 10.0**e for m, e in ticks if smallest * 0.999 <= m * 10.0**e <= largest * 1.001]
    if len(inside) < 2 and smallest < largest:  # a sliver of a decade: plotly.js's own (linear-looking) ticks
        return dict(exponentformat="power")
    return dict(tickvals=[m * 10.0**e for m, e in ticks], ticktext=[power_label(m, e) for m, e in ticks])


def _axes(fig: go.Figure) -> list:
    return [*fig.select_xaxes(), *fig.select_yaxes()]


def presentation(fig: go.Figure) -> go.Figure:
    """A copy of ``fig`` for a projector: every text larger (at least PRESENT_MIN_TEXT px), thicker lines,
    bigger markers, frames included. Works on any figure, also ones not made with :func:`base_layout`."""
    fig = go.Figure(fig)
    layout = fig.layout
    fig.update_layout(font=dict(size=PRESENT_FONT_SIZE), hoverlabel=dict(font=dict(size=PRESENT_MIN_TEXT)),
                      legend=dict(font=dict(size=PRESENT_FONT_SIZE), title=dict(font=dict(size=PRESENT_FONT_SIZE))),
                      margin=dict(l=max(layout.margin.l or 0, 70), b=max(layout.margin.b or 0, 60)))
    if layout.height and not fig.frames:  # an animation's player is placed for its own height: left alone
        layout.height = round(layout.height * PRESENT_HEIGHT_SCALE)
    layout.title.font.size = _bigger(layout.title.font.size, PRESENT_TITLE_SIZE)
    for axis in _axes(fig):
        axis.tickfont.size = _bigger(axis.tickfont.size, PRESENT_TICK_SIZE)
        axis.title.font.size = _bigger(axis.title.font.size, PRESENT_FONT_SIZE)
    if layout.legend.yref == "container" and layout.legend.yanchor == "top" and (layout.legend.y or 0) > 0.5:
        layout.legend.y = min(layout.legend.y, _legend_top(fig))  # below the larger title
    for annotation in layout.annotations:
        annotation.font.size = _bigger(annotation.font.size, PRESENT_FONT_SIZE, annotation.font.color)
    for menu in layout.updatemenus:
        menu.font.size = _bigger(menu.font.size, PRESENT_FONT_SIZE, menu.font.color)
    for slider in layout.sliders:
        slider.font.size = _bigger(slider.font.size, PRESENT_FONT_SIZE, slider.font.color)
        slider.currentvalue.font.size = _bigger(slider.currentvalue.font.size, PRESENT_FONT_SIZE,
                                                slider.currentvalue.font.color)
    if "coloraxis" in layout.to_plotly_json():  # only if set: touching it would draw an empty colour bar
        _bigger_colorbar(layout.coloraxis.colorbar)
    for trace in fig.data:
        _thicken(trace, in_frame=False)
        _bigger_trace_text(trace, in_frame=False)
    for frame in fig.frames:  # a frame's update changes what it sets: sizes it leaves out stay the trace's
        for trace in frame.data:
            _thicken(trace, in_frame=True)
            _bigger_trace_text(trace, in_frame=True)
    return fig


def _transparent(colour) -> bool:
    return isinstance(colour, str) and colour.replace(" ", "").endswith(",0)")


def _bigger(size, default: float, colour=None):
    """A presented font size: ``default`` where the figure set none, else the figure's own scaled up, and never
    below ``default``. Invisible text (a transparent colour, e.g. hidden slider ticks) keeps its size."""
    if _transparent(colour):
        return size
    if size is None:
        return default
    return max(size * PRESENT_TEXT_SCALE, default)


def _bigger_colorbar(colorbar) -> None:
    colorbar.tickfont.size = _bigger(colorbar.tickfont.size, PRESENT_TICK_SIZE)
    colorbar.title.font.size = _bigger(colorbar.title.font.size, PRESENT_FONT_SIZE)


def _bigger_trace_text(trace, in_frame: bool) -> None:
    """Text drawn by a trace (text marks, bar labels), its hover label and its colour bar."""
    for name in ("textfont", "insidetextfont", "outsidetextfont"):
        font = getattr(trace, name) if name in trace else None
        if font is None:
            continue
        if font.size is not None:
            font.size = _scaled(font.size)
        elif not in_frame and name == "textfont" and trace.text is not None:
            font.size = PRESENT_FONT_SIZE
    if "hoverlabel" in trace and trace.hoverlabel.font.size is not None:
        trace.hoverlabel.font.size = _bigger(trace.hoverlabel.font.size, PRESENT_MIN_TEXT)
    # Only a colour bar that is drawn: touching one that is not would make it appear (an empty one).
    if "colorbar" in trace and "showscale" in trace and trace.showscale is not False:  # heatmaps and the like
        _bigger_colorbar(trace.colorbar)
    if "marker" in trace and "showscale" in trace.marker and trace.marker.showscale:
        _bigger_colorbar(trace.marker.colorbar)


def _scaled(size):
    if isinstance(size, int | float):
        return max(size * PRESENT_TEXT_SCALE, PRESENT_MIN_TEXT)
    if isinstance(size, tuple | list):
        return [_scaled(value) for value in size]
    return size


def _thicken(trace, in_frame: bool) -> None:
    """Thicker lines and bigger markers; a frame's update that sets no width keeps the trace's own."""
    if trace.type not in ("scatter", "scattergl"):
        return
    if trace.line is not None and (trace.line.width is not None or not in_frame):
        width = trace.line.width or PRESENT_MIN_LINE_WIDTH
        trace.line.width = max(min(width * PRESENT_LINE_SCALE, width + PRESENT_MAX_LINE_GAIN), PRESENT_MIN_LINE_WIDTH)
    size = trace.marker.size if trace.marker is not None else None
    if isinstance(size, int | float):
        trace.marker.size = size * PRESENT_MARKER_SCALE
    elif isinstance(size, tuple | list) and all(isinstance(value, int | float) for value in size):
        trace.marker.size = [value * PRESENT_MARKER_SCALE for value in size]


# One colour per mass / oscillator (the Echo page: the same in the animation, the trajectories and the phase
# portraits), mid-tone so that each reads on light and dark backgrounds; after the last, the list repeats.
OSCILLATOR_COLOURS = ("#3A78E0", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#8E7DBE", "#A6761D")
# What a curve is, by its line style (its colour says which oscillator): the forward run and the three echoes.
RUN_DASHES = {"forward": "solid", "free": "dot", "plus": "dash", "minus": "dashdot"}
# ... and by the marker that runs along it: the echo nudged by +eps points up, the one nudged by -eps down.
RUN_SYMBOLS = {"forward": "circle", "free": "circle", "plus": "triangle-up", "minus": "triangle-down"}
