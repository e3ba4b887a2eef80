"""Scaling benchmark: time and memory of forward, RHEL and BPTT against sequence length.

Each (model, sequence length, method) runs in a fresh process (``python -m rhel_viz.lab.scaling ...``)
so compilation caches and allocator high-water marks never leak between configurations. Memory is
XLA's own ``compile().memory_analysis()``: ``peak_mb`` = arguments + outputs + temporaries, the
buffers the compiled program holds at its peak (deterministic, the same on CPU and GPU). The
process's peak resident set size is reported beside it (``rss_peak_mb``, CPU only, noisy).

**What must exist anyway** (the yardstick for RHEL's memory, defined here and nowhere else):

* ``hru``, one HRU layer trained on a per-step readout loss: the data it is given (inputs u,
  targets y*, weights w: the loss data that *are* the output cotangents, step by step) and the input
  gradient dL/du it returns. Its outputs and their cotangents are made and used one step at a time.
  :func:`hru_must_exist_bytes` counts them; it equals XLA's argument + output bytes.
* ``hssm4``, a 4-block HSSM: everything autodiff keeps *around* the HRUs (encoder output, norms,
  GELU and GLU activations, residual stream), the HRUs' inputs and outputs, and their cotangents.
  These exist whatever the HRUs' backward does, so we *measure* them: the same HSSM whose HRU
  backward is a stand-in that keeps only its inputs (:func:`rhel_viz.core.hssm.hru_positions_memory_floor`,
  method ``memory-floor``). RHEL's growth over that floor is the HRU layers' own memory.

The acceptance ratio is RHEL's peak growth over the must-exist growth, from the shortest to the
longest sequence; BPTT's ratio is reported beside it.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

MODELS = ("hru", "hssm4")
METHODS = ("forward", "rhel", "bptt")
MEMORY_FLOOR = "memory-floor"  # hssm4 only: the must-exist yardstick
SEQ_LENS = (1_000, 4_000, 16_000, 50_000)
REPEATS = 7  # warm runs per configuration (the median is quoted)
HRU_OSCILLATORS, HRU_WIDTH = 64, 32  # P and H of the benchmark's HRU layers
HSSM_DEPTH = 4
DTYPE = "float32"  # the training precision
EPS = 0.1  # the paper's nudging in float32 (every experiment of the official code)
STEP_SIZE = 0.1
MEMORY_BOUND = 1.2  # acceptance: RHEL's peak growth <= 1.2 x the must-exist growth
TIME_BOUND = 2.0  # acceptance: RHEL's gradient time <= 2 x BPTT's at the longest sequence
RESULTS_PATH = Path(__file__).resolve().parents[2] / "assets" / "bench" / "scaling.json"


def methods_of(model: str) -> tuple[str, ...]:
    """The methods measured for a model (the HSSM adds its memory floor)."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {list(MODELS)}")
    return METHODS + ((MEMORY_FLOOR,) if model == "hssm4" else ())


def hru_must_exist_bytes(steps: int, input_size: int, output_size: int, itemsize: int) -> int:
    """Bytes a single HRU layer's gradient cannot avoid: u (N, in), y* (N, out), w (N) and dL/du (N, in)."""
    return steps * (2 * input_size + output_size + 1) * itemsize


def hssm_config():
    """The benchmark's 4-block linear HSSM (P = 64 oscillators, width H = 32, regression head)."""
    from rhel_viz.core.hssm import HSSMConfig

    return HSSMConfig(layer="linear", depth=HSSM_DEPTH, hidden=HRU_WIDTH, oscillators=HRU_OSCILLATORS,
                      data_size=HRU_WIDTH, head="regression", output_size=4)


def _build(model: str, seq_len: int, method: str):
    """(zero-argument callable running one measurement, compiled executable, must-exist bytes or None)."""
    import jax
    import jax.numpy as jnp

    from rhel_viz.core import hssm
    from rhel_viz.core.bptt import BPTT, loss_value
    from rhel_viz.core.problem import gradients
    from rhel_viz.core.rhel import RHEL
    from rhel_viz.lab.problems import ProblemConfig, build_problem

    if method not in methods_of(model):
        raise ValueError(f"unknown method {method!r} for {model}; choose one of {list(methods_of(model))}")
    dtype = jnp.float32
    eps, step_size = jnp.asarray(EPS, dtype), jnp.asarray(STEP_SIZE, dtype)
    must_exist, call_kwargs = None, {}
    if model == "hru":
        config = ProblemConfig(system="linear", steps=seq_len, oscillators=HRU_OSCILLATORS, input_size=HRU_WIDTH,
                               output_size=HRU_WIDTH, step_size=STEP_SIZE, dtype=DTYPE)
        problem = build_problem(config)
        call_kwargs = {"damping": jnp.asarray(0.0, dtype)}  # traced, as in the app (the leapfrog by default)
        if method == "forward":
            jitted, call_args = jax.jit(loss_value), (problem,)
        else:
            jitted, call_args = jax.jit(gradients), (problem, RHEL(eps) if method == "rhel" else BPTT())
        must_exist = hru_must_exist_bytes(seq_len, HRU_WIDTH, HRU_WIDTH, jnp.dtype(dtype).itemsize)
    else:
        config = hssm_config()
        params = jax.tree.map(lambda leaf: jnp.asarray(leaf, dtype), hssm.init_hssm(config))
        sequence, target = hssm.example_batch(config, seq_len, dtype=dtype)
        if method == "forward":
            jitted = jax.jit(hssm.hssm_loss, static_argnames=("config", "method"))
            call_args = (config, params, sequence, target, step_size, eps, "bptt")
        else:
            jitted = hssm.hssm_gradients
            call_args = (config, params, sequence, target, step_size, eps, method)
    compiled = jitted.lower(*call_args, **call_kwargs).compile()  # for XLA's memory analysis

    def run() -> None:
        jax.block_until_ready(jitted(*call_args, **call_kwargs))  # the jit cache holds the same executable

    return run, compiled, must_exist


def measure(model: str, seq_len: int, method: str, repeats: int = REPEATS) -> dict[str, Any]:
    """One configuration, in this process: compile, warm up, time ``repeats`` warm runs."""
    import jax

    start = time.perf_counter()
    run, compiled, must_exist = _build(model, seq_len, method)
    run()
    compile_and_first = time.perf_counter() - start
    seconds = []
    for _ in range(repeats):
        begin = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - begin)
    analysis = compiled.memory_analysis()
    xla_bytes = analysis.argument_size_in_bytes + analysis.output_size_in_bytes + analysis.temp_size_in_bytes
    row = {
        "model": model, "seq_len": seq_len, "method": method,
        "seconds_median": statistics.median(seconds), "seconds_min": min(seconds), "seconds_max": max(seconds),
        "peak_mb": xla_bytes / 1e6, "temp_mb": analysis.temp_size_in_bytes / 1e6,
        "argument_mb": analysis.argument_size_in_bytes / 1e6, "output_mb": analysis.output_size_in_bytes / 1e6,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3,
        "compile_and_first_s": compile_and_first, "repeats": repeats, "device": str(jax.devices()[0]),
    }
    if must_exist is not None:
        row["must_exist_mb"] = must_exist / 1e6
    return row


def machine() -> dict[str, Any]:
    """Where the numbers were measured."""
    import jax

    return {"device": str(jax.devices()[0]), "platform": platform.platform(), "processor": platform.machine(),
            "cpu_count": os.cpu_count(), "jax": jax.__version__, "python": platform.python_version(),
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")}


def run_all(models: tuple[str, ...] = MODELS, seq_lens: tuple[int, ...] = SEQ_LENS,
            repeats: int = REPEATS) -> dict[str, Any]:
    """Every configuration in a fresh subprocess; returns the JSON report (machine, rows, summary)."""
    rows = []
    for model in models:
        for seq_len in seq_lens:
            for method in methods_of(model):
                result = subprocess.run([sys.executable, "-m", "rhel_viz.lab.scaling", model, str(seq_len), method,
                                         str(repeats)], capture_output=True, text=True, check=True)
                rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
    info = machine()
    return {"device": info["device"], "jax": info["jax"], "machine": info, "rows": rows,
            "summary": summarise(rows), "must_exist": MUST_EXIST_TEXT}


MUST_EXIST_TEXT = {
    "hru": "u, y*, w (the layer's data, whose per-step loss gradients are its output cotangents) and dL/du",
    "hssm4": "the peak of the same HSSM with a stand-in HRU backward that keeps only its inputs (method memory-floor): "
             "block activations, HRU inputs/outputs and their cotangents",
}


def _must_exist_mb(by_key: dict[tuple[int, str], dict[str, Any]], length: int) -> float:
    floor = by_key.get((length, MEMORY_FLOOR))
    return floor["peak_mb"] if floor else by_key[(length, "rhel")]["must_exist_mb"]


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per model: peak growth from the shortest to the longest sequence against the must-exist growth,
    XLA temp sizes, and RHEL/BPTT time at the longest sequence (with the acceptance bounds)."""
    summary = {}
    for model in sorted({row["model"] for row in rows}):
        by_key = {(row["seq_len"], row["method"]): row for row in rows if row["model"] == model}
        lengths = sorted({length for length, _ in by_key})
        short, long = lengths[0], lengths[-1]
        must_exist_growth = _must_exist_mb(by_key, long) - _must_exist_mb(by_key, short)
        entry: dict[str, Any] = {"from": short, "to": long, "must_exist_growth_mb": must_exist_growth}
        for method in methods_of(model):
            if (long, method) in by_key and (short, method) in by_key:
                growth = by_key[(long, method)]["peak_mb"] - by_key[(short, method)]["peak_mb"]
                entry[f"{method}_peak_growth_mb"] = growth
                entry[f"{method}_temp_mb_at_{short}"] = by_key[(short, method)]["temp_mb"]
                entry[f"{method}_temp_mb_at_{long}"] = by_key[(long, method)]["temp_mb"]
        entry["rhel_growth_over_must_exist"] = entry["rhel_peak_growth_mb"] / must_exist_growth
        entry["bptt_growth_over_must_exist"] = entry["bptt_peak_growth_mb"] / must_exist_growth
        entry["rhel_over_bptt_time_at_longest"] = (by_key[(long, "rhel")]["seconds_median"]
                                                   / by_key[(long, "bptt")]["seconds_median"])
        # The best-of-runs ratio as well: the median is what we quote, the minimum is less sensitive to
        # other processes on a shared machine (each configuration runs at a different moment).
        entry["rhel_over_bptt_min_time_at_longest"] = (by_key[(long, "rhel")]["seconds_min"]
                                                       / by_key[(long, "bptt")]["seconds_min"])
        entry["memory_ok"] = entry["rhel_growth_over_must_exist"] <= MEMORY_BOUND
        entry["time_ok"] = entry["rhel_over_bptt_time_at_longest"] <= TIME_BOUND
        summary[model] = entry
    return summary


def write_results(report: dict[str, Any], path: Path = RESULTS_PATH) -> Path:
    """Save a report where the Deep and long page finds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return path


def load_results(path: Path = RESULTS_PATH) -> dict[str, Any] | None:
    """The latest saved report, or None if the benchmark has not been run on this checkout."""
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


if __name__ == "__main__":
    model_name, length, method_name, repeat_count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    print(json.dumps(measure(model_name, length, method_name, repeat_count)))
