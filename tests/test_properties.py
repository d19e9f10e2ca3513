"""Property-based tests: any input gives a site or a clear error, never a traceback or an escape."""

from __future__ import annotations

import json
import re
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st

from newsgen.build import BuildOptions, build
from newsgen.content import parse_article
from newsgen.errors import NewsgenError
from newsgen.markdown_speed import GatedExpression
from newsgen.markup import _CLOSING_CONTEXT, _OPENING_CONTEXT, MarkdownRenderer, MarkupTooComplex, _curl, is_safe_url
from newsgen.render import to_json

UTC = ZoneInfo("UTC")
names = st.text(min_size=0, max_size=40)


def front_matter(title: str, tags: list[str], categories: list[str], summary: str) -> bytes:
    """Front matter with every value as a JSON string (valid YAML), so any text can be tried."""
    return (
        "---\n"
        f"title: {json.dumps(title)}\n"
        "date: 2021-05-25T10:00:00Z\n"
        f"summary: {json.dumps(summary)}\n"
        f"tags: [{', '.join(json.dumps(t) for t in tags)}]\n"
        f"categories: [{', '.join(json.dumps(c) for c in categories)}]\n"
        "---\nBody.\n"
    ).encode("utf-8", "surrogatepass")


@given(st.binary(max_size=600))
def test_any_bytes_are_an_article_or_a_clear_error(raw: bytes) -> None:
    try:
        parse_article(raw, "content/x.md", UTC, "Staff")
    except NewsgenError as exc:
        assert exc.problems and all(p.path == "content/x.md" for p in exc.problems)


@given(st.text(max_size=300))
def test_any_text_after_a_front_matter_line_is_an_article_or_a_clear_error(text: str) -> None:
    try:
        parse_article(("---\n" + text).encode("utf-8", "surrogatepass"), "content/x.md", UTC, "Staff")
    except NewsgenError as exc:
        assert all(str(p).startswith("content/x.md") for p in exc.problems)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=names, tags=st.lists(names, max_size=4), categories=st.lists(names, max_size=2), summary=names)
def test_any_front_matter_builds_inside_the_output_folder_or_fails_clearly(
        title: str, tags: list[str], categories: list[str], summary: str) -> None:
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        site = root / "site"
        (site / "content").mkdir(parents=True)
        (site / "content/x.md").write_bytes(front_matter(title, tags, categories, summary))
        out = root / "out"
        try:
            build(site, BuildOptions(output=out, now=datetime(2030, 1, 1, tzinfo=timezone.utc)))
        except NewsgenError as exc:
            assert exc.problems and not out.exists()
            return
        allowed = (site, out, root / ".out.newsgen-cache")  # the cache beside the output is newsgen's own
        for path in root.rglob("*"):
            assert any(path == folder or folder in path.parents for folder in allowed), path


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                    max_leaves=10))
def test_json_for_script_elements_never_contains_markup_characters(value: object) -> None:
    encoded = to_json(value)
    assert not any(char in encoded for char in "<>&\u2028\u2029")
    assert json.loads(encoded) == value


@given(st.text(max_size=60))
def test_only_harmless_url_schemes_pass(url: str) -> None:
    compact = "".join(c for c in url if ord(c) > 32).lower()
    if compact.startswith(("javascript:", "data:", "vbscript:")):
        assert not is_safe_url(url)


# --- the accelerated Markdown renderer writes what stock Python-Markdown writes -------------------------------

RENDERERS = {  # (allow_raw_html, base_path) -> (accelerated, stock); made once: a converter takes milliseconds
    settings_: (MarkdownRenderer(*settings_), MarkdownRenderer(*settings_, accelerated=False))
    for settings_ in [(False, "/"), (True, "/news/")]
}
WORDS = ["news", "a", "I", "x1", "Zürich", "Москва", "日本語", "café", "'90s", "Biden's", "3", "e=mc^2"]
MARKS = ["*", "**", "***", "_", "__", "`", "``", "\\", "\\*", "\\_", "\\`", "\\[", "\\\\", "[", "]", "(", ")", "!",
         "<", ">", "&", ";", "#", ":", "//", "@", "'", '"', "--", "...", "|", "^", "-", "=", "~", "+", "1."]
ATOMS = ["&amp;", "&copy;", "&#169;", "&#x4e2d;", "&bogus;", "&#;", "<b>", "</b>", '<span class="x">', "<br/>",
         "<!-- note -->", "<?php x ?>", "<![CDATA[x]]>", "<http://example.org/a_b*c>", "<https://e.org/?a=1&b=2>",
         "<me@example.com>", "<mailto:me@example.com>", "<javascript:alert(1)>", "[^1]", "[^n]", "[ref]",
         "[Ref][ref]", "[ref][]", "![logo][ref]", "![ref]", "[missing][nope]", "[TOC]", "  \n", "\n", "\t"]
URLS = ["http://example.org/a", "/local/path/", "//cdn.example.org/x.png", "#top", "mailto:me@example.org",
        "javascript:alert(1)", " data:text/html,x", "<http://example.org/b c>", "a(b)c", "", "https://[::1"]
TITLES = ["", ' "A title"', " 'single'", ' "unclosed']

gap = st.sampled_from(["", " ", " ", "  ", "\n"])
atom = st.one_of(st.sampled_from(WORDS), st.sampled_from(MARKS), st.sampled_from(ATOMS),
                 st.text(alphabet="ab *_`\\[]()!<>&;#", max_size=6))


def _wrap(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Emphasis, code spans, links and images around smaller inline Markdown."""
    return st.one_of(
        st.builds(lambda mark, text: f"{mark}{text}{mark}", st.sampled_from(["*", "**", "***", "_", "__"]), inner),
        st.builds(lambda ticks, text: f"{ticks}{text}{ticks}", st.sampled_from(["`", "``"]), inner),
        st.builds(lambda text, url, title: f"[{text}]({url}{title})", inner, st.sampled_from(URLS),
                  st.sampled_from(TITLES)),
        st.builds(lambda text, url, title: f"![{text}]({url}{title})", inner, st.sampled_from(URLS),
                  st.sampled_from(TITLES)),
        st.lists(st.tuples(inner, gap), max_size=4).map(lambda parts: "".join(a + b for a, b in parts)),
    )


inline = st.recursive(atom, _wrap, max_leaves=12)
line = st.lists(st.tuples(inline, gap), min_size=1, max_size=8).map(lambda parts: "".join(a + b for a, b in parts))
block = st.one_of(
    line,
    line.map(lambda text: "# " + text), line.map(lambda text: "### " + text + " ###"),
    line.map(lambda text: text + "\n====="), line.map(lambda text: "> " + text),
    line.map(lambda text: "> > " + text + "\n> " + text),
    st.lists(line, min_size=1, max_size=3).map(lambda items: "\n".join("- " + item for item in items)),
    st.lists(line, min_size=1, max_size=3).map(lambda items: "\n".join("1. " + item for item in items)),
    line.map(lambda text: "- item\n\n    " + text),
    line.map(lambda text: "```\n" + text + "\n```"), line.map(lambda text: "    " + text),
    line.map(lambda text: f"| a | {text} |\n|---|---|\n| {text} | d |"),
    line.map(lambda text: "<div>\n" + text + "\n</div>"),
    st.sampled_from(["[ref]: http://example.org/ref \"Ref title\"", "[ref]: javascript:alert(1)",
                     "[^1]: A note with *emphasis* and `code`.", "[^n]: note", "---", "* * *", "[TOC]"]),
)
document = st.lists(st.tuples(block, st.sampled_from(["\n\n", "\n", "\n\n\n"])), max_size=8).map(
    lambda parts: "".join(a + b for a, b in parts))


def _outcome(renderer: MarkdownRenderer, source: str) -> object:
    try:
        return renderer.render(source)
    except MarkupTooComplex as exc:
        return str(exc)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=document, settings_=st.sampled_from(sorted(RENDERERS)))
def test_accelerated_markdown_is_byte_identical_to_stock(source: str, settings_: tuple[bool, str]) -> None:
    fast, stock = RENDERERS[settings_]
    assert _outcome(fast, source) == _outcome(stock, source)


@settings(max_examples=300, deadline=None)
@given(source=st.text(alphabet="ab \n*_`\\[]()!<>&;#:/@'\"-.|^=~\u00e9\u4e2d", max_size=120),
       settings_=st.sampled_from(sorted(RENDERERS)))
def test_accelerated_markdown_is_byte_identical_to_stock_on_mark_soup(source: str, settings_: tuple[bool, str]) -> None:
    fast, stock = RENDERERS[settings_]
    assert _outcome(fast, source) == _outcome(stock, source)


_MD = MarkdownRenderer()._md
GATED = [value for processor in [*_MD.preprocessors, *_MD.parser.blockprocessors]
         for value in vars(processor).values() if isinstance(value, GatedExpression)]


def _found(match: re.Match[str] | None) -> object:
    return None if match is None else (match.span(), match.groups())


@settings(max_examples=500)
@given(text=st.lists(st.sampled_from(["#", "## ", "\n", "> ", "---", "- - -", "===", "```", "~~~", "[^1]:", "[a]: ",
                                      "1. ", "- ", "* ", "    ", "|", "`", "a", "\u00e9", " ", "\\"]),
                     max_size=14).map("".join),
       data=st.data())
def test_gated_block_expressions_answer_as_the_expressions_themselves(text: str, data: st.DataObject) -> None:
    # Positions around the text's own length, where a needle just inside or just outside the part read matters.
    pos = data.draw(st.integers(-3, len(text) + 3))
    endpos = data.draw(st.integers(-3, len(text) + 3) | st.just(sys.maxsize))
    for gated in GATED:
        for method in ("search", "match", "fullmatch"):
            assert _found(getattr(gated, method)(text, pos, endpos)) == \
                _found(getattr(gated.expression, method)(text, pos, endpos)), (gated.pattern, method)
        assert _found(gated.search(text)) == _found(gated.expression.search(text))
        assert _found(gated.match(text, pos=pos)) == _found(gated.expression.match(text, pos=pos))


def _curl_reference(text: str, before: str) -> str:
    """smart_punctuation's curling as first written: a visit to every character (the speed-up visits only
    quote marks)."""
    text = text.replace("---", "\u2014").replace("--", "\u2013").replace("...", "\u2026")
    out = []
    previous = before
    for index, char in enumerate(text):
        if char == '"':
            char = "\u201c" if previous in _OPENING_CONTEXT else "\u201d"
        elif char == "'":
            if previous.isalnum() or previous in _CLOSING_CONTEXT or text[index + 1 : index + 2].isdigit():
                char = "\u2019"
            else:
                char = "\u2018" if previous in _OPENING_CONTEXT else "\u2019"
        out.append(char)
        previous = char
    return "".join(out)


@settings(max_examples=500)
@given(text=st.text(alphabet="\"''\"a9 .-(\u2014)/,\n\u00e9", max_size=40), before=st.sampled_from(" a9(.\"'\u201c-"))
def test_curled_quotes_are_those_of_the_character_by_character_rule(text: str, before: str) -> None:
    assert _curl(text, before) == _curl_reference(text, before)
