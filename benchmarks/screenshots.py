"""Save a 1280x720 screenshot of each page into assets/screenshots/ (used by the README).

    .venv/bin/python -m benchmarks.screenshots      # from the project root

Starts the app on loopback (benchmarks/appserver.py, as the browser tests do), opens each page in headless Chromium and
saves the first screenful (not the full page, to keep the PNGs small).
"""

from __future__ import annotations

from benchmarks.appserver import CHROMIUM, CHROMIUM_ARGS, ROOT, start_app, stop_app, wait_for_run

OUT = ROOT / "assets" / "screenshots"
SHOTS = {"home": "/", "echo": "/echo?steps=50", "gradients": "/gradients?steps=50",
         "training": "/training", "deep": "/deep", "echo-present": "/echo?steps=50&present=1"}
VIEWPORT = {"width": 1280, "height": 720}
SETTLE_MS = 1500  # charts finish drawing after the script run


def main() -> int:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    (ROOT / ".pytest_cache").mkdir(exist_ok=True)
    proc, base = start_app(log_path=ROOT / ".pytest_cache" / "screenshots.log")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport=VIEWPORT).new_page()
            for name, path in SHOTS.items():
                page.goto(base + path, wait_until="domcontentloaded")
                wait_for_run(page)
                page.wait_for_timeout(SETTLE_MS)
                page.screenshot(path=str(OUT / f"{name}.png"))
                print(OUT / f"{name}.png")
            browser.close()
    finally:
        stop_app(proc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
