"""Pure figure builders: results (NumPy) in, Plotly/Altair figures out. No streamlit here."""
