"""Colours read from a rendered page: the theme in force, computed CSS colours, pixels, WCAG contrast."""

from __future__ import annotations

import io
import re

RGB = tuple[float, float, float]
_NUMBERS = re.compile(r"[\d.]+")


def parse(css: str) -> tuple[RGB, float]:
    """``rgb(r, g, b)`` / ``rgba(r, g, b, a)`` as ((r, g, b) in 0..255, alpha)."""
    values = [float(x) for x in _NUMBERS.findall(css)]
    if len(values) < 3:
        raise ValueError(f"not an rgb() colour: {css!r}")
    return (values[0], values[1], values[2]), values[3] if len(values) > 3 else 1.0


def over(colour: RGB, alpha: float, background: RGB) -> RGB:
    """``colour`` at opacity ``alpha`` painted over ``background``."""
    return tuple(alpha * c + (1 - alpha) * b for c, b in zip(colour, background, strict=True))


def luminance(colour: RGB) -> float:
    """WCAG relative luminance (0 black, 1 white)."""
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def app_background(page) -> RGB:
    """The app's background colour (Streamlit paints it on the ``stApp`` element)."""
    colour, _ = parse(page.get_by_test_id("stApp").evaluate("e => getComputedStyle(e).backgroundColor"))
    return colour


def theme_of(page) -> str:
    """"dark" or "light", from the app's background."""
    return "dark" if luminance(app_background(page)) < 0.2 else "light"


def dominant_pixel(locator) -> RGB:
    """The most frequent colour in a screenshot of the element (its background, for a diagram or panel)."""
    from PIL import Image

    image = Image.open(io.BytesIO(locator.screenshot())).convert("RGB")
    _, colour = max(image.getcolors(image.width * image.height))
    return tuple(float(v) for v in colour)
