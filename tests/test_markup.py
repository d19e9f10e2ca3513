"""Markdown rendering: typographer's punctuation that matches Python-Markdown's smarty, never in code."""

from __future__ import annotations

import functools
import html
import importlib.util
import re
import sys

import markdown
import pytest
from markdown import inlinepatterns
from markdown.treeprocessors import InlineProcessor

from conftest import REPO, SITES
from newsgen.markdown_speed import GatedExpression, gate_expressions, needles
from newsgen.markup import EXTENSIONS, MarkdownRenderer, smart_punctuation


@pytest.mark.parametrize("text, expected", [
    ('He said "yes."', "He said \u201cyes.\u201d"),
    ("Biden's plan in the '90s", "Biden\u2019s plan in the \u201990s"),
    ("'Single' quotes", "\u2018Single\u2019 quotes"),
    ("wait... now -- then --- end", "wait\u2026 now \u2013 then \u2014 end"),
    ('("quoted")', "(\u201cquoted\u201d)"),
])
def test_quotes_dashes_and_ellipses(text: str, expected: str) -> None:
    assert smart_punctuation(f"<p>{text}</p>") == f"<p>{expected}</p>"


def test_code_and_tags_are_left_alone() -> None:
    source = '<p>Run <code>echo "hi" -- \'x\'</code> now.</p><pre><code>"raw" ...</code></pre><a title="t">"x"</a>'
    assert smart_punctuation(source) == (
        '<p>Run <code>echo "hi" -- \'x\'</code> now.</p><pre><code>"raw" ...</code></pre><a title="t">\u201cx\u201d</a>')


SAMPLES = [
    'He said "it\'s the \'90s" -- and \'quoted\' text... "A *quoted* word" and `code "x"` ---end.\n\n'
    '"Start" and he said: \'yes.\'\n\n```\n"code block"\n```\n',
    '> "A pull quote," she said.\n\n- "one"\n- \'two\'\n\n| a | "b" |\n|---|---|\n| \'c\' | d |\n',
]


# Constructs the generated corpus lacks, for the comparisons of the accelerated renderer with the stock one.
STRUCTURES = (
    "[TOC]\n\n# One\n\nText\n\nTwo\n---\n\n### Three ###\n\n* * *\n\n```python\nx = '[TOC]'\n```\n\n~~~\ncode\n~~~\n",
    "A[^1] and [ref] and [Ref][ref] and ![img][ref].\n\n[ref]: http://example.org/ \"T\"\n\n[^1]: The *note*.\n",
    "| a | b |\n|---|:-:|\n| `c|d` | e \\| f |\n\n> quote\n> > nested\n\n1. one\n2. two\n\n    code\n",
    "Line  \nbreak <http://example.org/a> <me@example.org> &amp; &copy; \\*no\\* _em_ __strong__ ***both***\n",
)


def sample_bodies() -> list[str]:
    paths = [REPO / "content", *(SITES / name for name in ("newsroom", "multi", "hugo", "jekyll", "pelican"))]
    bodies = [p.read_text(encoding="utf-8").split("---", 2)[-1] for root in paths for p in sorted(root.rglob("*.md"))]
    return bodies + SAMPLES + list(STRUCTURES)


def test_the_same_text_as_python_markdowns_smarty() -> None:
    """Swapping smarty for smart_punctuation (for speed) must not change what readers see."""
    smarty = markdown.Markdown(extensions=["smarty", *EXTENSIONS])
    smarty.preprocessors.deregister("html_block")
    smarty.inlinePatterns.deregister("html")
    ours = MarkdownRenderer()
    bodies = sample_bodies()
    assert len(bodies) > 20
    for body in bodies:
        smarty.reset()
        assert html.unescape(ours.render(body).html) == html.unescape(smarty.convert(body)), body[:80]


# --- the accelerated renderer (newsgen.markdown_speed) gives what Python-Markdown gives -------------------------

@functools.cache
def bench_bodies(n: int = 1000) -> list[str]:
    """The bodies of the benchmark corpus (bench/corpus.py, the same as bench-work/1000)."""
    spec = importlib.util.spec_from_file_location("bench_corpus", REPO / "bench" / "corpus.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # type: ignore[union-attr]  # its dataclass looks itself up there
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return [item.body for item in module.corpus(n)]


def test_the_inline_pass_is_accelerated_with_this_markdown_release() -> None:
    """Otherwise the comparisons below would compare the stock path with itself."""
    assert MarkdownRenderer().accelerated and MarkdownRenderer(allow_raw_html=True).accelerated
    assert not MarkdownRenderer(accelerated=False).accelerated


@pytest.mark.parametrize("allow_raw_html, base_path, step", [(False, "/", 1), (True, "/news/", 5)])
def test_accelerated_output_is_byte_identical_on_the_bench_corpus(allow_raw_html: bool, base_path: str,
                                                                  step: int) -> None:
    """All 1,000 bench bodies as sites render them by default; every fifth with raw HTML and a sub-path."""
    fast = MarkdownRenderer(allow_raw_html, base_path)
    stock = MarkdownRenderer(allow_raw_html, base_path, accelerated=False)
    bodies = bench_bodies()[::step] + sample_bodies()
    assert len(bodies) > 1000 // step
    for body in bodies:
        assert fast.render(body) == stock.render(body), body[:80]


# Every stock inline pattern, the text it cannot match without, and so where it is not searched.
STOCK_NEEDLES = {
    inlinepatterns.BACKTICK_RE: {("`",)},
    inlinepatterns.ESCAPE_RE: {("\\",)},
    inlinepatterns.LINK_RE: {("[",)},  # and REFERENCE_RE, short references
    inlinepatterns.IMAGE_LINK_RE: {("![",)},  # and image references
    inlinepatterns.AUTOLINK_RE: {("://",), ("<",), (">",)},
    inlinepatterns.AUTOMAIL_RE: {("@",), ("<",), (">",)},
    inlinepatterns.LINE_BREAK_RE: {("  \n",)},
    inlinepatterns.HTML_RE: {("<",), (">",)},
    inlinepatterns.ENTITY_RE: {("&",), (";",)},
    r"\[\^([^\]]*)\]": {("[^",), ("]",)},  # footnote references
    r"\*|_": {("*", "_")},  # emphasis and strong
}


def test_every_stock_inline_pattern_has_needles_read_from_its_expression() -> None:
    """Every pattern Python-Markdown ships is skipped where its text is absent (other releases than the one
    pinned in CI write some expressions differently: those are checked by the comparisons alone)."""
    md = MarkdownRenderer(allow_raw_html=True)._md
    patterns = {pattern.getCompiledRegExp().pattern: pattern for pattern in md.inlinePatterns}
    assert len(set(patterns) & set(STOCK_NEEDLES)) >= 9
    for expression, pattern in patterns.items():
        found = needles(pattern.getCompiledRegExp())
        assert found, expression
        if expression in STOCK_NEEDLES:
            assert set(found) == STOCK_NEEDLES[expression], expression


def test_block_processors_run_their_expressions_only_where_the_needles_are() -> None:
    md = MarkdownRenderer()._md
    gated = {type(processor).__name__: {name: value.needles for name, value in vars(processor).items()
                                        if isinstance(value, GatedExpression)}
             for processor in [*md.preprocessors, *md.parser.blockprocessors]}
    assert gated["HashHeaderProcessor"] == {"RE": (("#",),)}
    assert gated["BlockQuoteProcessor"] == {"RE": ((">",),)}
    assert gated["FencedBlockPreprocessor"] == {"FENCED_BLOCK_RE": (("\n",), ("```", "~~~"))}
    assert gated["ReferenceProcessor"]["RE"] and gated["FootnoteBlockProcessor"]["RE"]
    assert gated["ParagraphProcessor"] == {}
    assert type(md.parser.blockprocessors["hashheader"]).RE.search("# a")  # the class keeps its own


def test_expressions_of_other_packages_are_never_gated() -> None:
    class Theirs:
        RE = re.compile("#")

    assert gate_expressions(Theirs()) == 0


@pytest.mark.parametrize("expression, expected", [
    ("abc", {("abc",)}),
    ("a*b", {("b",)}),
    ("a+b", {("a",), ("b",)}),
    ("(?:ab){2,}c?", {("ab",)}),
    ("a|b", {("a", "b")}),
    ("[xy]z", {("x", "y"), ("z",)}),
    ("(?<=q)r", {("r",)}),  # a lookbehind may look before where the search starts
    ("(?=st)", {("st",)}),
    ("(?i:a)b", {("b",)}),
    ("(?:a|b)(?:a|c)", {("a", "b"), ("a", "c")}),
    ("x(?:ab|cd)", {("ab", "cd"), ("x",)}),
])
def test_needles_are_what_every_match_contains(expression: str, expected: set[tuple[str, ...]]) -> None:
    assert set(needles(re.compile(expression))) == expected


@pytest.mark.parametrize("expression, flags", [
    ("a?", 0), ("a|", 0), ("[^a]", 0), (".", 0), ("(?<=a)", 0), ("(?!a)b*", 0), (r"(a)?\1", 0), ("[a-z]", 0),
    ("abc", re.IGNORECASE), ("(?i)abc", 0),
])
def test_no_needles_where_a_match_may_contain_no_fixed_text(expression: str, flags: int) -> None:
    assert needles(re.compile(expression, flags)) is None


def test_a_markdown_release_with_another_inline_loop_gets_the_stock_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    def other_loop(self: InlineProcessor, data: str, patternIndex: int = 0) -> str:  # noqa: N803
        return data

    monkeypatch.setattr(InlineProcessor, "_InlineProcessor__handleInline", other_loop)
    renderer = MarkdownRenderer()
    assert not renderer.accelerated
    assert type(renderer._md.treeprocessors["inline"]) is InlineProcessor
    assert renderer.render("*a*").html == "<p>*a*</p>"  # the (patched) stock loop ran, not ours


PATHOLOGICAL = "[" * 20000 + "]" * 20000  # quadratic for Python-Markdown's link pattern: minutes


@pytest.mark.parametrize("in_thread", [False, True])
def test_pathological_markdown_is_cut_off_in_any_thread_without_a_signal(in_thread: bool) -> None:
    """The time limit is the converter's own check (no SIGALRM, no timer): it holds off the main
    thread too, where `newsgen serve` converts, and leaves the process's signal handlers alone."""
    import signal
    import threading
    import time

    from newsgen.markup import MarkupTooComplex

    handler = signal.getsignal(signal.SIGALRM)
    found: list[object] = []

    def convert() -> None:
        renderer = MarkdownRenderer()
        started = time.monotonic()
        try:
            renderer.render(PATHOLOGICAL, seconds=0.5)
        except MarkupTooComplex as exc:
            found.append((str(exc), time.monotonic() - started))
        found.append(renderer.render("An *ordinary* [link](https://example.org/) after it.\n").html)

    if in_thread:
        thread = threading.Thread(target=convert)
        thread.start()
        thread.join(30)
        assert not thread.is_alive()
    else:
        convert()
    (message, seconds), after = found
    assert "took longer than 0.5 s" in message
    assert 0.5 <= seconds < 2.5  # overrun by a step, not by the whole conversion
    assert after == '<p>An <em>ordinary</em> <a href="https://example.org/">link</a> after it.</p>'  # the limit is reset
    assert signal.getsignal(signal.SIGALRM) is handler and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
