"""Costs of a shared server's work: compile-time estimates, the per-session compile allowance, the memory ceiling."""

from __future__ import annotations

from dataclasses import replace

import jax
import jax.numpy as jnp
import pytest

from rhel_viz.lab import costs, memory
from rhel_viz.lab.deep import AgreementSettings, agreement_cost, live_scaling_plan, live_step_cost
from rhel_viz.lab.echo import echo_view_cost
from rhel_viz.lab.gradient_lab import GradientLabSettings, eps_sweep_cost, gradient_lab_cost
from rhel_viz.lab.guards import OverBudget
from rhel_viz.lab.problems import ProblemConfig
from rhel_viz.lab.tasks import TaskSettings
from rhel_viz.lab.train import init_state, training_cost


def test_a_program_is_charged_its_compile_time_until_it_is_compiled():
    compiled = costs.CompiledPrograms()
    program = costs.Program("echo view", ("springs", 50))
    first = costs.estimate(program, work=26_000_000, compiled=compiled)
    assert first.compile_s == costs.COMPILE_S["echo view"] > 0
    assert first.run_s == pytest.approx(1.0)
    compiled.add(program)
    again = costs.estimate(program, work=26_000_000, compiled=compiled)
    assert again.compile_s == 0 and again.total_s == pytest.approx(1.0)
    assert costs.estimate(costs.Program("echo view", ("springs", 100)), compiled=compiled).compile_s > 0


def test_unknown_program_kind_is_refused():
    with pytest.raises(ValueError, match="unknown program kind"):
        costs.Program("nap", ())


def test_static_choices_select_programs_and_traced_values_do_not():
    config = ProblemConfig(steps=50)
    base = echo_view_cost(config).program
    assert echo_view_cost(ProblemConfig(steps=50, seed=3, step_size=0.2)).program == base  # traced: same program
    assert echo_view_cost(config, "rk4").program != base
    assert echo_view_cost(ProblemConfig(steps=800)).program == base  # every N the pages offer runs padded to 800
    assert echo_view_cost(ProblemConfig(steps=801)).program != base  # a longer run (command line) has its own
    assert echo_view_cost(ProblemConfig(steps=50, dtype="float32")).program != base
    lab = gradient_lab_cost(config, GradientLabSettings())
    assert lab.program == gradient_lab_cost(config, GradientLabSettings(estimator="one-sided")).program
    assert lab.program == gradient_lab_cost(config, GradientLabSettings(gradient_point="full")).program
    assert lab.program == gradient_lab_cost(replace(config, steps=400), GradientLabSettings()).program
    assert lab.program != gradient_lab_cost(config, GradientLabSettings(integrator="euler")).program
    assert lab.program == gradient_lab_cost(config, GradientLabSettings(eps=1e-3, damping=0.1)).program
    # The sweep runs both dtypes, whatever the page's dtype is.
    assert (eps_sweep_cost(config, GradientLabSettings()).program
            == eps_sweep_cost(ProblemConfig(steps=50, dtype="float32"), GradientLabSettings()).program)
    assert agreement_cost(AgreementSettings()).program == agreement_cost(AgreementSettings(eps=1e-3)).program
    assert agreement_cost(AgreementSettings(dtype="float32")).program != agreement_cost(AgreementSettings()).program
    assert live_step_cost("hru", 250, "rhel").program != live_step_cost("hssm4", 250, "rhel").program
    assert live_step_cost("hru", 250, "rhel").program != live_step_cost("hru", 500, "rhel").program


def test_training_cost_names_the_task_shapes_and_counts_the_work():
    state = init_state(TaskSettings())
    cost = training_cost(state)
    assert cost.program.kind == "training update"
    assert cost.run_s > 0
    wider = init_state(TaskSettings(task="signal", width=16))
    assert training_cost(wider).program != cost.program


def test_one_interaction_over_the_ceiling_is_refused_with_its_estimate():
    program = costs.Program("live scaling", ("hssm4",))
    fits = costs.Cost(program, compile_s=max(costs.COMPILE_S.values()), run_s=1.0)
    assert costs.check(fits) is fits  # the largest thing the controls offer fits
    with pytest.raises(OverBudget, match=r"about 50 s .*30 s to compile, 20 s to run"):
        costs.check(costs.Cost(program, compile_s=30.0, run_s=20.0))


def test_compute_ledger_refuses_a_visitor_who_used_the_budget_and_says_when_to_come_back():
    ledger = costs.ComputeLedger(budget_s=20.0, window_s=100.0)
    new = costs.Cost(costs.Program("gradient lab", ("a",)), compile_s=13.0, run_s=0.1)
    ledger.admit("alice", new, now=0.0)  # under the budget: admitted
    ledger.record("alice", 12.0, now=0.0)
    ledger.admit("alice", new, now=1.0)  # 12 s used < 20 s
    ledger.record("alice", 12.0, now=10.0)
    with pytest.raises(OverBudget, match=r"about 24 s .*Try again in 90 s"):
        ledger.admit("alice", new, now=10.0)
    ledger.admit("bob", new, now=10.0)  # another visitor has a share of their own
    assert ledger.used("alice", now=10.0) == 24.0 and ledger.used("bob", now=10.0) == 0.0
    ledger.admit("alice", costs.Cost(new.program, compile_s=0.0, run_s=0.0), now=10.0)  # nothing to do: no refusal
    ledger.admit("alice", new, now=100.0)  # the first 12 s have left the window
    assert ledger.used("alice", now=100.0) == 12.0
    assert ledger.used("alice", now=110.0) == 0.0


def test_memory_relief_releases_compiled_programs_only_above_the_ceiling():
    double = jax.jit(lambda x: 2 * x)
    double(jnp.ones(3))
    compiled = costs.CompiledPrograms()
    compiled.add(costs.Program("echo view", ("x",)))
    assert memory.relieve(release_at_mb=1e9, compiled=compiled) is None  # under the ceiling: nothing happens
    assert double._cache_size() == 1 and len(compiled) == 1
    release = memory.relieve(release_at_mb=0.0, compiled=compiled)  # over it: everything compiled is dropped
    assert release is not None and release.programs == 1 and release.before_mb > 0
    assert double._cache_size() == 0 and len(compiled) == 0
    assert memory.releases[-1] == release
    assert float(double(jnp.ones(3))[0]) == 2.0  # and it compiles again when used


def _another(rule, value):
    """A valid value of ``rule`` other than ``value``."""
    from rhel_viz.lab.rules import Flag, OneOf, Range

    if isinstance(rule, Flag):
        return not value
    if isinstance(rule, OneOf):
        return next(option for option in rule.options if option != value)
    if isinstance(rule, Range):
        return rule.low if value != rule.low else rule.high
    return None


TRAINING_STATIC = ("train_task", "train_system", "train_width", "train_dtype", "train_optimiser",
                   *(f"train_steps_{name}" for name in ("coupling-spring", "signal", "memory", "digits")))


@pytest.mark.parametrize("page", ["echo", "gradients", "training", "deep"])
def test_static_controls_are_exactly_those_that_select_programs(page):
    """Changing a control listed as static changes the programs; changing any other control keeps them inside
    the counted set (traced values keep them as they are; a breaker switches to a listed integrator)."""
    from rhel_viz.lab import scenarios
    from rhel_viz.ui import params

    static = TRAINING_STATIC if page == "training" else params.STATIC_CONTROLS[page]
    defaults = dict(scenarios.DEFAULTS[page])
    if page == "training":
        defaults.update(train_task="signal")  # a task whose system and width are shown
    base = params.view_programs(page, defaults)
    reachable = params.reachable_programs()[page]
    dynamic = {"input_channel", "accumulator_param", "adjoint_coordinate", "train_sample", "deep_model", "deep_live"}
    for key, rule in params.PAGES[page].items():
        if key in dynamic or key not in defaults:
            continue
        changed = params.view_programs(page, {**defaults, key: _another(rule, defaults[key])})
        other_task = key.startswith("train_steps_") and key != "train_steps_signal"  # not the shown task's N
        if key in static and not other_task:
            assert changed != base, f"{page}: {key} is listed as static but selects no new program"
        elif key == "break_integrator":
            assert changed != base and set(changed) <= reachable, key
        else:
            assert changed == base, f"{page}: {key} changes the compiled programs but is not listed as static"


def test_every_view_the_controls_offer_maps_to_a_finite_counted_set_of_programs():
    from rhel_viz.ui import params

    programs = params.reachable_programs()
    assert len(programs["echo"]) == 3 * 2 * 3  # system x dtype x integrator (every N runs at one padded length)
    # The lab: system x dtype x integrator; the eps sweep (both dtypes at once): system x integrator.
    assert len(programs["gradients"]) == 3 * 2 * 3 + 3 * 3
    live_steps = len(live_scaling_plan("hru")) + len(live_scaling_plan("hssm4"))
    assert len(programs["deep"]) == 2 * 2 + live_steps  # layer x dtype, plus the live measurements' steps
    assert all(program.kind in costs.COMPILE_S for found in programs.values() for program in found)
