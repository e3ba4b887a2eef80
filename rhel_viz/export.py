"""``python -m rhel_viz export``: run a lecture preset headless and write its page's figures and data.

The figures are the pages' own (:mod:`rhel_viz.plots`); the file formats are :mod:`rhel_viz.plots.files`.
A preset's values become configs through the pages' own mapping (:mod:`rhel_viz.lab.scenarios`), and
must be what the page's widgets offer (:mod:`rhel_viz.ui.params`): an export shows what the link shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go

from rhel_viz.lab import deep, scaling, scenarios
from rhel_viz.lab.echo import run_echo_view
from rhel_viz.lab.gradient_lab import DEMO_PARAMETER, run_eps_sweep, run_gradient_lab
from rhel_viz.lab.presets import Preset
from rhel_viz.lab.train import Diverged, init_state, predictions, train_step
from rhel_viz.plots import deep as deep_plots
from rhel_viz.plots import echo as echo_plots
from rhel_viz.plots import gradients as gradient_plots
from rhel_viz.plots import training as training_plots
from rhel_viz.plots.files import IMAGE_FORMATS, figure_csv, figure_html, figure_images, figure_npz
from rhel_viz.ui import params

DEFAULT_TRAINING_UPDATES = 30  # a training preset is exported after this many updates


@dataclass(frozen=True)
class PresetFigures:
    """The figures of a preset's page, by file stem; ``animations`` names those exported as HTML too."""

    figures: Mapping[str, go.Figure]
    animations: tuple[str, ...] = ()


def echo_figures(values: Mapping) -> PresetFigures:
    config, physics = scenarios.echo_config(values)
    view = run_echo_view(config, physics.eps, physics.damping, physics.integrator)
    return PresetFigures({"echo_animation": echo_plots.animation_figure(view),
                          "echo_trajectories": echo_plots.trajectories_figure(view),
                          "echo_phase": echo_plots.phase_portraits_figure(view),
                          "echo_energy": echo_plots.energy_figure(view)}, animations=("echo_animation",))


def gradient_figures(values: Mapping) -> PresetFigures:
    config, settings = scenarios.gradient_lab_config(values)
    result = run_gradient_lab(config, settings)
    sweep = run_eps_sweep(config, settings)
    index = result.index_of(values.get("accumulator_param", DEMO_PARAMETER))
    channel = min(int(values.get("input_channel", 0)), result.input_channels - 1)
    coordinate = min(int(values.get("adjoint_coordinate", 0)), result.coordinates - 1)
    return PresetFigures({
        "gradients_bars": gradient_plots.gradient_bars_figure(result.labels, result.rhel, result.bptt),
        "gradients_scatter": gradient_plots.gradient_scatter_figure(result.labels, result.groups, result.rhel,
                                                                    result.bptt),
        "gradients_inputs": gradient_plots.input_gradients_figure(result.time, result.rhel_inputs,
                                                                  result.bptt_inputs, channel),
        "gradients_accumulator": gradient_plots.accumulator_figure(
            result.time, result.integrand[:, index], result.readout_part[index], result.bptt[index],
            result.labels[index]),
        "gradients_sweep": gradient_plots.eps_sweep_figure(sweep.eps, sweep.errors, settings.eps),
        "gradients_adjoint": gradient_plots.adjoint_figure(result.costate_time, result.bptt_costate,
                                                           result.echo_costate, coordinate),
    })


def training_figures(values: Mapping, updates: int = DEFAULT_TRAINING_UPDATES) -> PresetFigures:
    settings, optimiser, hyper = scenarios.training_config(values)
    state = init_state(settings, optimiser)
    try:
        for _ in range(updates):
            train_step(state, hyper)
    except Diverged:
        pass  # the curves up to the divergence are still worth exporting
    sample = int(values.get("train_sample", 0)) % state.data.dataset.inputs.shape[0]
    result = predictions(state, sample)
    prediction = (training_plots.springs_figure(result) if settings.task == "coupling-spring"
                  else training_plots.prediction_figure(result, classes=state.data.labels is not None))
    return PresetFigures({"training_loss": training_plots.loss_figure(state.history),
                          "training_agreement": training_plots.agreement_figure(state.history),
                          "training_drift": training_plots.drift_figure(state.history),
                          "training_parameters": training_plots.parameters_figure(state.snapshots,
                                                                                  state.snapshot_steps),
                          "training_prediction": prediction})


def deep_figures(values: Mapping) -> PresetFigures:
    agreement = deep.run_layer_agreement(scenarios.deep_config(values))
    figures = {"deep_agreement": deep_plots.agreement_figure(agreement.rows)}
    report = scaling.load_results()
    if report is not None:  # the saved benchmark, as the page shows it
        model = values.get("deep_model", "hssm4")
        rows = [row for row in report["rows"] if row["model"] == model]
        figures["deep_memory"] = deep_plots.memory_figure(rows, "XLA peak memory")
        figures["deep_time"] = deep_plots.time_figure(rows, "Gradient time")
    return PresetFigures(figures)


#: Which pages can be exported headless, and how their figures are built.
PAGE_FIGURES = {"echo": echo_figures, "gradients": gradient_figures, "training": training_figures,
                "deep": deep_figures}


def preset_figures(preset: Preset, training_updates: int = DEFAULT_TRAINING_UPDATES) -> PresetFigures:
    """Run a preset's experiment and build its page's figures; pages without an exporter raise, and so
    do values the page's widgets do not offer (:class:`~rhel_viz.lab.rules.InvalidInput`)."""
    builder = PAGE_FIGURES.get(preset.page)
    if builder is None:
        raise ValueError(f"preset {preset.name!r} is on page {preset.page!r}, which has no exporter yet; "
                         f"exportable pages: {sorted(PAGE_FIGURES)}")
    params.check_preset(preset)
    if preset.page == "training":
        return training_figures(preset.params, training_updates)
    return builder(preset.params)


def export_preset(preset: Preset, out: Path, training_updates: int = DEFAULT_TRAINING_UPDATES,
                  images: bool = True) -> list[Path]:
    """Write every file of a preset into ``out``: PNG, SVG, CSV and NPZ per figure, HTML per animation."""
    built = preset_figures(preset, training_updates)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, fig in built.figures.items():
        written.append(_write(out / f"{stem}.csv", figure_csv(fig)))
        written.append(_write(out / f"{stem}.npz", figure_npz(fig)))
        if stem in built.animations:
            written.append(_write(out / f"{stem}.html", figure_html(fig)))
    if images:
        jobs = [(stem, fmt) for stem in built.figures for fmt in IMAGE_FORMATS]
        rendered = figure_images([built.figures[stem] for stem, _ in jobs], [fmt for _, fmt in jobs])
        written += [_write(out / f"{stem}.{fmt}", data) for (stem, fmt), data in zip(jobs, rendered, strict=True)]
    (out / "preset.txt").write_text(f"{preset.name}\n{preset.purpose}\n{preset.url()}\n", encoding="utf-8")
    return [*written, out / "preset.txt"]


def _write(path: Path, data: str | bytes) -> Path:
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path
