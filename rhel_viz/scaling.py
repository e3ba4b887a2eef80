"""Scaling benchmark: time and memory of forward, RHEL and BPTT against sequence length.

Each (model, sequence length, method) runs in a fresh process (``python -m rhel_viz.scaling ...``)
so compilation caches and allocator high-water marks never leak between configurations. Memory is
reported two ways: XLA's own ``compile().memory_analysis()`` (arguments + outputs + temporaries:
the buffers the compiled program needs at its peak) and the process's peak resident set size.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

MODELS = ("hru", "hssm4")
METHODS = ("forward", "rhel", "bptt")
SEQ_LENS = (1_000, 4_000, 16_000, 50_000)
HRU_OSCILLATORS, HRU_WIDTH = 64, 32


def _build(model: str, seq_len: int, method: str):
    """A zero-argument callable running one measurement, and its compiled executable."""
    import jax
    import jax.numpy as jnp

    import rhel_viz  # noqa: F401  (float64 enabled; we measure float32, the training precision)
    from rhel_viz import bptt, hssm, rhel
    from rhel_viz.problems import ProblemConfig, build_problem

    dtype = jnp.float32
    if model == "hru":
        config = ProblemConfig(system="linear", steps=seq_len, oscillators=HRU_OSCILLATORS, input_size=HRU_WIDTH,
                               output_size=HRU_WIDTH, dtype="float32")
        problem = build_problem(config)
        args = (problem.system, problem.params, problem.initial, problem.data, problem.step_size)
        eps, damping = jnp.asarray(0.1, dtype), jnp.asarray(0.0, dtype)
        if method == "forward":
            jitted, call_args = bptt._loss_value, (*args, damping, "leapfrog")
        elif method == "rhel":
            jitted, call_args = rhel._rhel_gradients, (*args, eps, damping, "leapfrog", "centred", "half")
        else:
            jitted, call_args = bptt._bptt_gradients, (*args, damping, "leapfrog")
        must_exist = sum(leaf.nbytes for leaf in jax.tree.leaves(problem.data)) + problem.data.inputs.nbytes
    else:
        config = hssm.HSSMConfig(layer="linear", depth=4, hidden=HRU_WIDTH, oscillators=HRU_OSCILLATORS,
                                 data_size=HRU_WIDTH, head="regression", output_size=4)
        params = hssm.init_hssm(config)
        sequence, target = hssm.example_batch(config, seq_len, dtype=dtype)
        params = jax.tree.map(lambda leaf: jnp.asarray(leaf, dtype), params)
        step_size, eps = jnp.asarray(0.1, dtype), jnp.asarray(0.1, dtype)
        if method == "forward":
            jitted = jax.jit(hssm.hssm_loss, static_argnames=("config", "method"))
            call_args = (config, params, sequence, target, step_size, eps, "bptt")
        else:
            jitted = hssm.hssm_gradients
            call_args = (config, params, sequence, target, step_size, eps, method)
        # Per layer the block's activations must exist for autodiff anyway: input, norm, HRU output.
        must_exist = sequence.nbytes * (1 + 3 * config.depth)
    compiled = jitted.lower(*call_args).compile()  # for XLA's memory analysis

    def run() -> None:
        jax.block_until_ready(jitted(*call_args))  # the jit cache holds the same executable

    return run, compiled, must_exist


def measure(model: str, seq_len: int, method: str, repeats: int = 5) -> dict[str, Any]:
    """One configuration, in this process: compile, warm up, time ``repeats`` runs."""
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
    return {
        "model": model, "seq_len": seq_len, "method": method,
        "seconds_median": statistics.median(seconds), "seconds_min": min(seconds), "seconds_max": max(seconds),
        "peak_mb": xla_bytes / 1e6, "temp_mb": analysis.temp_size_in_bytes / 1e6,
        "must_exist_mb": must_exist / 1e6,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3,
        "compile_and_first_s": compile_and_first, "device": str(jax.devices()[0]),
    }


def run_all(models=MODELS, seq_lens=SEQ_LENS, methods=METHODS, repeats: int = 5) -> dict[str, Any]:
    """Every configuration in a fresh subprocess; returns the JSON report."""
    import jax

    rows = []
    for model in models:
        for seq_len in seq_lens:
            for method in methods:
                result = subprocess.run([sys.executable, "-m", "rhel_viz.scaling", model, str(seq_len), method,
                                         str(repeats)], capture_output=True, text=True, check=True)
                rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
    return {"device": str(jax.devices()[0]), "jax": jax.__version__, "rows": rows,
            "summary": summarise(rows)}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Memory growth from the shortest to the longest sequence, and RHEL/BPTT time at the longest."""
    summary = {}
    for model in sorted({row["model"] for row in rows}):
        by_key = {(row["seq_len"], row["method"]): row for row in rows if row["model"] == model}
        lengths = sorted({length for length, _ in by_key})
        short, long = lengths[0], lengths[-1]
        must_exist_growth = by_key[(long, "rhel")]["must_exist_mb"] - by_key[(short, "rhel")]["must_exist_mb"]
        entry = {"from": short, "to": long, "must_exist_growth_mb": must_exist_growth}
        for method in METHODS:
            if (long, method) in by_key:
                growth = by_key[(long, method)]["peak_mb"] - by_key[(short, method)]["peak_mb"]
                entry[f"{method}_peak_growth_mb"] = growth
        entry["rhel_growth_over_must_exist"] = entry["rhel_peak_growth_mb"] / must_exist_growth
        entry["rhel_over_bptt_time_at_longest"] = (by_key[(long, "rhel")]["seconds_median"]
                                                   / by_key[(long, "bptt")]["seconds_median"])
        summary[model] = entry
    return summary


if __name__ == "__main__":
    model_name, length, method_name, repeat_count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    print(json.dumps(measure(model_name, length, method_name, repeat_count)))
