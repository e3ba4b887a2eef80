"""rhel_viz: Recurrent Hamiltonian Echo Learning (RHEL) on Hamiltonian Recurrent Units.

Layers (imports point down only; ``.importlinter`` holds them): ``rhel_viz.core`` is the numerical
library (jax and numpy only), ``rhel_viz.lab`` turns configurations into typed results,
``rhel_viz.plots`` draws them, ``rhel_viz.ui`` is the only package that imports streamlit, and
``rhel_viz.cli`` / ``rhel_viz.export`` are the entry points on top.

Importing the package changes no global JAX setting: every function computes in the dtype of the
arrays it is given. To run in float64, switch it on in your entry point, as the app, the command
line and the tests do: ``jax.config.update("jax_enable_x64", True)``.
"""

from rhel_viz.core.bptt import BPTT, bptt_gradients, loss_value
from rhel_viz.core.integrators import INTEGRATORS, LEAPFROG, RK4, Euler, Integrator, Leapfrog, State, flip, simulate
from rhel_viz.core.losses import LOSSES
from rhel_viz.core.metrics import agreement, cosine, norm_ratio, relative_error
from rhel_viz.core.problem import Gradients, Problem, Sequence, gradients
from rhel_viz.core.rhel import ESTIMATORS, RHEL, EchoTrace, echo_retrace_error, rhel_gradients, rhel_trace
from rhel_viz.core.systems import SYSTEMS, LinearHRU, MassSpringChain, NonlinearHRU, energy, make_system, max_frequency
from rhel_viz.lab.problems import ProblemConfig, build_problem

__all__ = [
    "ESTIMATORS", "INTEGRATORS", "LEAPFROG", "LOSSES", "SYSTEMS",
    "BPTT", "RHEL", "RK4", "EchoTrace", "Euler", "Gradients", "Integrator", "Leapfrog", "LinearHRU",
    "MassSpringChain", "NonlinearHRU", "Problem", "ProblemConfig", "Sequence", "State",
    "agreement", "bptt_gradients", "build_problem", "cosine", "echo_retrace_error", "energy", "flip",
    "gradients", "loss_value", "make_system", "max_frequency", "norm_ratio", "relative_error", "rhel_gradients",
    "rhel_trace", "simulate",
]
