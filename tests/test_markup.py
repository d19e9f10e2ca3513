"""Markdown rendering: typographer's punctuation that matches Python-Markdown's smarty, never in code."""

from __future__ import annotations

import html

import markdown
import pytest

from conftest import REPO, SITES
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


def sample_bodies() -> list[str]:
    paths = [REPO / "content", *(SITES / name for name in ("newsroom", "multi", "hugo", "jekyll", "pelican"))]
    bodies = [p.read_text(encoding="utf-8").split("---", 2)[-1] for root in paths for p in sorted(root.rglob("*.md"))]
    return bodies + SAMPLES


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
