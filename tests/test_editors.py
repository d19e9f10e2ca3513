"""What an editor does at the command line, end to end: new, build flags and its JSON report, colour on
a terminal, and the newsroom features (corrections, authors, datelines, type labels, aliases,
a controlled vocabulary)."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import feedparser
import lxml.html
import pytest
import requests

from conftest import article, run_newsgen, write_tree


def html(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(path.read_bytes())


def texts(doc: lxml.html.HtmlElement, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in doc.xpath(xpath)]


EPOCH = {"SOURCE_DATE_EPOCH": "1717236000"}  # 2024-06-01 10:00:00 UTC


# --- newsgen new -----------------------------------------------------------------------------------

def test_new_writes_a_dated_article_that_builds(make_site, tmp_path: Path) -> None:
    site = make_site({"newsgen.yaml": "timezone: Asia/Tokyo\n"})
    headline = 'Mayor says "no": the harbour plan, part 2'
    result = run_newsgen("new", headline, "--site", site, "--category", "Local", "--category", "Politics",
                         "--tag", "Harbour", "--tag", "C++", "--author", "Kari Nordmann", "--type", "Opinion",
                         "--publish", env=EPOCH)
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path == site / "content/2024-06-01-mayor-says-no-the-harbour-plan-part-2.md" and path.is_file()
    assert "date: 2024-06-01T19:00:00+09:00" in path.read_text()  # now, in the site's zone

    out = tmp_path / "out"
    assert run_newsgen("build", site, "-o", out, env=EPOCH).returncode == 0
    doc = html(out / "2024/06/01/mayor-says-no-the-harbour-plan-part-2/index.html")
    assert texts(doc, "//h1") == [headline]
    assert texts(doc, "//p[@class='kicker']") == ["Local"]
    assert doc.xpath("//ul[@class='tags']//a/@href") == ["/tag/harbour/", "/tag/c-plus-plus/"]
    assert texts(doc, "//*[@class='author']") == ["Kari Nordmann"]
    assert texts(doc, "//*[contains(@class, 'type-label')]") == ["Opinion"]


def test_new_refuses_to_overwrite_and_drafts_stay_out(make_site, tmp_path: Path) -> None:
    site = make_site({"newsgen.yaml": "title: The Gazette\n"})
    first = run_newsgen("new", "Storm warning", "--draft", cwd=site, env=EPOCH)
    assert first.returncode == 0 and first.stdout.strip() == "content/2024-06-01-storm-warning.md"
    before = (site / first.stdout.strip()).read_bytes()
    again = run_newsgen("new", "Storm warning", cwd=site, env=EPOCH)
    assert again.returncode == 2 and "already exists" in again.stderr
    assert (site / first.stdout.strip()).read_bytes() == before

    report = json.loads(run_newsgen("build", site, "-o", tmp_path / "out", "--json", env=EPOCH).stdout)
    assert report["skipped"] == [{"source": "content/2024-06-01-storm-warning.md", "reason": "draft", "due": None}]
    assert run_newsgen("build", site, "-o", tmp_path / "out2", "--drafts", env=EPOCH).returncode == 0
    assert (tmp_path / "out2/2024/06/01/storm-warning/index.html").is_file()


def test_new_outside_a_site_is_a_usage_error(tmp_path: Path) -> None:
    result = run_newsgen("new", "Anything", "--site", tmp_path / "missing")
    assert result.returncode == 2 and "not a folder" in result.stderr


# --- help, version, typos ----------------------------------------------------------------------------

@pytest.mark.parametrize("command", [(), ("build",), ("init",), ("new",)])
def test_every_command_has_help_with_examples(command: tuple[str, ...]) -> None:
    result = run_newsgen(*command, "--help")
    assert result.returncode == 0 and "examples:" in result.stdout


def test_build_help_lists_the_flags_editors_expect() -> None:
    help_text = run_newsgen("build", "--help").stdout
    for flag in ("--drafts", "--future", "--base-url", "--output", "--strict", "--quiet", "--verbose", "--debug",
                 "--json", "NO_COLOR"):
        assert flag in help_text
    assert "--category" in run_newsgen("new", "--help").stdout


def test_mistyped_commands_get_a_suggestion() -> None:
    result = run_newsgen("nwe", "x")
    assert result.returncode == 2 and "did you mean 'new'?" in result.stderr
    assert "did you mean 'build'?" in run_newsgen("biuld").stderr


# --- build flags ---------------------------------------------------------------------------------------

WARNING_SITE = {  # two distinct tag names that share a slug: a warning, not an error
    "content/a.md": article("A", "2024-05-01T10:00:00Z", tags=["C-Sharp"]),
    "content/b.md": article("B", "2024-05-02T10:00:00Z", tags=["C#"]),
}


def test_strict_turns_warnings_into_a_failed_build(make_site, tmp_path: Path) -> None:
    site = make_site(WARNING_SITE)
    relaxed = run_newsgen("build", site, "-o", tmp_path / "relaxed")
    assert relaxed.returncode == 0 and "warning: tag names share the slug" in relaxed.stderr
    strict = run_newsgen("build", site, "-o", tmp_path / "strict", "--strict")
    assert strict.returncode == 1 and "share the slug" in strict.stderr and "(--strict)" in strict.stderr
    assert not (tmp_path / "strict").exists()


def test_quiet_verbose_and_debug(make_site, tmp_path: Path) -> None:
    site = make_site({"content/a.md": article("Alpha", "2024-05-01T10:00:00Z", aliases=["/old/alpha/"])})
    assert run_newsgen("build", site, "-o", tmp_path / "q", "-q").stdout == ""
    verbose = run_newsgen("build", site, "-o", tmp_path / "v", "-v").stdout
    assert "article content/a.md -> /2024/05/01/alpha/" in verbose
    assert "redirect /old/alpha/ -> /2024/05/01/alpha/" in verbose
    assert "changed 2024/05/01/alpha/index.html" in verbose
    plain = run_newsgen("build", site, "-o", tmp_path / "v").stdout
    assert "article content/a.md" not in plain
    assert "article content/a.md" in run_newsgen("build", site, "-o", tmp_path / "v", "--debug").stdout


def test_internal_errors_are_one_line_unless_debug(make_site, tmp_path: Path) -> None:
    """A bug inside newsgen (simulated by a sitecustomize that breaks the Markdown stage)."""
    site = make_site({"content/a.md": article()})
    hooks = write_tree(tmp_path / "hooks", {"sitecustomize.py": """
        import newsgen.markup
        def broken(self, *args, **kwargs):
            raise RuntimeError("simulated bug")
        newsgen.markup.MarkdownRenderer.render = broken
    """})
    env = {"PYTHONPATH": os.pathsep.join([str(hooks), *sys.path])}
    short = run_newsgen("build", site, "-o", tmp_path / "out", env=env)
    assert short.returncode == 70
    assert "internal error: RuntimeError: simulated bug (run again with --debug" in short.stderr
    assert "Traceback" not in short.stderr
    debug = run_newsgen("build", site, "-o", tmp_path / "out", "--debug", env=env)
    assert debug.returncode == 70 and "Traceback" in debug.stderr and "simulated bug" in debug.stderr


def test_json_report_counts_skips_warnings_and_changed_urls(make_site, tmp_path: Path) -> None:
    site = make_site({
        **WARNING_SITE,
        "newsgen.yaml": "base_url: https://example.org/news/\n",
        "content/draft.md": article("Draft", "2024-05-03T10:00:00Z", draft="true"),
        "content/later.md": article("Later", "2099-01-01T10:00:00Z"),
        "content/renamed.md": article("Renamed", "2024-05-04T10:00:00Z", categories=["Computing"]),
        "taxonomies.yaml": "categories:\n  terms:\n    - name: Technology\n      formerly: [Computing]\n",
    })
    out = tmp_path / "out"
    first = run_newsgen("build", site, "-o", out, "--json", env=EPOCH)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)  # stdout is the report and nothing else
    assert report["ok"] is True and report["articles"] == 3
    assert report["pages"]["article"] == 3 and report["pages"]["tag"] == 2 and report["pages"]["redirect"] == 1
    assert report["search"]["files"] > 10  # the search index, on by default
    assert report["files"] == sum(report["pages"].values()) + report["static_files"] + report["search"]["files"]
    assert report["skipped"] == [
        {"source": "content/draft.md", "reason": "draft", "due": None},
        {"source": "content/later.md", "reason": "scheduled", "due": "2099-01-01T10:00:00+00:00"},
    ]
    assert report["warnings"]["content/renamed.md"] == ["4: categories: 'Computing' was renamed to 'Technology'"]
    assert any("share the slug" in w for w in report["warnings"][""])
    assert report["timings"]["total_seconds"] > 0
    assert "https://example.org/news/" in report["changed"]
    assert "https://example.org/news/2024/05/04/renamed/" in report["changed"]
    assert len(report["changed"]) == report["files"]  # a first build changes everything

    again = json.loads(run_newsgen("build", site, "-o", out, "--json", env=EPOCH).stdout)
    assert again["changed"] == [] and again["written"] == 0

    write_tree(site, {"content/a.md": article("A, revised", "2024-05-01T10:00:00Z", tags=["C-Sharp"])})
    edited = json.loads(run_newsgen("build", site, "-o", out, "--json", env=EPOCH).stdout)
    assert "https://example.org/news/2024/05/01/a-revised/" in edited["changed"]
    assert "https://example.org/news/2024/05/01/a/" in edited["changed"]  # gone: purge it too
    assert "https://example.org/news/2024/05/04/renamed/" not in edited["changed"]


def test_json_report_on_failure_lists_the_errors(make_site, tmp_path: Path) -> None:
    site = make_site({"content/a.md": "---\ntitle: x\ndate: someday\n---\nBody\n"})
    result = run_newsgen("build", site, "-o", tmp_path / "out", "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["exit_code"] == 1
    assert report["errors"][0]["path"] == "content/a.md" and report["errors"][0]["line"] == 3
    assert report["errors"][0]["field"] == "date"


def _run_on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run newsgen with stdout and stderr on a pseudo-terminal, as in an editor's shell."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "newsgen", *args], stdout=follower, stderr=follower,
                               stdin=subprocess.DEVNULL, env=env)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode()


def test_colour_and_progress_only_on_a_terminal_and_never_with_no_color(make_site, tmp_path: Path) -> None:
    site = make_site(WARNING_SITE)
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["TERM"] = "xterm"
    on_tty = _run_on_a_terminal(["build", str(site), "-o", str(tmp_path / "a")], env)
    assert "\x1b[1;33mwarning:\x1b[0m" in on_tty and "Building" in on_tty
    no_color = _run_on_a_terminal(["build", str(site), "-o", str(tmp_path / "b")], {**env, "NO_COLOR": "1"})
    assert "warning: tag names" in no_color and "\x1b[1;33m" not in no_color
    piped = subprocess.run([sys.executable, "-m", "newsgen", "build", str(site), "-o", str(tmp_path / "c")],
                           env=env, capture_output=True, text=True)
    assert "\x1b" not in piped.stdout + piped.stderr and "Building" not in piped.stderr


# --- newsroom features -------------------------------------------------------------------------------

CORRECTED = """---
title: Council approves the harbour budget
date: 2024-05-01T10:00:00+02:00
updated: 2024-05-01T15:00:00+02:00
authors: [Kari Nordmann, Ola Nordmann]
dateline: BERGEN
type: News
categories: [Local]
corrections:
  - date: 2024-05-03T09:00:00+02:00
    text: An earlier version gave the wrong vote count; it was 7 to 2.
  - date: 2024-05-02
    text: The mayor's name was misspelt.
aliases:
  - /2024/05/budget-vote/
  - /old/budget.html
---
The council approved the budget.
"""


@pytest.fixture
def newsroom(make_site, tmp_path: Path) -> Path:
    site = make_site({
        "newsgen.yaml": "base_url: https://example.org/news/\ntimezone: Europe/Oslo\n",
        "content/budget.md": CORRECTED,
        "content/ferry.md": article("Ferry returns", "2024-05-04T10:00:00+02:00", author="Kari Nordmann",
                                    type="opinion"),
    })
    out = tmp_path / "out"
    result = run_newsgen("build", site, "-o", out)
    assert result.returncode == 0, result.stderr
    return out


def test_corrections_dateline_and_type_label_are_shown(newsroom: Path) -> None:
    doc = html(newsroom / "2024/05/01/council-approves-the-harbour-budget/index.html")
    assert texts(doc, "//*[contains(@class, 'type-label')]") == ["News"]
    assert texts(doc, "//*[@class='dateline']") == ["BERGEN"]
    assert texts(doc, "//aside[@class='corrections']/h2") == ["Corrections"]
    assert texts(doc, "//aside[@class='corrections']//li") == [
        "2 May 2024: The mayor's name was misspelt.",
        "3 May 2024: An earlier version gave the wrong vote count; it was 7 to 2.",
    ]
    assert doc.xpath("//aside[@class='corrections']//time/@datetime") == [
        "2024-05-02T00:00:00+02:00", "2024-05-03T09:00:00+02:00"]
    # the last correction is the modification time everywhere
    assert doc.xpath("//meta[@property='article:modified_time']/@content") == ["2024-05-03T09:00:00+02:00"]
    news = next(data for data in map(json.loads, doc.xpath("//script[@type='application/ld+json']/text()"))
                if data["@type"] == "NewsArticle")
    assert news["dateModified"] == "2024-05-03T09:00:00+02:00"
    # the visible "Updated" time is that same instant
    assert doc.xpath("//div[@class='byline']//time/@datetime")[-1] == "2024-05-03T09:00:00+02:00"
    assert [(c["@type"], c["datePublished"], c["text"]) for c in news["correction"]] == [
        ("CorrectionComment", "2024-05-02T00:00:00+02:00", "The mayor's name was misspelt."),
        ("CorrectionComment", "2024-05-03T09:00:00+02:00", "An earlier version gave the wrong vote count; it was 7 to 2."),
    ]
    feed = feedparser.parse((newsroom / "feed.xml").read_bytes())
    entry = next(e for e in feed.entries if "budget" in e.link)
    assert entry.updated.startswith("2024-05-03T09:00:00")
    ferry = html(newsroom / "2024/05/04/ferry-returns/index.html")
    assert texts(ferry, "//*[contains(@class, 'type-label')]") == ["Opinion"]
    assert not ferry.xpath("//aside[@class='corrections']")


def test_author_pages_list_each_authors_articles(newsroom: Path) -> None:
    kari = html(newsroom / "author/kari-nordmann/index.html")
    assert texts(kari, "//h1") == ["Kari Nordmann"]
    assert kari.xpath("//main//h2/a/@href") == ["/news/2024/05/04/ferry-returns/",
                                                "/news/2024/05/01/council-approves-the-harbour-budget/"]
    ola = html(newsroom / "author/ola-nordmann/index.html")
    assert ola.xpath("//main//h2/a/@href") == ["/news/2024/05/01/council-approves-the-harbour-budget/"]
    article_page = html(newsroom / "2024/05/01/council-approves-the-harbour-budget/index.html")
    assert article_page.xpath("//a[@href='/news/author/ola-nordmann/']")
    assert feedparser.parse((newsroom / "author/kari-nordmann/feed.xml").read_bytes()).entries
    assert "author/kari-nordmann/" in (newsroom / "sitemap.xml").read_text()


def test_author_pages_can_be_turned_off(make_site, tmp_path: Path) -> None:
    site = make_site({"content/a.md": article(author="Kari Nordmann"), "taxonomies.yaml": "author_pages: false\n"})
    assert run_newsgen("build", site, "-o", tmp_path / "out").returncode == 0
    assert not (tmp_path / "out/author").exists()


def test_aliases_redirect_over_http_and_stay_out_of_the_sitemap(newsroom: Path, static_server) -> None:
    target = "https://example.org/news/2024/05/01/council-approves-the-harbour-budget/"
    for old in ("2024/05/budget-vote/index.html", "old/budget.html"):
        doc = html(newsroom / old)
        assert doc.xpath("//meta[@http-equiv='refresh']/@content") == [f"0; url={target}"]
        assert doc.xpath("//link[@rel='canonical']/@href") == [target]
        assert doc.xpath("//meta[@name='robots']/@content") == ["noindex"]
    origin = static_server(newsroom)
    response = requests.get(f"{origin}/2024/05/budget-vote/", timeout=10)
    assert response.status_code == 200 and target in response.text
    sitemap = (newsroom / "sitemap.xml").read_text()
    assert "budget-vote" not in sitemap and "old/budget" not in sitemap


def test_a_redirect_page_takes_a_browser_to_the_article(newsroom: Path, static_server) -> None:
    from playwright.sync_api import sync_playwright

    origin = static_server(newsroom)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run"])
        page = browser.new_page()
        # the site is built for /news/ on example.org; route that origin to the local server
        page.route("https://example.org/news/**", lambda route: route.fulfill(
            response=page.request.get(route.request.url.replace("https://example.org/news", origin))))
        page.goto(f"{origin}/old/budget.html")
        page.wait_for_url("https://example.org/news/2024/05/01/council-approves-the-harbour-budget/", timeout=10000)
        assert page.locator("h1").inner_text() == "Council approves the harbour budget"
        browser.close()


@pytest.mark.parametrize("fields, message", [
    ({"type": "Opinon"}, "type: expected one of News, Opinion, Analysis"),
    ({"corrections": "[{date: 2024-01-01}]"}, "corrections: correction 1: expected 'date' and 'text'"),
    ({"corrections": "[{date: 2020-01-01, text: Early}]"}, "corrections: a correction is dated before the article"),
    ({"aliases": "['/../etc/']"}, "aliases: '/../etc/' is not an old URL path"),
])
def test_newsroom_field_errors(make_site, tmp_path: Path, fields: dict[str, str], message: str) -> None:
    site = make_site({"content/a.md": article("A", "2024-05-01T10:00:00Z", **fields)})
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert result.returncode == 1 and message in result.stderr, result.stderr


def test_an_alias_that_hits_a_real_page_is_refused(make_site, tmp_path: Path) -> None:
    site = make_site({
        "content/a.md": article("A", "2024-05-01T10:00:00Z"),
        "content/b.md": article("B", "2024-05-02T10:00:00Z", aliases=["/2024/05/01/a/"]),
    })
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert result.returncode == 1 and "2024/05/01/a/index.html" in result.stderr and "content/b.md" in result.stderr


# --- controlled vocabulary -----------------------------------------------------------------------------

VOCABULARY = """
categories:
  closed: true
  terms:
    - World
    - name: Technology
      slug: tech
      synonyms: [Tech]
      formerly: [Computing]
tags:
  terms:
    - name: AI
      synonyms: [ai, A.I., artificial intelligence]
"""


def test_synonyms_land_on_the_canonical_term_and_renamed_terms_redirect(make_site, tmp_path: Path) -> None:
    site = make_site({
        "taxonomies.yaml": VOCABULARY,
        "content/a.md": article("A", "2024-05-01T10:00:00Z", categories=["tech"], tags=["A.I."]),
        "content/b.md": article("B", "2024-05-02T10:00:00Z", categories=["Computing"],
                                tags=["artificial intelligence", "Robots"]),
        "content/c.md": article("C", "2024-05-03T10:00:00Z", categories=["World"], tags=["ai"]),
    })
    out = tmp_path / "out"
    result = run_newsgen("build", site, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "content/b.md:4: categories: 'Computing' was renamed to 'Technology'" in result.stderr
    assert sorted(p.name for p in (out / "tag").iterdir()) == ["ai", "robots"]
    ai = html(out / "tag/ai/index.html")
    assert texts(ai, "//h1") == ["AI"] and len(ai.xpath("//main//h2/a")) == 3
    tech = html(out / "category/tech/index.html")
    assert texts(tech, "//h1") == ["Technology"] and len(tech.xpath("//main//h2/a")) == 2
    moved = html(out / "category/computing/index.html")
    assert moved.xpath("//link[@rel='canonical']/@href") == ["http://localhost:8000/category/tech/"]


def test_a_closed_list_refuses_unknown_categories(make_site, tmp_path: Path) -> None:
    site = make_site({
        "taxonomies.yaml": VOCABULARY,
        "content/a.md": article("A", "2024-05-01T10:00:00Z", categories=["Wrold"]),
    })
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert result.returncode == 1
    assert ("content/a.md:4: categories: 'Wrold' is not in the closed list of categories (did you mean 'World'?)"
            in result.stderr)


def test_a_broken_taxonomy_file_is_a_configuration_error(make_site, tmp_path: Path) -> None:
    site = make_site({"taxonomies.yaml": "categories:\n  closed: true\ntagz: {}\n", "content/a.md": article()})
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert result.returncode == 2 and "taxonomies.yaml:3: tagz: unknown key (did you mean 'tags'?)" in result.stderr


def test_init_then_new_then_build(tmp_path: Path) -> None:
    site = tmp_path / "paper"
    assert run_newsgen("init", site).returncode == 0
    assert sorted(p.name for p in site.iterdir()) == ["README.md", "content", "newsgen.yaml", "static", "templates"]
    assert not any((site / "templates").iterdir()) and not any((site / "static").iterdir())
    assert "templates/" in (site / "README.md").read_text() and "override" in (site / "README.md").read_text()
    created = run_newsgen("new", "First story", "--tag", "Launch", "--publish", cwd=site, env=EPOCH)
    assert created.returncode == 0, created.stderr
    built = run_newsgen("build", cwd=site, env=EPOCH)
    assert built.returncode == 0, built.stderr
    assert (site / "build/2024/06/01/first-story/index.html").is_file()
    assert (site / "build/tag/launch/index.html").is_file()
