"""Pure figure builders: results (NumPy) in, Plotly figures and pandas tables out. No streamlit here."""
