"""Training playground: its controls, its per-session state and its live (fragment) view.

The training state lives in ``st.session_state`` (one per browser session, never shared; bounded: see
:data:`rhel_viz.lab.train.HISTORY_CAP`). The live view is a fragment that reruns on a timer only while
training plays; each run does a bounded amount of work (``TICK_BUDGET_S``), so widgets elsewhere on the
page stay responsive. Playback runs at a chosen speed (updates per second, :data:`SPEEDS`) and each Play
pauses after :data:`STOP_AFTER` updates unless the user lifts that stop. Leaving the page stops the work:
the fragment only exists while the page is shown.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import streamlit as st

from rhel_viz.lab import scenarios
from rhel_viz.lab.guards import OverBudget
from rhel_viz.lab.rules import InvalidInput
from rhel_viz.lab.tasks import TASKS, TaskSettings
from rhel_viz.lab.train import (
    Diverged,
    Hyper,
    TrainState,
    accuracy,
    digit_images,
    init_state,
    predicted_labels,
    predictions,
    train_step,
    training_cost,
)
from rhel_viz.plots import training as figures
from rhel_viz.ui import figures as shown
from rhel_viz.ui import guards, linknotes, params, slots
from rhel_viz.ui.cache import owner, preparing
from rhel_viz.ui.controls import SYSTEM_LABELS, format_eps
from rhel_viz.ui.params import DEFAULT_SPEED, LEARNING_RATES, MAX_SAMPLE, SPEEDS, STOP_AFTER

__all__ = ["LEARNING_RATES", "MAX_SAMPLE", "OPTIMISER_LABELS", "SPEEDS", "STOP_AFTER", "Choices", "Playback",
           "buttons", "controls", "count_page_run", "live_view", "page_run_marker", "playback_controls"]

RUN_EVERY_S = 0.5  # live view refresh period while playing (1 s at one update per second)
TICK_BUDGET_S = 0.1  # at most this much training per refresh (at least one update): a rerun waits no longer
MAX_CREDIT_S = 2.0  # a refresh that came late catches up at most this many seconds of updates (plus one)
# LEARNING_RATES, MAX_SAMPLE (the "Sample shown" slider's range), SPEEDS and STOP_AFTER are the widgets' (ui.params).
OPTIMISER_LABELS = {"adam": "Adam", "sgd": "SGD"}

STATE_KEY = "training_state"
RUNNING_KEY = "training_running"
PAGE_RUNS_KEY = "training_page_runs"
FULL_RUN_KEY = "training_in_full_run"  # set by the page script, cleared by the fragment
REFUSED_KEY = "training_refused"  # why the last update did not run (the compile allowance); shown once
PLAY_FROM_KEY = "training_play_from"  # the update at which Play was pressed (the stop counts from there)
CREDIT_KEY = "training_credit"  # (updates owed at the chosen speed, when last counted)
DRIFT_NOTE = ("The two copies drift apart although their gradients agree: each update's tiny difference (about "
              "1e-10, from round-off and the ε² error) is amplified, by Adam's per-entry normalisation and by "
              "training's chaotic dynamics, so after hundreds of updates the copies' parameters and losses can part; "
              "the agreement chart compares both gradients at the same parameters, which is what RHEL claims.")
AGREEMENT_HELP = ("relative error between the RHEL gradient (from the echoes) and the BPTT gradient (jax.grad) at "
                  "the same parameters, the RHEL copy's, at the latest update. RHEL's error is absolute (ε² and "
                  "round-off), so this grows when the gradient itself becomes tiny near a minimum.")
DISTANCE_HELP = "|θ_RHEL − θ_BPTT| / |θ_BPTT|: how far the two copies' parameters have drifted apart"


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


@dataclass(frozen=True)
class Playback:
    """How Play runs: ``speed`` in updates per second (None: as fast as the server trains), and whether each
    Play pauses after :data:`STOP_AFTER` updates."""

    speed: float | None
    stop: bool


def playback_controls() -> Playback:
    """Speed (updates per second, a slow mode for a lecture) and the stop after STOP_AFTER updates (URL-bound)."""
    speed_box, stop_box = st.columns([3, 2], vertical_alignment="bottom")
    speed = speed_box.segmented_control("Speed (updates per second)", SPEEDS, default=DEFAULT_SPEED, required=True,
                                        key="train_speed", bind="query-params",
                                        help="1 or 5 per second to watch each update in a lecture; max trains as "
                                             "fast as the server can")
    stop = stop_box.toggle(f"Pause after {STOP_AFTER} updates", value=True, key="train_stop", bind="query-params",
                           help="each Play runs this many updates, then pauses; switch off to play until Pause")
    return Playback(None if speed in (None, "max") else float(speed), bool(stop))


def count_page_run() -> int:
    """Count full-page runs of this session (the live view's refreshes do not count)."""
    st.session_state[PAGE_RUNS_KEY] = st.session_state.get(PAGE_RUNS_KEY, 0) + 1
    st.session_state[FULL_RUN_KEY] = True
    return st.session_state[PAGE_RUNS_KEY]


def page_run_marker(runs: int) -> None:
    """The count of full-page runs as a hidden element at the end of the sidebar, never shown to users: a
    browser test or benchmark reads its ``data-runs`` to tell a page run from the live view's refreshes."""
    st.sidebar.html(f'<span hidden data-testid="train-page-runs" data-runs="{int(runs)}"></span>')


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
    state: TrainState | None = st.session_state.get(STATE_KEY)
    st.session_state[PLAY_FROM_KEY] = state.step if state is not None else 0
    st.session_state[CREDIT_KEY] = (1.0, time.monotonic())  # the first refresh makes one update at any speed


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


def updates_due(speed: float | None, credit: float, elapsed_s: float) -> tuple[int, float]:
    """(updates to make now, credit left) at ``speed`` updates per second, ``elapsed_s`` after the last count.

    Owed updates accumulate as a fractional credit (at 1 per second, a refresh every 0.5 s makes one update
    every other time), capped at :data:`MAX_CREDIT_S` of updates plus one: refreshes that come late (a busy
    server) catch up what they owe, and a long stall does not burst. ``speed`` None (max): one or more
    updates, as many as :data:`TICK_BUDGET_S` allows.
    """
    if speed is None:
        return 1, 0.0
    credit = min(credit + speed * max(elapsed_s, 0.0), speed * MAX_CREDIT_S + 1.0)
    due = math.floor(credit)
    return due, credit - due


def stop_step(playback: Playback) -> int | None:
    """The update at which this Play pauses (None: the stop is lifted)."""
    return st.session_state.get(PLAY_FROM_KEY, 0) + STOP_AFTER if playback.stop else None


def _advance(state: TrainState, hyper: Hyper, playback: Playback) -> None:
    """The updates due at the chosen speed (within TICK_BUDGET_S); pause on divergence or at the stop."""
    credit, counted_at = st.session_state.get(CREDIT_KEY, (1.0, time.monotonic()))
    now = time.monotonic()
    due, credit = updates_due(playback.speed, credit, now - counted_at)
    st.session_state[CREDIT_KEY] = (credit, now)
    limit = due if playback.speed is not None else None  # None: as many as TICK_BUDGET_S allows
    until = stop_step(playback)
    if until is not None:
        remaining = max(until - state.step, 0)
        limit = remaining if limit is None else min(limit, remaining)
    if limit is None or limit > 0:
        try:
            slots.compute(training_cost(state), owner(), _train_for, state, hyper, TICK_BUDGET_S, limit)
        except OverBudget as error:  # the session's compile allowance: pause, say why, keep the state
            st.session_state[REFUSED_KEY] = str(error)
            st.session_state[RUNNING_KEY] = False
            st.rerun(scope="app")
        except Diverged:
            pass
        except InvalidInput as error:  # a fragment would show it as a traceback: keep it as the state's message
            state.error = str(error)
    if state.error or (until is not None and state.step >= until):
        st.session_state[RUNNING_KEY] = False
        st.rerun(scope="app")  # the timer stops with a full run


def _train_for(state: TrainState, hyper: Hyper, seconds: float, updates: int | None) -> None:
    """``updates`` updates (None: as many as fit), stopping once ``seconds`` have passed (after at least one)."""
    deadline = time.perf_counter() + seconds
    done = 0
    while True:
        train_step(state, hyper)
        done += 1
        if (updates is not None and done >= updates) or time.perf_counter() > deadline:
            break


def refresh_period(playback: Playback) -> float:
    """Seconds between the live view's refreshes while playing: one update per refresh at 1 per second."""
    return max(RUN_EVERY_S, 1.0 / playback.speed) if playback.speed else RUN_EVERY_S


def live_view(choices: Choices, sample: int, playback: Playback) -> None:
    """The fragment: trains while playing, then draws metrics and figures. Refreshes alone on a timer."""
    running = st.session_state.get(RUNNING_KEY, False)
    st.fragment(run_every=refresh_period(playback) if running else None)(_live_body)(choices, sample, playback)


def _live_body(choices: Choices, sample: int, playback: Playback) -> None:
    # Timer runs of the fragment take their turn after page runs visitors asked for (a full-page run that
    # draws the fragment already holds its slot: no second one).
    with slots.run_slot(priority=slots.REFRESH):
        _draw_live_body(choices, sample, playback)


def _draw_live_body(choices: Choices, sample: int, playback: Playback) -> None:
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
            _advance(state, choices.hyper, playback)
    refused = st.session_state.pop(REFUSED_KEY, None)
    if refused:
        guards.show_invalid(OverBudget(refused))
    if state.error:
        st.error(state.error, icon=":material/error:")
    _metrics(state)
    result = predictions(state, sample % state.data.dataset.inputs.shape[0])
    if not state.history:
        st.info("Press **Play** to train, or **Step one update**. Before training: the target and the untrained "
                "model's prediction.", icon=":material/info:")
        left, right = st.columns(2)
        _prediction(state, result, left)
        _digits(state, right, trained=False)
        return
    left, right = st.columns(2)
    shown.show(figures.loss_figure(state.history), "train_loss_chart", left)
    shown.show(figures.agreement_figure(state.history), "train_agreement_chart", right)
    left, right = st.columns(2)
    shown.show(figures.drift_figure(state.history), "train_drift_chart", left)
    left.caption(DRIFT_NOTE)
    shown.show(figures.parameters_figure(state.snapshots, state.snapshot_steps), "train_params_chart", right)
    left, right = st.columns(2)
    _prediction(state, result, left)
    if state.data.labels is not None:
        right.metric("Accuracy on the training set (RHEL copy)", f"{100 * accuracy(state, 'rhel'):.0f}%")
        right.metric("Accuracy on the training set (BPTT copy)", f"{100 * accuracy(state, 'bptt'):.0f}%")
        _digits(state, right, trained=True)


#: Digits shown in the digits task's grid (the first of its dataset).
DIGITS_SHOWN = 16


def _digits(state: TrainState, container, trained: bool) -> None:
    """The digits task's images with their labels (and, once trained, the RHEL copy's predictions)."""
    shown_digits = digit_images(state, DIGITS_SHOWN)
    if shown_digits is None:
        return
    images, labels = shown_digits
    predicted = predicted_labels(state, "rhel")[:DIGITS_SHOWN] if trained else None
    shown.show(figures.digits_figure(images, labels, predicted), "train_digits_chart", container)


def _prediction(state: TrainState, result: dict, container) -> None:
    if state.settings.task == "coupling-spring":
        shown.show(figures.springs_figure(result), "train_prediction_chart", container)
    else:
        shown.show(figures.prediction_figure(result, classes=state.data.labels is not None),
                   "train_prediction_chart", container)


def _metrics(state: TrainState) -> None:
    last = state.last
    columns = st.columns(5)
    columns[0].metric("Updates", state.step)
    # three digits: "1.23e-07" fits a fifth of the page at 1280 px with the sidebar open; four were cut off
    columns[1].metric("Loss (RHEL)", f"{last.loss_rhel:.3g}" if last else "–", help="the RHEL-trained copy's loss")
    columns[2].metric("Loss (BPTT)", f"{last.loss_bptt:.3g}" if last else "–", help="the BPTT-trained copy's loss")
    measured = last is not None and math.isfinite(last.rel_error)
    columns[3].metric("Same-point error", f"{last.rel_error:.1e}" if measured else "–", help=AGREEMENT_HELP)
    columns[4].metric("Copies apart", f"{last.param_distance:.1e}" if last else "–", help=DISTANCE_HELP)
