"""The background warm-up (rhel_viz.ui.warmup): what it prepares is derived from the controls, and how it
runs (progress, skipping, failures, off switch). tests/browser/test_warmup.py runs it in a real server."""

from __future__ import annotations

from rhel_viz.lab import costs
from rhel_viz.ui import params, warmup


def test_the_plan_covers_every_program_the_controls_can_ask_for_each_once():
    """reachable_programs comes from every option of each page's static controls (tests/lab/test_costs.py
    checks that list against the controls), so a new option is in the plan by itself."""
    views = warmup.plan()
    planned = [program for _, _, programs in views for program in programs]
    reachable = {program for programs in params.reachable_programs().values() for program in programs}
    assert len(planned) == len(set(planned)) and set(planned) == reachable
    # the default views come first, in the order of warmup.DEFAULT_VIEWS
    assert [(page, values) for page, values, _ in views[:len(warmup.DEFAULT_VIEWS)]] == list(warmup.DEFAULT_VIEWS)


def test_run_prepares_skips_what_is_compiled_and_goes_on_after_a_failure():
    done = costs.Program("echo view", ("test-only", 1))
    fresh = costs.Program("echo view", ("test-only", 2))
    broken = costs.Program("echo view", ("test-only", 3))
    costs.COMPILED.add(done)
    prepared = []

    def prepare(page, values):
        if values.get("broken"):
            raise RuntimeError("cannot")
        prepared.append(values)

    views = [("echo", {"n": 1}, (done,)), ("echo", {"broken": True}, (broken,)), ("echo", {"n": 2}, (fresh,))]
    progress = warmup.run(views, prepare, warmup.Progress())
    assert prepared == [{"n": 2}]
    assert progress.state == "done" and progress.done == progress.total == 3
    assert len(progress.failures) == 1 and "RuntimeError: cannot" in progress.failures[0]
    assert fresh in costs.COMPILED and broken not in costs.COMPILED


def test_the_environment_turns_it_off():
    assert warmup.enabled({}) and warmup.enabled({warmup.WARMUP_ENV: "on"})
    for off in ("off", "OFF", "0", "false", "no"):
        assert not warmup.enabled({warmup.WARMUP_ENV: off})


def test_preparing_each_pages_default_view_runs_what_the_page_runs():
    """A real run per page (a changed lab API would otherwise only show up as warm-up failures in a log)."""
    for page, values in warmup.DEFAULT_VIEWS:
        warmup.prepare_view(page, values)
