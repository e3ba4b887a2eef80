"""rhel_viz: exact Recurrent Hamiltonian Echo Learning (RHEL) on Hamiltonian Recurrent Units.

The numerical core never imports streamlit; only ``rhel_viz.ui`` does.
float64 is enabled once, here, so that both float32 and float64 runs are possible: every
function computes in the dtype of the inputs it is given.
"""

import jax

jax.config.update("jax_enable_x64", True)

from rhel_viz.bptt import bptt_gradients, loss_value  # noqa: E402
from rhel_viz.integrators import INTEGRATORS, State, flip, simulate, step  # noqa: E402
from rhel_viz.losses import LOSSES, Sequence  # noqa: E402
from rhel_viz.metrics import agreement, cosine, norm_ratio, relative_error  # noqa: E402
from rhel_viz.problems import Problem, ProblemConfig, build_problem  # noqa: E402
from rhel_viz.rhel import ESTIMATORS, EchoTrace, Gradients, echo_retrace_error, rhel_gradients, rhel_trace  # noqa: E402
from rhel_viz.systems import SYSTEMS, LinearHRU, MassSpringChain, NonlinearHRU, energy, make_system, max_frequency  # noqa: E402

__all__ = [
    "ESTIMATORS", "INTEGRATORS", "LOSSES", "SYSTEMS",
    "EchoTrace", "Gradients", "LinearHRU", "MassSpringChain", "NonlinearHRU", "Problem", "ProblemConfig",
    "Sequence", "State",
    "agreement", "bptt_gradients", "build_problem", "cosine", "echo_retrace_error", "energy", "flip",
    "loss_value", "make_system", "max_frequency", "norm_ratio", "relative_error", "rhel_gradients",
    "rhel_trace", "simulate", "step",
]
