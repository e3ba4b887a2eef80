"""Lecture mode without a browser: presets, the URL registry, exports and ``python -m rhel_viz export``."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import zipfile
from urllib.parse import parse_qs

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from rhel_viz.lab import scenarios
from rhel_viz.lab.echo import run_echo_view
from rhel_viz.lab.presets import get_preset, load_presets
from rhel_viz.lab.problems import ProblemConfig
from rhel_viz.plots import echo as echo_plots
from rhel_viz.plots import files as export
from rhel_viz.plots import style
from rhel_viz.ui import urlstate
from rhel_viz.ui.lecture import lecture_flags
from rhel_viz.ui.usertext import shown
from tests.helpers import ROOT

EXPECTED_PRESETS = ["Perfect echo", "Friction kills the echo", "Symmetry breaking with eps",
                    "Too small an eps in float32", "Learning the coupling spring", "Long-range memory",
                    "Deep HSSM agreement"]
DYNAMIC_KEYS = {"train_system", "train_width", "train_delay"}  # shown for some training tasks only


def test_presets_load_with_a_purpose_each():
    presets = load_presets()
    assert list(presets) == EXPECTED_PRESETS
    for preset in presets.values():
        assert preset.purpose.endswith(".") and len(preset.purpose) > 40
        assert preset.page in {"echo", "gradients", "training", "deep"}
    assert get_preset("too-small-an-eps-in-float32").name == "Too small an eps in float32"
    with pytest.raises(ValueError, match="choose one of"):
        get_preset("no such preset")


@pytest.mark.parametrize("name", EXPECTED_PRESETS)
def test_each_preset_sets_every_control_of_its_page_with_valid_values(name):
    preset = get_preset(name)
    specs = urlstate.PAGE_PARAMS[preset.page]
    assert set(preset.params) <= set(specs), set(preset.params) - set(specs)
    if preset.page == "training":
        task = preset.params["train_task"]
        required = {key for key in specs if not key.startswith(("train_steps_", "train_lr_"))} - DYNAMIC_KEYS
        required |= {f"train_steps_{task}", f"train_lr_{task}"}
    elif preset.page == "deep":
        required = set(specs)
    else:
        required = set(specs) - ({"mass_1", "mass_2", "k_wall", "k_coupling", "q0", "drive_amp", "drive_freq"}
                                 if preset.params["system"] != "springs" else set())
    assert required <= set(preset.params), required - set(preset.params)
    query = {key: [value] for key, value in urlstate.preset_query(preset).items()}
    translated, dropped, notes = urlstate.check(preset.page, query)
    assert not dropped and not notes and not translated  # the label form is what Streamlit reads itself
    short = parse_qs(preset.query_string())
    translated, dropped, notes = urlstate.check(preset.page, short)
    assert not dropped and not notes, notes


def test_short_names_are_translated_and_bad_values_reported():
    translated, dropped, notes = urlstate.check("echo", {
        "system": ["linear"], "integrator": ["Explicit Euler (not reversible)"], "eps": ["0.001"], "steps": ["50"],
        "h": ["abc"], "seed": ["1.5"], "damping": ["9"], "bogus": ["1"], "present": ["1"]})
    assert translated == {"system": "Linear HRU", "eps": "1e-03"}
    assert sorted(dropped) == ["bogus", "damping", "h", "seed"]
    assert len(notes) == 4 and any(f"{shown('h')} = {shown('abc')}" in note for note in notes)
    assert urlstate.check("no-such-page", {"anything": ["1"]}) == ({}, [], [])


def test_lecture_flags():
    lecture, notes = lecture_flags({"present": "1", "hide": "controls,link,nonsense"})
    assert lecture.present and not lecture.show_controls and not lecture.show_link and not lecture.show_exports
    assert notes == [f"{shown('hide')} = {shown('nonsense')} (choose from controls, link, exports)"]
    assert lecture_flags({})[0].show_exports


def test_scenarios_match_the_controls():
    preset = get_preset("Friction kills the echo")
    config, physics = scenarios.echo_config(preset.params)
    assert config.steps == 200 and dict(config.param_overrides)["k_coupling"] == (0.5,) and physics.damping == 0.1
    _, lab = scenarios.gradient_lab_config({"break_friction": True, "break_integrator": True})
    assert lab.damping == scenarios.BREAK_FRICTION and lab.integrator == scenarios.BREAK_INTEGRATOR
    settings, optimiser, hyper = scenarios.training_config(get_preset("Long-range memory").params)
    assert settings.task == "memory" and settings.delay == 50 and optimiser == "adam" and hyper.learning_rate == 0.05


@pytest.fixture(scope="module")
def animation():
    return echo_plots.animation_figure(run_echo_view(ProblemConfig(steps=50), 1e-4))


def test_figure_data_exports(animation):
    rows = list(csv.DictReader(io.StringIO(export.figure_csv(animation))))
    assert rows and list(rows[0]) == list(export.CSV_COLUMNS)
    assert {"forward"} <= {row["trace"] for row in rows}
    with zipfile.ZipFile(io.BytesIO(export.figure_npz(animation))) as archive:
        assert archive.namelist()
    arrays = np.load(io.BytesIO(export.figure_npz(animation)))
    assert any(np.isfinite(arrays[name]).any() for name in arrays.files)  # NaN marks gaps between segments
    html = export.figure_html(animation)
    frame_names = [frame.name for frame in animation.frames]
    assert len(frame_names) > 10 and all(f'"name":"{name}"' in html for name in frame_names)
    assert '<script src="http' not in html and '<script charset="utf-8" src=' not in html  # inlined: offline


def test_presentation_style_is_a_copy(animation):
    big = style.presentation(animation)
    assert big.layout.font.size == style.PRESENT_FONT_SIZE
    assert animation.layout.font.size == style.FONT_SIZE
    assert len(big.frames) == len(animation.frames)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rhel_viz", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_cli_export_errors_are_one_line_with_exit_code_2(tmp_path):
    for args in (["--preset", "nope", "--out", str(tmp_path)], ["--preset", "Perfect echo", "--updates", "-1",
                                                                 "--out", str(tmp_path)], ["--out", str(tmp_path)]):
        result = _cli("export", *args)
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr


def _widget_keys(at: AppTest) -> set[str]:
    kinds = ("selectbox", "slider", "select_slider", "number_input", "toggle", "radio", "checkbox")
    return {widget.key for kind in kinds for widget in at.get(kind) if widget.key}


@pytest.mark.parametrize(("page", "changes"), [
    ("echo", {}), ("gradients", {}), ("training", {}), ("training", {"train_task": "memory"}), ("deep", {})])
def test_registry_covers_every_bound_widget(page, changes):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page(f"pages/{page}.py")
    if page not in ("training", "deep"):
        at.query_params["steps"] = "50"  # a short sequence from the first run
    at.run()
    for key, value in changes.items():
        at.selectbox(key=key).set_value(value).run()
    assert not at.exception
    keys = _widget_keys(at)
    assert keys <= set(urlstate.PAGE_PARAMS[page]), keys - set(urlstate.PAGE_PARAMS[page])


def test_cli_export_of_the_deep_preset(tmp_path):
    result = _cli("export", "--preset", "deep-hssm-agreement", "--out", str(tmp_path), "--no-images")
    assert result.returncode == 0, result.stderr
    header = (tmp_path / "deep_agreement.csv").read_text().splitlines()[0]
    assert header == ",".join(export.CSV_COLUMNS)
    assert (tmp_path / "deep_memory.csv").stat().st_size > 100  # from the saved benchmark
