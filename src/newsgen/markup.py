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

from .embeds import Embed, PosterSize, prepare
from .i18n import QUOTES, candidates, quotes_for
from .markdown_speed import accelerate

WORDS_PER_MINUTE = 238  # silent reading of English non-fiction (Brysbaert 2019)
# Scripts written without spaces between words are read by the character: 255 a minute for Chinese and
# 357 for Japanese (the IReST study, Trauzettel-Klosinski and Dietz 2012); others of them take the former.
CHARACTERS_PER_MINUTE = {"zh": 255, "ja": 357}
DEFAULT_CHARACTERS_PER_MINUTE = 255
# Han, kana, Thai, Lao, Myanmar, Khmer, CJK punctuation and full-width forms: no spaces between their words.
_UNSPACED = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3000-\u30ff\u3400-\u4dbf"
                       "\u4e00-\u9fff\uf900-\ufaff\uff01-\uff9f]")
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
    words: int  # a word count, each character of a script without spaces counting as one
    # Links and pictures that point at files of this site, as written, with the body line they are on
    # (None when the Markdown wrote them some other way, e.g. as a reference link): checked once the
    # build knows every file it writes (references.py).
    references: tuple[tuple[str, int | None], ...] = ()
    embeds: tuple[Embed, ...] = ()  # click-to-load placeholders in the body (embeds.py)
    warnings: tuple[tuple[str, int], ...] = ()  # (message, body line): e.g. a URL no provider embeds
    unspaced: int = 0  # of `words`, characters of scripts written without spaces
    characters_per_minute: int = DEFAULT_CHARACTERS_PER_MINUTE

    @property
    def html(self) -> str:
        """The body as HTML. Kept encoded: a news text's dashes and curly quotes make Python store
        its string at two bytes a character, which at 10,000 articles is 100 MB for what is 50 MB here."""
        return self.html_utf8.decode("utf-8", "surrogatepass")

    @property
    def reading_minutes(self) -> int:
        if not self.unspaced:
            return max(1, math.ceil(self.words / WORDS_PER_MINUTE))
        minutes = (self.words - self.unspaced) / WORDS_PER_MINUTE + self.unspaced / self.characters_per_minute
        return max(1, math.ceil(minutes))


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
        self.no_alt: list[str] = []  # the sources of pictures without alt text; reset by each render

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if element.tag == "img" and not (element.get("alt") or "").strip():
                self.no_alt.append(element.get("src") or "")
            if element.tag == "p" and len(element) == 1 and element[0].tag == "img" and element[0].get("title") \
                    and not (element.text or "").strip() and not (element[0].tail or "").strip():
                # `![alt](x.jpg "Caption")` alone in its paragraph: a figure with that caption, as newsrooms print it
                image = element[0]
                element.tag = "figure"
                caption = etree.SubElement(element, "figcaption")
                caption.text = image.attrib.pop("title")
                image.tail = None
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


ENGLISH_QUOTES = QUOTES["en"]
_CONTEXTS: dict[tuple[str, ...], tuple[set[str], set[str]]] = {}


def _contexts(quotes: tuple[str, ...]) -> tuple[set[str], set[str]]:
    """The characters after which a mark opens, and those after which it closes, for these marks."""
    found = _CONTEXTS.get(quotes)
    if found is None:
        found = _CONTEXTS[quotes] = (_OPENING_CONTEXT | {quotes[0], quotes[2]}, _CLOSING_CONTEXT | {quotes[1], quotes[3]})
    return found


def _curl(text: str, before: str, quotes: tuple[str, str, str, str] = ENGLISH_QUOTES) -> str:
    """Typographer's punctuation in one run of text; `before` is the character that precedes it.
    `quotes`: the language's marks (i18n.QUOTES: opening and closing, then the nested pair)."""
    text = text.replace("---", "\u2014").replace("--", "\u2013").replace("...", "\u2026")
    if '"' not in text and "'" not in text:
        return text
    # Each quote mark is curled by the character before it, as written out (a curled mark if it was a
    # quote mark too), and by the character after it; only the marks are visited, not every character.
    last_index, last_mark = -2, before
    english = quotes is ENGLISH_QUOTES
    opening, closing = (_OPENING_CONTEXT, _CLOSING_CONTEXT) if english else _contexts(quotes)

    def curl(match: re.Match[str]) -> str:
        nonlocal last_index, last_mark
        index = match.start()
        if index == last_index + 1:
            previous = last_mark
        else:
            previous = text[index - 1] if index else before
        after = text[index + 1 : index + 2]
        if match.group() == '"':
            mark = quotes[0] if previous in opening else quotes[1]
        elif previous.isalnum() and (english or after.isalnum()) or after.isdigit():
            mark = "\u2019"  # an apostrophe (Biden's, l'homme, '90s)
        elif previous.isalnum() or previous in closing:
            mark = quotes[3]  # a closing quote
        else:
            mark = quotes[2] if previous in opening else quotes[3]
        last_index, last_mark = index, mark
        return mark

    return _QUOTE_MARK.sub(curl, text)


_FRENCH_OPEN = re.compile("«[ \u00a0\u202f]*")
_FRENCH_CLOSE = re.compile("[ \u00a0\u202f]*»")
_FRENCH_BEFORE = re.compile(" ([;!?])")


def _french_spaces(text: str) -> str:
    """No-break spaces inside « » and before : (U+00A0), and narrow ones before ; ! ? (U+202F), where
    the writer left a space: French typography, which a line break must never split."""
    if "«" in text:
        text = _FRENCH_OPEN.sub("«\u00a0", text)
    if "»" in text:
        text = _FRENCH_CLOSE.sub("\u00a0»", text)
    return _FRENCH_BEFORE.sub("\u202f\\1", text.replace(" :", "\u00a0:"))


def smart_punctuation(html_text: str, language: str = "en") -> str:
    """Real quotation marks, dashes and ellipses in the text of rendered HTML, never inside code or tags,
    in the language's own marks (CLDR's, i18n.QUOTES), with French spacing for French.

    Does what Python-Markdown's `smarty` extension does (same text on our test corpus) in a fifth of its
    time: `smarty` alone was more than half of the Markdown cost of an article.
    """
    quotes = quotes_for(language) if language != "en" else ENGLISH_QUOTES
    if quotes == ENGLISH_QUOTES:
        quotes = ENGLISH_QUOTES  # the same object: _curl's fast path
    french = candidates(language)[-1] == "fr" if language != "en" else False
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
            part = parts[index] = _curl(part, before, quotes)
            if french:
                part = parts[index] = _french_spaces(part)
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

    def __init__(self, allow_raw_html: bool = False, base_path: str = "/", accelerated: bool = True,
                 embed_domains: tuple[str, ...] = (), poster_size: PosterSize | None = None):
        """`accelerated=False` is Python-Markdown as it ships, to check that the accelerations change nothing.
        `embed_domains`: hosts whose iframes the site embeds; `poster_size`: an embed poster's pixel size."""
        self._allow_raw_html = allow_raw_html
        self._base_path = base_path
        self._embed_domains = frozenset(embed_domains)
        self._poster_size = poster_size
        self._md = markdown.Markdown(extensions=EXTENSIONS, extension_configs={"toc": {"permalink": False}})
        if not allow_raw_html:
            # Raw HTML in Markdown comes out as visible text, never as markup.
            self._md.preprocessors.deregister("html_block")
            self._md.inlinePatterns.deregister("html")
            self._md.preprocessors.register(_CommentLines(self._md), "newsgen_comment_lines", 20)
            self._md.inlinePatterns.register(_InlineComment(_COMMENT, self._md), "newsgen_comment", 90)
        self._links = _LinkGuard(self._md, base_path)
        self._md.treeprocessors.register(self._links, "newsgen_link_guard", 0)
        self._deadline = _Deadline()
        self._deadline.install(self._md)
        self.accelerated = accelerated and accelerate(self._md)

    def render(self, source: str, language: str = "en", seconds: float = SECONDS_PER_ARTICLE) -> RenderedBody:
        """Markdown -> HTML, punctuated for `language`; raises MarkupTooComplex instead of hanging or
        overflowing the stack, and EmbedError (with the body line) for an embed that cannot be shown safely."""
        self._md.reset()
        self._links.found = []
        self._links.no_alt = []
        # Embeds are taken out first and put back last: their markup is newsgen's own, which neither
        # Markdown's escaping nor the sanitiser of raw HTML would leave as it is.
        prepared = prepare(source, self._embed_domains, self._base_path, self._poster_size,
                           lambda text: smart_punctuation(text, language))
        try:
            with self._deadline.running(seconds):
                body_html = smart_punctuation(self._md.convert(prepared.source), language)
        except _OutOfTime:
            raise MarkupTooComplex(f"the Markdown took longer than {seconds:g} s to convert; "
                                   "look for very long runs of brackets or emphasis marks") from None
        except RecursionError:
            raise MarkupTooComplex("the Markdown is nested too deeply (quotes or lists inside each other)") from None
        if self._allow_raw_html:
            import nh3  # only sites that opt in to raw HTML pay for the sanitiser

            body_html = nh3.clean(body_html, url_schemes={"http", "https", "mailto"})
        # a placeholder's words are not the story's: no excerpt or word count reads them
        words = html.unescape(_TAG.sub(" ", prepared.without_tokens(body_html))).split()
        posters = tuple((embed.poster, embed.line) for embed in prepared.embeds if embed.poster)
        text = " ".join(words)
        count, unspaced = len(words), 0
        if not text.isascii() and _UNSPACED.search(text):
            # each character of a script without spaces is a word; the rest of a run counts as one
            unspaced = len(_UNSPACED.findall(text))
            count = unspaced + sum(1 for word in words if _UNSPACED.sub("", word))
        rate = next((CHARACTERS_PER_MINUTE[name] for name in candidates(language) if name in CHARACTERS_PER_MINUTE),
                    DEFAULT_CHARACTERS_PER_MINUTE) if unspaced else DEFAULT_CHARACTERS_PER_MINUTE
        return RenderedBody(html_utf8=prepared.finish(body_html).encode("utf-8", "surrogatepass"), text=text,
                            words=count, references=_with_lines(source, self._links.found) + posters,
                            embeds=prepared.embeds, warnings=prepared.warnings + _no_alt(source, self._links.no_alt),
                            unspaced=unspaced,
                            characters_per_minute=rate)


def _no_alt(source: str, urls: list[str]) -> tuple[tuple[str, int], ...]:
    """A warning for each body picture without alt text, on the line it is written on."""
    return tuple((f"the picture {url!r} has no alt text (write ![what it shows]({url}))", line or 1)
                 for url, line in _with_lines(source, urls))


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


EXCERPT_LIMIT = 160


def excerpt(text: str, limit: int = EXCERPT_LIMIT) -> str:
    """First sentences of a text, cut at a word boundary, for descriptions when no summary is given."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    head, space, tail = cut.rpartition(" ")
    # a script without spaces is cut between characters, not back at the last space
    if space and not (tail and _UNSPACED.search(tail)):
        cut = head
    return cut.rstrip(",;:、，；：") + "…"
