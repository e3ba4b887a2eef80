"""Training playground: its controls, its per-session state and its live (fragment) view.

The training state lives in ``st.session_state`` (one per browser session, never shared). The live
view is a fragment that reruns on a timer only while training plays; each run does a bounded
amount of work (``TICK_BUDGET_S``), so widgets elsewhere on the page stay responsive. Leaving the
page stops the work: the fragment only exists while the page is shown.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import streamlit as st

from rhel_viz.lab import scenarios
from rhel_viz.lab.guards import OverBudget
from rhel_viz.lab.rules import InvalidInput
from rhel_viz.lab.tasks import TASKS, TaskSettings
from rhel_viz.lab.train import (
    MAX_UPDATES,
    Diverged,
    Hyper,
    TrainState,
    accuracy,
    init_state,
    predictions,
    train_step,
    training_cost,
)
from rhel_viz.plots import training as figures
from rhel_viz.ui import figures as shown
from rhel_viz.ui import guards, linknotes, params, slots
from rhel_viz.ui.cache import owner, preparing
from rhel_viz.ui.controls import SYSTEM_LABELS, format_eps
from rhel_viz.ui.params import LEARNING_RATES, MAX_SAMPLE

__all__ = ["LEARNING_RATES", "MAX_SAMPLE", "MAX_UPDATES", "OPTIMISER_LABELS", "Choices", "buttons", "controls",
           "count_page_run", "live_view"]

RUN_EVERY_S = 0.5  # live view refresh period while playing
TICK_BUDGET_S = 0.1  # at most this much training per refresh (at least one update): a rerun waits no longer
# MAX_UPDATES (training pauses there: bounds the history kept in the session) is the library's limit;
# LEARNING_RATES and MAX_SAMPLE (the "Sample shown" slider's range) are the widgets' (ui.params).
OPTIMISER_LABELS = {"adam": "Adam", "sgd": "SGD"}

STATE_KEY = "training_state"
RUNNING_KEY = "training_running"
PAGE_RUNS_KEY = "training_page_runs"
LIVE_RUNS_KEY = "training_live_runs"
FULL_RUN_KEY = "training_in_full_run"  # set by the page script, cleared by the fragment
REFUSED_KEY = "training_refused"  # why the last update did not run (the compile allowance); shown once


@dataclass(frozen=True)
class Choices:
    """What the sidebar set: the task (a change resets training) and the live hyper-parameters."""

    settings: TaskSettings
    optimiser: str
    hyper: Hyper


def controls(container=None) -> Choices:
    """Task, system, width, N, delay, learning rate, optimiser, eps, dtype, seed (all bound to the URL).

    The widgets a task shows are read into control values; :func:`rhel_viz.lab.scenarios.training_config`
    (shared with the presets and the export) turns them into the task settings and hyper-parameters.
    """
    box = container or st.sidebar
    rules, defaults = params.TRAINING, scenarios.DEFAULTS["training"]

    def choice(label: str, key: str, **kwargs):
        options = rules[key].options
        return box.selectbox(label, options, index=options.index(defaults[key]), key=key, bind="query-params",
                             **kwargs)

    def slider(label: str, key: str, options=None, **kwargs):
        return box.select_slider(label, rules[key].options if options is None else options, value=defaults[key],
                                 key=key, bind="query-params", **kwargs)

    task_name = choice("Task", "train_task", format_func=lambda name: TASKS[name].title)
    values = {"train_task": task_name}
    hidden = params.hidden_controls("training", values)  # a link's values for these get a note
    linknotes.not_shown(hidden)
    if "train_system" not in hidden:
        values["train_system"] = choice("System", "train_system", format_func=SYSTEM_LABELS.get)
        values["train_width"] = slider("Width (oscillators)", "train_width")
    steps_key, lr_key = f"train_steps_{task_name}", f"train_lr_{task_name}"
    values[steps_key] = slider("Sequence length N", steps_key)
    if "train_delay" not in hidden:
        steps = values[steps_key]
        delays = params.delay_choices(steps)
        linknotes.check_options("train_delay", delays, f"the delay must be below N = {steps}; "
                                + linknotes.one_of([str(delay) for delay in delays]))
        values["train_delay"] = slider("Delay d (steps)", "train_delay", delays)
    values[lr_key] = slider("Learning rate", lr_key)
    values["train_optimiser"] = choice("Optimiser", "train_optimiser", format_func=OPTIMISER_LABELS.get)
    values["train_eps"] = slider("Nudging ε", "train_eps", format_func=format_eps)
    values["train_dtype"] = choice("Precision", "train_dtype")
    seed_min, seed_max = int(rules["train_seed"].low), int(rules["train_seed"].high)
    values["train_seed"] = box.number_input("Seed", seed_min, seed_max, defaults["train_seed"], key="train_seed",
                                            bind="query-params")
    return Choices(*scenarios.training_config(values))


def count_page_run() -> int:
    """Count full-page runs of this session (the live view's refreshes do not count)."""
    st.session_state[PAGE_RUNS_KEY] = st.session_state.get(PAGE_RUNS_KEY, 0) + 1
    st.session_state[FULL_RUN_KEY] = True
    return st.session_state[PAGE_RUNS_KEY]


def current_state(choices: Choices) -> TrainState:
    """This session's training state; a new task, size, dtype, seed or optimiser starts afresh (paused)."""
    state: TrainState | None = st.session_state.get(STATE_KEY)
    if state is None or state.settings != choices.settings or state.optimiser != choices.optimiser:
        with st.spinner("Building the task…"):
            state = init_state(choices.settings, choices.optimiser)
        st.session_state[STATE_KEY] = state
        st.session_state[RUNNING_KEY] = False
    return state


def _play() -> None:
    st.session_state[RUNNING_KEY] = True


def _pause() -> None:
    st.session_state[RUNNING_KEY] = False


def _reset() -> None:
    st.session_state.pop(STATE_KEY, None)
    st.session_state[RUNNING_KEY] = False


def _step_once(hyper: Hyper) -> None:
    st.session_state[RUNNING_KEY] = False
    state: TrainState | None = st.session_state.get(STATE_KEY)
    if state is not None:
        try:
            slots.compute(training_cost(state), owner(), train_step, state, hyper)
        except OverBudget as error:  # the session's compile allowance: nothing ran, try again later
            st.session_state[REFUSED_KEY] = str(error)
        except Diverged:
            pass  # the message is on the state and shown by the live view
        except InvalidInput as error:
            state.error = str(error)  # shown by the live view, like a divergence


#: Keyboard shortcuts (shown on the buttons): a lecturer can drive training without the mouse.
SHORTCUTS = {"play": "P", "pause": "K", "step": "N", "reset": "X"}


def buttons(choices: Choices) -> None:
    """Play, pause, one update, reset; each with a keyboard shortcut."""
    running = st.session_state.get(RUNNING_KEY, False)
    play, pause, once, reset = st.columns(4)
    play.button("Play", key="train_play", on_click=_play, disabled=running, icon=":material/play_arrow:",
                width="stretch", shortcut=SHORTCUTS["play"])
    pause.button("Pause", key="train_pause", on_click=_pause, disabled=not running, icon=":material/pause:",
                 width="stretch", shortcut=SHORTCUTS["pause"])
    once.button("Step one update", key="train_step", on_click=_step_once, args=(choices.hyper,),
                icon=":material/skip_next:", width="stretch", shortcut=SHORTCUTS["step"])
    reset.button("Reset", key="train_reset", on_click=_reset, icon=":material/restart_alt:", width="stretch",
                 shortcut=SHORTCUTS["reset"])


def _advance(state: TrainState, hyper: Hyper) -> None:
    """Train for at most TICK_BUDGET_S (at least one update); pause on divergence or at MAX_UPDATES."""
    try:
        slots.compute(training_cost(state), owner(), _train_for, state, hyper, TICK_BUDGET_S)
    except OverBudget as error:  # the session's compile allowance: pause, say why, keep the state
        st.session_state[REFUSED_KEY] = str(error)
        st.session_state[RUNNING_KEY] = False
        st.rerun(scope="app")
    except Diverged:
        pass
    except InvalidInput as error:  # a fragment would show it as a traceback: keep it as the state's message
        state.error = str(error)
    if state.error or state.step >= MAX_UPDATES:
        st.session_state[RUNNING_KEY] = False
        st.rerun(scope="app")  # the timer stops with a full run


def _train_for(state: TrainState, hyper: Hyper, seconds: float) -> None:
    """Updates until ``seconds`` have passed (at least one) or training reaches MAX_UPDATES."""
    deadline = time.perf_counter() + seconds
    while True:
        train_step(state, hyper)
        if state.step >= MAX_UPDATES or time.perf_counter() > deadline:
            break


def live_view(choices: Choices, sample: int) -> None:
    """The fragment: trains while playing, then draws metrics and figures. Refreshes alone on a timer."""
    running = st.session_state.get(RUNNING_KEY, False)
    st.fragment(run_every=RUN_EVERY_S if running else None)(_live_body)(choices, sample)


def _live_body(choices: Choices, sample: int) -> None:
    # Timer runs of the fragment take their turn after page runs visitors asked for (a full-page run that
    # draws the fragment already holds its slot: no second one).
    with slots.run_slot(priority=slots.REFRESH):
        _draw_live_body(choices, sample)


def _draw_live_body(choices: Choices, sample: int) -> None:
    try:
        state = current_state(choices)
    except InvalidInput as error:  # e.g. over the cost budget; inside a fragment it must be caught here
        guards.show_invalid(error)
        return
    # Train only on the fragment's own timer runs: a full-page run (a widget changed) just redraws,
    # so the page answers quickly.
    in_full_run = st.session_state.pop(FULL_RUN_KEY, False)
    if st.session_state.get(RUNNING_KEY, False) and not state.error and not in_full_run:
        with preparing(training_cost(state)):  # says so while the first update of a setting compiles
            _advance(state, choices.hyper)
    st.session_state[LIVE_RUNS_KEY] = st.session_state.get(LIVE_RUNS_KEY, 0) + 1
    refused = st.session_state.pop(REFUSED_KEY, None)
    if refused:
        guards.show_invalid(OverBudget(refused))
    if state.error:
        st.error(state.error, icon=":material/error:")
    _metrics(state)
    st.caption(f"Live view refreshes: {st.session_state[LIVE_RUNS_KEY]}")
    if not state.history:
        st.info("Press **Play** to train, or **Step one update**.", icon=":material/info:")
        return
    left, right = st.columns(2)
    shown.show(figures.loss_figure(state.history), "train_loss_chart", left)
    shown.show(figures.cosine_figure(state.history), "train_cosine_chart", right)
    left, right = st.columns(2)
    shown.show(figures.parameters_figure(state.snapshots), "train_params_chart", left)
    result = predictions(state, sample % state.data.dataset.inputs.shape[0])
    if state.settings.task == "coupling-spring":
        shown.show(figures.springs_figure(result), "train_prediction_chart", right)
    else:
        shown.show(figures.prediction_figure(result, classes=state.data.labels is not None),
                   "train_prediction_chart", right)


def _metrics(state: TrainState) -> None:
    last = state.history[-1] if state.history else None
    columns = st.columns(5)
    columns[0].metric("Updates", state.step)
    # three digits: "1.23e-07" fits a fifth of the page at 1280 px with the sidebar open; four were cut off
    columns[1].metric("Loss (RHEL)", f"{last.loss_rhel:.3g}" if last else "–")
    columns[2].metric("Loss (BPTT)", f"{last.loss_bptt:.3g}" if last else "–")
    gap = state.max_relative_loss_gap
    columns[3].metric("Max relative loss gap", f"{gap:.1e}" if last else "–",
                      help="max over updates of |L_RHEL − L_BPTT| / L_BPTT")
    score = accuracy(state) if state.data.labels is not None and last else None
    if score is not None:
        columns[4].metric("Accuracy (RHEL, train set)", f"{100 * score:.0f}%")
    elif last:
        columns[4].metric("1 − gradient cosine", f"{max(1.0 - last.cosine, 0.0):.1e}")
