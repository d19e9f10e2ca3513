"""Markdown -> safe HTML, plus what is derived from the text: plain-text excerpt and word count."""

from __future__ import annotations

import html
import math
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import markdown
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from .markdown_speed import accelerate

WORDS_PER_MINUTE = 238
SECONDS_PER_ARTICLE = 5.0  # an ordinary article takes milliseconds; pathological Markdown is cut off
_TAG = re.compile(r"<[^>]+>")
_SAFE_SCHEMES = {"", "http", "https", "mailto"}
EXTENSIONS = ["tables", "fenced_code", "footnotes", "sane_lists", "toc"]  # quotes: smart_punctuation()
_TOKENS = re.compile(r"(<[^>]*>)")
_TAG_NAME = re.compile(r"<(/?)([a-zA-Z0-9]+)")
_RAW_TAGS = {"code", "pre", "kbd", "samp", "script", "style", "math"}  # their text is never curled
_BLOCK_TAGS = {"p", "pre", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "td", "th", "tr", "div",
               "br", "hr", "dt", "dd", "figcaption", "table", "thead", "tbody", "sup"}
_OPENING_CONTEXT = set(" \t\n([{\u2014\u2013-\u201c\u2018/")
_CLOSING_CONTEXT = set(".,;:!?)]}\u201d\u2019%")
_QUOTE_MARK = re.compile("[\"']")


@dataclass(frozen=True)
class RenderedBody:
    html_utf8: bytes  # see html
    text: str  # the body as plain text, for excerpts and search
    words: int
    # Links and pictures that point at files of this site, as written, with the body line they are on
    # (None when the Markdown wrote them some other way, e.g. as a reference link): checked once the
    # build knows every file it writes (references.py).
    references: tuple[tuple[str, int | None], ...] = ()
    # Pictures written without alt text (`![](x.jpg)`), with their body line: a warning each.
    unlabelled: tuple[tuple[str, int | None], ...] = ()

    @property
    def html(self) -> str:
        """The body as HTML. Kept encoded: a news text's dashes and curly quotes make Python store
        its string at two bytes a character, which at 10,000 articles is 100 MB for what is 50 MB here."""
        return self.html_utf8.decode("utf-8", "surrogatepass")

    @property
    def reading_minutes(self) -> int:
        return max(1, math.ceil(self.words / WORDS_PER_MINUTE))


def is_safe_url(url: str) -> bool:
    """http(s), mailto, or a path/fragment on this site; never javascript:, data: or the like."""
    compact = re.sub(r"[\x00-\x20]", "", url)
    try:
        return urlsplit(compact).scheme.lower() in _SAFE_SCHEMES
    except ValueError:
        return False


def is_site_path(url: str) -> bool:
    """A link to a file of this site (`/category/world/`, `images/x.jpg`), not to another site, a
    scheme such as mailto:, or a place on the same page (`#notes`)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return not parts.scheme and not parts.netloc and bool(parts.path)


def is_page_relative(url: str) -> bool:
    """`./x` or `../x`: read from the page's own URL, as browsers read it."""
    return url.startswith(("./", "../")) or url in (".", "..")


class _LinkGuard(Treeprocessor):
    """Drop link targets and image sources whose scheme could run code, and read a path on this site
    from the site root, as front matter's `image` is (`images/x.jpg` is static/images/x.jpg on every
    page, whatever the article's URL), under the site's sub-path so it works at both. Only a path
    that says so, `./x` or `../x`, is read from the page's URL."""

    def __init__(self, md: markdown.Markdown, base_path: str):
        super().__init__(md)
        self._prefix = base_path.rstrip("/")
        self.found: list[str] = []  # this body's paths on the site, as written; reset by each render

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            for attribute in ("href", "src"):
                value = element.get(attribute)
                if value is None:
                    continue
                if not is_safe_url(value):
                    del element.attrib[attribute]
                elif is_site_path(value) and "\x02" not in value:
                    # (\x02 starts Python-Markdown's placeholder for `&` in the entity-encoded
                    # href of an e-mail autolink, <me@example.org>: a mailto: link, not a path)
                    self.found.append(value)
                    if not is_page_relative(value):
                        element.set(attribute, f"{self._prefix}/{value.removeprefix('/')}")


class _Figures(Treeprocessor):
    """A picture alone in its paragraph with a Markdown title, `![alt](x.jpg "Caption")`, becomes a
    figure with that caption, as newsrooms publish photos in a story. Pictures without alt text are
    noted for a warning."""

    def __init__(self, md: markdown.Markdown):
        super().__init__(md)
        self.unlabelled: list[str] = []  # reset by each render

    def run(self, root: etree.Element) -> None:
        for image in root.iter("img"):
            if not (image.get("alt") or "").strip():
                self.unlabelled.append(image.get("src") or "")
        for paragraph in list(root.iter("p")):
            if len(paragraph) != 1 or (paragraph.text or "").strip():
                continue
            image = paragraph[0]
            title = image.get("title")
            if image.tag != "img" or not title or (image.tail or "").strip():
                continue
            paragraph.tag = "figure"
            del image.attrib["title"]
            image.tail = None
            caption = etree.SubElement(paragraph, "figcaption")
            caption.text = title


# An HTML comment in Markdown is a note to other editors, or another generator's marker: Hugo's and
# WordPress's `<!--more-->` summary divider, a Jekyll `excerpt_separator`. No generator shows one to
# readers, so with raw HTML off (where any other tag comes out as visible text) comments are dropped:
# a comment alone on its lines ends the paragraph, as in CommonMark; one inside a line is removed.
# Code spans and fenced code are handled before these run, so a comment shown as code stays.
_COMMENT = r"<!--(?:(?!-->).)*?-->"
_COMMENT_LINES = re.compile(r" {0,3}(?:" + _COMMENT + r"[ \t]*)+", re.DOTALL)


class _CommentLines(Preprocessor):
    """Lines that hold only an HTML comment, which may run over several lines, become one blank line;
    an indented one (inside a list item, say) is taken out, so it does not split what it sits in."""

    def run(self, lines: list[str]) -> list[str]:
        closing = [len(lines)] * (len(lines) + 1)  # the first line at or after each one that has a `-->`
        for number in range(len(lines) - 1, -1, -1):
            closing[number] = number if "-->" in lines[number] else closing[number + 1]
        kept: list[str] = []
        index, failed = 0, -1
        while index < len(lines):
            line = lines[index]
            end = closing[index]
            # a block that ends on a line already tried ends the same way (with text after the `-->`):
            # not tried again, so a long run of lines that open comments stays linear
            if (end < len(lines) and end != failed and line.lstrip(" ").startswith("<!--")
                    and not line.startswith("    ")):
                if _COMMENT_LINES.fullmatch("\n".join(lines[index:end + 1])):
                    if not line.startswith(" "):
                        kept.append("")
                    index = end + 1
                    continue
                failed = end
            kept.append(line)
            index += 1
        return kept


class _InlineComment(InlineProcessor):
    def handleMatch(self, m: re.Match[str], data: str) -> tuple[str, int, int]:  # type: ignore[override]  # noqa: N802
        return "", m.start(0), m.end(0)


def _curl(text: str, before: str) -> str:
    """Typographer's punctuation in one run of text; `before` is the character that precedes it."""
    text = text.replace("---", "\u2014").replace("--", "\u2013").replace("...", "\u2026")
    if '"' not in text and "'" not in text:
        return text
    # Each quote mark is curled by the character before it, as written out (a curled mark if it was a
    # quote mark too), and by the character after it; only the marks are visited, not every character.
    last_index, last_mark = -2, before

    def curl(match: re.Match[str]) -> str:
        nonlocal last_index, last_mark
        index = match.start()
        if index == last_index + 1:
            previous = last_mark
        else:
            previous = text[index - 1] if index else before
        if match.group() == '"':
            mark = "\u201c" if previous in _OPENING_CONTEXT else "\u201d"
        elif previous.isalnum() or previous in _CLOSING_CONTEXT or text[index + 1 : index + 2].isdigit():
            mark = "\u2019"  # an apostrophe (Biden's, '90s) or a closing quote
        else:
            mark = "\u2018" if previous in _OPENING_CONTEXT else "\u2019"
        last_index, last_mark = index, mark
        return mark

    return _QUOTE_MARK.sub(curl, text)


def smart_punctuation(html_text: str) -> str:
    """Real quotation marks, dashes and ellipses in the text of rendered HTML, never inside code or tags.

    Does what Python-Markdown's `smarty` extension does (same text on our test corpus) in a fifth of its
    time: `smarty` alone was more than half of the Markdown cost of an article.
    """
    parts = _TOKENS.split(html_text)
    raw_depth = 0
    before = " "
    for index, part in enumerate(parts):
        if not part:
            continue
        if part.startswith("<"):
            match = _TAG_NAME.match(part)
            if match:
                name = match.group(2).lower()
                if name in _RAW_TAGS and not part.endswith("/>"):
                    raw_depth = max(0, raw_depth + (-1 if match.group(1) else 1))
                if name in _BLOCK_TAGS:
                    before = " "
            continue
        if not raw_depth:
            part = parts[index] = _curl(part, before)
        before = part[-1]
    return "".join(parts)


class MarkupTooComplex(Exception):
    """The body is pathological Markdown (nested thousands deep, or quadratic for the parser)."""


class _OutOfTime(Exception):
    pass


class _Deadline:
    """A time limit the converter checks itself, at each step of its own: each block processor's
    run and each inline pattern's match. No signal and no timer thread: it works in any thread (serve
    converts off the main thread) and in any process, and touches no process-wide state.

    Pathological Markdown is slow because a step runs very many times (Python-Markdown's link pattern
    scans the rest of the text at each of 20,000 `[`), each step taking milliseconds, so the limit
    is overrun by at most one step. A single regular-expression search that never ends would not be
    cut off; a signal could not cut it off either, as `re` runs in C."""

    def __init__(self) -> None:
        self.at = math.inf  # time.monotonic() beyond which the conversion stops; inf: no conversion runs

    def guard(self, step: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if time.monotonic() > self.at:
                raise _OutOfTime
            return step(*args, **kwargs)

        return guarded

    def install(self, md: markdown.Markdown) -> None:
        """Guard the converter's steps (their public registries: `md.parser.blockprocessors`,
        `md.inlinePatterns`). Instance attributes, so each converter is guarded by its own deadline."""
        for block in md.parser.blockprocessors:
            block.run = self.guard(block.run)  # type: ignore[method-assign]
        for pattern in md.inlinePatterns:
            pattern.handleMatch = self.guard(pattern.handleMatch)  # type: ignore[method-assign]

    @contextmanager
    def running(self, seconds: float) -> Iterator[None]:
        self.at = time.monotonic() + seconds
        try:
            yield
        finally:
            self.at = math.inf


class MarkdownRenderer:
    """One configured Markdown converter (they are stateful; make one per process)."""

    def __init__(self, allow_raw_html: bool = False, base_path: str = "/", accelerated: bool = True):
        """`accelerated=False` is Python-Markdown as it ships, to check that the accelerations change nothing."""
        self._allow_raw_html = allow_raw_html
        self._md = markdown.Markdown(extensions=EXTENSIONS, extension_configs={"toc": {"permalink": False}})
        if not allow_raw_html:
            # Raw HTML in Markdown comes out as visible text, never as markup.
            self._md.preprocessors.deregister("html_block")
            self._md.inlinePatterns.deregister("html")
            self._md.preprocessors.register(_CommentLines(self._md), "newsgen_comment_lines", 20)
            self._md.inlinePatterns.register(_InlineComment(_COMMENT, self._md), "newsgen_comment", 90)
        self._links = _LinkGuard(self._md, base_path)
        self._md.treeprocessors.register(self._links, "newsgen_link_guard", 0)
        self._figures = _Figures(self._md)
        self._md.treeprocessors.register(self._figures, "newsgen_figures", 1)
        self._deadline = _Deadline()
        self._deadline.install(self._md)
        self.accelerated = accelerated and accelerate(self._md)

    def render(self, source: str, seconds: float = SECONDS_PER_ARTICLE) -> RenderedBody:
        """Markdown -> HTML; raises MarkupTooComplex instead of hanging or overflowing the stack."""
        self._md.reset()
        self._links.found = []
        self._figures.unlabelled = []
        try:
            with self._deadline.running(seconds):
                body_html = smart_punctuation(self._md.convert(source))
        except _OutOfTime:
            raise MarkupTooComplex(f"the Markdown took longer than {seconds:g} s to convert; "
                                   "look for very long runs of brackets or emphasis marks") from None
        except RecursionError:
            raise MarkupTooComplex("the Markdown is nested too deeply (quotes or lists inside each other)") from None
        if self._allow_raw_html:
            import nh3  # only sites that opt in to raw HTML pay for the sanitiser

            body_html = nh3.clean(body_html, url_schemes={"http", "https", "mailto"})
        words = html.unescape(_TAG.sub(" ", body_html)).split()
        return RenderedBody(html_utf8=body_html.encode("utf-8", "surrogatepass"), text=" ".join(words),
                            words=len(words), references=_with_lines(source, self._links.found),
                            unlabelled=_with_lines(source, self._figures.unlabelled))


def _with_lines(source: str, urls: list[str]) -> tuple[tuple[str, int | None], ...]:
    """Each URL with the line of the body it is first written on (after the previous one found)."""
    found = []
    start = 0
    for url in urls:
        index = source.find(url, start)
        if index < 0:
            index = source.find(url)
        if index < 0:
            found.append((url, None))
            continue
        start = index + len(url)
        found.append((url, source.count("\n", 0, index) + 1))
    return tuple(found)


_IMG = re.compile(r"<img\s([^>]*?)\s*/?>")
_ATTRIBUTE = re.compile(r'([a-zA-Z-]+)="([^"]*)"')


def with_pictures(body_html: str, pictures: dict[str, Any], base_path: str, sizes: str) -> str:
    """The body's `<img>` of pictures the build resized, as `<picture>` elements: AVIF and WebP sources,
    the fallback with its srcset, the true width and height, lazy loading. `pictures`: the `src` as the
    HTML has it (after _LinkGuard) -> pictures.Picture. Other images are left as they are."""
    if not pictures:
        return body_html
    prefix = base_path.rstrip("/") + "/"

    def srcset(variants: Any) -> str:
        return ", ".join(f"{html.escape(prefix + v.path)} {v.width}w" for v in variants)

    def replace(match: re.Match[str]) -> str:
        attributes = dict(_ATTRIBUTE.findall(match.group(1)))
        picture = pictures.get(html.unescape(attributes.get("src", "")))
        if picture is None:
            return match.group(0)
        sources = "".join(f'<source type="{v[0].mime}" srcset="{srcset(v)}" sizes="{sizes}">'
                          for v in (picture.of(fmt) for fmt in picture.formats[:-1]))
        src = picture.src
        title = f' title="{attributes["title"]}"' if "title" in attributes else ""
        return (f'<picture>{sources}<img src="{html.escape(prefix + src.path)}" '
                f'srcset="{srcset(picture.of(picture.fallback))}" sizes="{sizes}" alt="{attributes.get("alt", "")}"'
                f'{title} width="{src.width}" height="{src.height}" loading="lazy" decoding="async"></picture>')

    return _IMG.sub(replace, body_html)


EXCERPT_LIMIT = 160


def excerpt(text: str, limit: int = EXCERPT_LIMIT) -> str:
    """First sentences of a text, cut at a word boundary, for descriptions when no summary is given."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
