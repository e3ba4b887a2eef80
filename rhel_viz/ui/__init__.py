"""The Streamlit layer: the only package of rhel_viz that imports streamlit.

Pages call these helpers to lay out shared controls, read explanatory text from ``assets/`` and
fetch cached numerical results; the numerics themselves live outside this package.
"""
