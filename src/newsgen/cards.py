"""Social cards: a 1200×630 PNG drawn from an article's headline, section and the site name.

Used as og:image / twitter:image when an article has no picture of its own. The drawing uses only
Pillow's bundled scalable font (no font files to ship or find), and PNG output without metadata, so
the same inputs give the same bytes on every machine with the same Pillow.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import ImageFont

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
BACKGROUND = (16, 24, 40)  # deep navy: reads as "news", white text keeps a contrast ratio above 15:1
ACCENT = (214, 48, 49)  # the section kicker and the top rule
TEXT = (255, 255, 255)
MUTED = (176, 186, 204)
HEADLINE_SIZES = (76, 68, 60, 54, 48, 42)  # largest size at which the headline fits MAX_LINES
MAX_LINES = 4
LINE_SPACING = 1.18


@dataclass(frozen=True)
class Card:
    headline: str
    section: str
    site_name: str


@functools.lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):  # Pillow built without FreeType: bitmap only
        raise RuntimeError("Pillow was built without FreeType; social cards need its scalable default font")
    return font


def _width(text: str, font: ImageFont.FreeTypeFont) -> float:
    return font.getlength(text)


def wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy word wrap; a single word wider than the line is cut by characters."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if _width(candidate, font) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while _width(current, font) > width:  # a very long word (a URL, a German compound)
            cut = len(current) - 1
            while cut > 1 and _width(current[:cut], font) > width:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
    if current:
        lines.append(current)
    return lines


def _ellipsize(line: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    text = line.rstrip()
    while text and _width(text + "…", font) > width:
        text = text[:-1].rstrip()
    return text + "…"


def headline_lines(headline: str, width: float) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest headline size that fits MAX_LINES; at the smallest size, cut with an ellipsis."""
    for size in HEADLINE_SIZES:
        font = _font(size)
        lines = wrap(headline, font, width)
        if len(lines) <= MAX_LINES:
            return font, lines
    lines = lines[:MAX_LINES]
    lines[-1] = _ellipsize(lines[-1], font, width)
    return font, lines


def render_card(card: Card) -> bytes:
    """The PNG bytes of one card."""
    from PIL import Image, ImageDraw  # imported when a card is drawn: most rebuilds draw none

    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    text_width = WIDTH - 2 * MARGIN

    draw.rectangle((0, 0, WIDTH, 12), fill=ACCENT)  # the top rule, as on a printed front page

    kicker_font = _font(30)
    if card.section:
        kicker = card.section.upper()
        if _width(kicker, kicker_font) > text_width:
            kicker = _ellipsize(kicker, kicker_font, text_width)
        draw.text((MARGIN, 64), kicker, font=kicker_font, fill=ACCENT)

    font, lines = headline_lines(card.headline, text_width)
    line_height = round(font.size * LINE_SPACING)
    top = 130
    for number, line in enumerate(lines):
        draw.text((MARGIN, top + number * line_height), line, font=font, fill=TEXT)

    footer_y = HEIGHT - MARGIN - 34
    draw.line((MARGIN, footer_y - 26, WIDTH - MARGIN, footer_y - 26), fill=MUTED, width=2)
    site_font = _font(34)
    site = card.site_name
    if _width(site, site_font) > text_width:
        site = _ellipsize(site, site_font, text_width)
    draw.text((MARGIN, footer_y), site, font=site_font, fill=MUTED)

    out = io.BytesIO()
    # A flat design needs few colours: 32 (antialiased edges included) make a palette PNG of about
    # 19 KB instead of 49 KB, and quantising plus encoding is faster than encoding true colour.
    # No tEXt/tIME chunks are written, so the bytes depend on the pixels only.
    image.quantize(colors=32, method=Image.Quantize.FASTOCTREE).save(out, format="PNG")
    return out.getvalue()
