"""The numerical library: Hamiltonian systems, integrators, RHEL, BPTT, losses, metrics, the HSSM.

Imports only jax and numpy; knows nothing of pages, widgets, URLs, benchmarks or tests.
"""
