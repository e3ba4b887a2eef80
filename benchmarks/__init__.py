"""Everything that measures the product rather than being it: benchmarks, the load test, the Streamlit
websocket client, the app launcher used by browser tests, the screenshot script. Outside ``rhel_viz``:
nothing in the package imports this folder. Run ``python -m benchmarks --help``."""
