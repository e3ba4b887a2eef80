"""The classroom machinery: websocket clients, run slots, shared figures and tasks (timings: ``bench load``)."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks import loadtest, wsclient
from rhel_viz.lab.rules import InvalidInput
from rhel_viz.lab.tasks import TaskSettings, build_task
from rhel_viz.ui import cache


def test_small_classroom_of_websocket_clients_finishes_every_page_without_errors():
    report = loadtest.run_load(sessions=2, client="websocket", ramp_s=0.5, settle_s=0.5)
    assert report["errors"] == 0, report["first_errors"]
    assert report["pages_finished"] == 2 * len(loadtest.PAGES)
    assert report[f"{loadtest.STEP}_p50_s"] > 0  # the training updates ran and were timed
    assert report[f"{loadtest.TICK}_p50_s"] > 0  # Play started the live view's timer runs
    assert report["play_updates_per_session_min"] >= 1  # and they trained
    # Every page run and every click was logged by the app itself: 4 pages + 3 updates per session.
    assert report["server_runs"] >= 2 * (len(loadtest.PAGES) + loadtest.TRAINING_UPDATES)
    # Memory: under the stated ceiling at its peak, and back near where it was once the sessions closed.
    assert report["server_rss_peak_mb"] < loadtest.SOAK_CEILING_MB
    assert report["server_rss_after_close_over_baseline"] < 1.5
    assert report["server_cpu_s"] > 0


def test_small_classroom_of_browsers_finishes_every_page_and_plays():
    report = loadtest.run_load(sessions=2, client="browser", ramp_s=0.5, settle_s=0.5)
    assert report["errors"] == 0, report["first_errors"]
    assert report["pages_finished"] == 2 * len(loadtest.PAGES)
    assert report["play_updates_per_session_min"] >= 1


def test_soak_views_cover_every_static_option_and_the_soak_samples_memory():
    views = loadtest.soak_views()
    echo = [query for page, query in views if page == "echo"]
    assert len(echo) == 18 and len({tuple(sorted(query.items())) for query in echo}) == 18  # system, dtype, integ.
    assert {page for page, _ in views} == {"echo", "gradients", "training", "deep"}
    # A few views of two pages on a fresh server: no errors, one memory sample per view, under the ceiling.
    few = [next(view for view in views if view[0] == page) for page in ("echo", "training")]
    report = loadtest.run_soak(views=few, fresh_cache=False)
    assert report["errors"] == 0, report["first_errors"]
    assert report["views"] == 2 and report["server_rss_mb_every_10_views"][-1].startswith("2: ")
    assert report["reachable_programs"] > 300
    assert report["server_rss_peak_mb"] < loadtest.SOAK_CEILING_MB


def test_client_records_exceptions_and_widget_ids_from_deltas():
    run = wsclient.PageRun()
    message = ForwardMsg()
    message.delta.new_element.exception.type = "ValueError"
    message.delta.new_element.exception.message = "boom"
    wsclient._record_delta(message, run)
    button = ForwardMsg()
    button.delta.new_element.button.id = "$$ID-0123abcd-train_step"
    wsclient._record_delta(button, run)
    dashed = ForwardMsg()
    dashed.delta.new_element.slider.id = "$$ID-89ef-train_steps_coupling-spring"
    wsclient._record_delta(dashed, run)
    metric = ForwardMsg()
    metric.delta.new_element.metric.label = "Updates"
    metric.delta.new_element.metric.body = "7"
    wsclient._record_delta(metric, run)
    assert run.exceptions == ["ValueError: boom"]
    assert run.widget_ids == {"train_step": "$$ID-0123abcd-train_step",
                              "train_steps_coupling-spring": "$$ID-89ef-train_steps_coupling-spring"}
    assert run.metrics == {"Updates": "7"}
    assert run.elements == {"exception": 1, "button": 1, "slider": 1, "metric": 1}


def test_unknown_client_is_refused():
    with pytest.raises(ValueError, match="client"):
        loadtest.run_load(sessions=1, client="carrier-pigeon")


def test_shared_figure_is_built_once_per_builder_and_key():
    calls: list[float] = []

    def line(value: float) -> go.Figure:
        calls.append(value)
        return go.Figure(go.Scatter(y=[value, value]))

    first = cache.figure(line, 1.0, key=("test-shared-figure", 1.0))
    again = cache.figure(line, 1.0, key=("test-shared-figure", 1.0))
    other = cache.figure(line, 2.0, key=("test-shared-figure", 2.0))
    assert first is again and calls == [1.0, 2.0]
    assert list(other.data[0].y) == [2.0, 2.0]


def test_tasks_are_built_once_and_invalid_settings_still_raise():
    settings = TaskSettings()
    assert build_task(settings) is build_task(settings)
    with pytest.raises(InvalidInput):
        build_task(TaskSettings(task="no-such-task"))
    with pytest.raises(InvalidInput):  # not cached as a success either
        build_task(TaskSettings(task="no-such-task"))


def test_heavy_scenario_runs_every_kind_of_session_and_reports_the_classroom():
    """A small run of ``bench load-heavy`` with light heavy paths (the HRU's live measurement, the spring task):
    every kind of session did its work, nothing failed, and the cached Echo page answered every student."""
    report = loadtest.run_heavy(students=2, visits=2, seconds=6.0, deep="deep?deep_live=true&deep_model=hru",
                                training="train_task=coupling-spring", fresh_cache=False)
    assert report["errors"] == 0, report["first_errors"]
    assert report["echo_loads"] == 4
    assert len(report["deep_live_s"]) == 2
    assert len(report["training_updates_per_trainer"]) == 4 and min(report["training_updates_per_trainer"]) >= 1
    assert report["exports"] >= 2
    assert report["server_rss_peak_mb"] < loadtest.SOAK_CEILING_MB
