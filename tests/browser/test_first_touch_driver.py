"""The first-touch benchmark's driver (benchmarks/firsttouch.py) changes each kind of control the pages use
and times the run it causes: a select box, sliders at their minimum and in the middle, a radio, a toggle, a
number input; a disabled control is skipped. The benchmark's figures come from ``bench first-touch``."""

from __future__ import annotations

from benchmarks.firsttouch import _time_changes


def test_the_driver_changes_every_kind_of_control_and_times_its_run(app_server, chromium):
    echo = _time_changes(app_server, chromium, "echo", ["dtype", "damping", "eps", "seed"])
    gradients = _time_changes(app_server, chromium, "gradients", ["estimator", "break_friction"])
    training = _time_changes(app_server, chromium, "training", ["train_seed"])
    for report in (echo, gradients, training):
        assert report["failed"] == {}, report["failed"]
    assert set(echo["seconds_per_control"]) == {"dtype", "damping", "eps"}
    assert echo["skipped"] == ["seed"]  # the springs' seed is disabled: it changes nothing
    assert set(gradients["seconds_per_control"]) == {"estimator", "break_friction"}
    assert set(training["seconds_per_control"]) == {"train_seed"}
    reports = (echo, gradients, training)
    assert all(0 < seconds < 120 for report in reports for seconds in report["seconds_per_control"].values())
