"""`feed_content`: full text or summary per kind of feed (site, category, tag, author), seen as a feed
reader sees it: each feed of a site built by the CLI, in all three formats, parsed with feedparser and
checked against the JSON Feed schema."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import jsonschema
import pytest

from conftest import article, run_newsgen
from newsgen import config

SCHEMA = json.loads((Path(__file__).resolve().parent / "schemas" / "jsonfeed-1.1.schema.json").read_text())
CONFIG = "title: Feed Test\nbase_url: https://example.org/\n"
# One feed of each kind; every article is in all of them.
FEEDS = {"site": "", "category": "category/politics/", "tag": "tag/harbour/", "author": "author/jane-doe/"}
DEFAULTS = {"site": "full", "category": "summary", "tag": "summary", "author": "summary"}
ARTICLES = 3


def body(n: int) -> str:
    return f"Body sentence {n} that only the full text has.\n\n> A *quoted* line, {n}.\n"


def summary(n: int) -> str:
    return f"Standfirst number {n}."


def build(make_site, tmp_path: Path, settings: str = "") -> Path:
    files = {"newsgen.yaml": CONFIG + settings}
    for n in range(ARTICLES):
        files[f"content/story-{n}.md"] = article(f"Story {n}", f"2024-03-1{n}T10:00:00+00:00", body(n),
                                                 summary=summary(n), author="Jane Doe", categories=["Politics"],
                                                 tags=["Harbour", f"Only {n}"])
    site = make_site(files)
    out = tmp_path / "out"
    result = run_newsgen("build", site, "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    return out


def carried(out: Path, base: str) -> str:
    """'full' or 'summary': what the Atom, RSS and JSON feeds at `base` carry, after checking that
    all three parse, agree, and give every entry its link and summary; a summary feed has no body."""
    found = set()
    for name in ("feed.xml", "rss.xml"):
        data = (out / base / name).read_bytes()
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0, (base, name, parsed.get("bozo_exception"))
        assert len(parsed.entries) == ARTICLES
        for entry in parsed.entries:
            n = int(entry.title.split()[-1])
            assert entry.link == f"https://example.org/2024/03/1{n}/story-{n}/"
            assert entry.summary == summary(n)
            if "content" in entry:  # Atom <content>, RSS <content:encoded>
                assert f"Body sentence {n}" in entry.content[0].value and "<blockquote>" in entry.content[0].value
                found.add("full")
            else:
                assert b"Body sentence" not in data and b"blockquote" not in data
                found.add("summary")
    feed = json.loads((out / base / "feed.json").read_text("utf-8"))
    assert [f"{list(e.path)}: {e.message}" for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(feed)] == []
    for item in feed["items"]:
        n = int(item["title"].split()[-1])
        assert item["url"] == f"https://example.org/2024/03/1{n}/story-{n}/" and item["summary"] == summary(n)
        if "content_html" in item:
            assert f"Body sentence {n}" in item["content_html"] and "content_text" not in item
            found.add("full")
        else:
            assert item["content_text"] == summary(n) and "Body sentence" not in json.dumps(feed)
            found.add("summary")
    assert len(found) == 1, (base, found)  # the three formats carry the same
    return found.pop()


def test_by_default_the_site_feed_carries_full_text_and_term_feeds_summaries(make_site, tmp_path: Path) -> None:
    out = build(make_site, tmp_path)
    assert {kind: carried(out, base) for kind, base in FEEDS.items()} == DEFAULTS
    # every term feed of the site, not only the ones above
    for path in (*out.glob("category/*/feed.xml"), *out.glob("tag/*/feed.xml"), *out.glob("author/*/feed.xml")):
        assert b"Body sentence" not in path.read_bytes(), path


@pytest.mark.parametrize("kind", sorted(FEEDS))
def test_the_setting_flips_one_kind_and_leaves_the_others(make_site, tmp_path: Path, kind: str) -> None:
    flipped = "summary" if DEFAULTS[kind] == "full" else "full"
    out = build(make_site, tmp_path, f"feed_content:\n  {kind}: {flipped}\n")
    assert {k: carried(out, base) for k, base in FEEDS.items()} == {**DEFAULTS, kind: flipped}


@pytest.mark.parametrize("word", ["full", "summary"])
def test_one_word_sets_every_kind(make_site, tmp_path: Path, word: str) -> None:
    out = build(make_site, tmp_path, f"feed_content: {word}\n")
    assert {k: carried(out, base) for k, base in FEEDS.items()} == dict.fromkeys(FEEDS, word)


def test_the_setting_parses_to_typed_values() -> None:
    parsed = config.parse("feed_content: {tag: full, site: summary}\n").feed_content
    assert parsed == config.FeedContent(site="summary", category="summary", tag="full", author="summary")
    assert config.parse("").feed_content == config.FeedContent(**DEFAULTS)  # type: ignore[arg-type]
    assert [parsed.full(kind) for kind in FEEDS] == [False, False, True, False]


@pytest.mark.parametrize("settings, message", [
    ("feed_content: brief\n", "newsgen.yaml:3: feed_content: expected full or summary, not 'brief'"),
    ("feed_content:\n  tgs: full\n", "feed_content: tgs: unknown kind of feed, expected site, category, tag, "
                                     "author (did you mean 'tag'?)"),
    ("feed_content: {tag: yes}\n", "feed_content: tag: expected full or summary, not 'yes'"),
    ("feed_content:\n  author:\n", "feed_content: author: expected full or summary, not nothing"),
    ("feed_content: [full]\n", "feed_content: expected full or summary, or a mapping of site, category, tag, author"),
    ("feed_contents: full\n", "feed_contents: unknown setting (did you mean 'feed_content'?)"),
])
def test_bad_values_exit_2_with_the_setting_named(make_site, tmp_path: Path, settings: str, message: str) -> None:
    site = make_site({"newsgen.yaml": CONFIG + settings, "content/a.md": article("A")})
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert not (tmp_path / "out").exists()
