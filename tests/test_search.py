"""Search (issue 21): the Pagefind index made by the build, the /search/ page in real Chromium under a
sub-path, hostile text, failures, `search: false`, the preview, and Lighthouse on the search page."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import stat
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import cbor2
import lxml.html
import pytest
from conftest import REPO, article, build_files, run_newsgen, served_under_news, write_tree
from newsroom import newsroom_files
from playwright.sync_api import Browser, Page
from test_browser import AXE, AXE_TAGS, browser  # noqa: F401  # browser: the module's Chromium, a fixture

from newsgen.build import BuildOptions, build
from newsgen.live import LiveSite

GENEVA = "2021/05/25/biden-putin-geneva-summit/"
HOSTILE_TITLE = '<img src=x onerror="window.pwned=1"> Harbourmaster <b>quits</b> </h2><script>window.pwned=2</script>'
HOSTILE = article("placeholder", "2024-01-15T12:00:00+00:00",
                  'The <img src=y onerror="window.pwned=3"> harbourmaster &lt;script&gt;window.pwned=4&lt;/script&gt; '
                  "left on Friday.\n", slug="harbourmaster", categories=["Business"])
# the headline as YAML reads it: double-quoted, with its quotes escaped
HOSTILE = HOSTILE.replace("title: 'placeholder'", "title: " + json.dumps(HOSTILE_TITLE))


def news_site(base_url: str = "https://example.org/news/") -> dict[str, str | bytes]:
    """The newsroom's stories, the Geneva article (its body alone has 'Navalny') and a hostile headline."""
    files = newsroom_files()
    # (the newsroom's settings are indented, as written in newsroom.py; write_tree dedents them)
    files["newsgen.yaml"] = str(files["newsgen.yaml"]).replace("base_url: https://herald.example/",
                                                               f"base_url: {base_url}")
    files["content/2021-05-25-biden-putin-geneva-summit.md"] = (
        REPO / "content" / "2021-05-25-biden-putin-geneva-summit.md").read_text()
    files["content/harbourmaster.md"] = HOSTILE
    return files


def fragments(output: Path) -> list[dict]:
    """What Pagefind keeps of each indexed page (gzip, a signature, then JSON)."""
    found = []
    for path in sorted((output / "pagefind" / "fragment").iterdir()):
        data = gzip.decompress(path.read_bytes())
        found.append(json.loads(data[data.index(b"{"):]))
    return found


# --- the index a build makes -----------------------------------------------------------------------

def test_the_index_holds_every_article_and_nothing_else(make_site: Callable[..., Path]) -> None:
    site = make_site(news_site())
    assert run_newsgen("build", site, "-q").returncode == 0
    output = site / "build"
    pages = {f["url"]: f for f in fragments(output)}
    articles = sorted(str(p.parent.relative_to(output)) + "/" for p in output.glob("20*/*/*/*/index.html"))
    assert sorted(url.lstrip("/") for url in pages) == articles  # no listing, feed, search or 404 page
    geneva = pages["/" + GENEVA]
    assert geneva["meta"]["title"].startswith("Biden and Putin will meet")
    assert geneva["meta"]["section"] == "World" and geneva["meta"]["section_url"] == "/news/category/world/"
    assert geneva["meta"]["date"] == "25 May 2021" and geneva["meta"]["datetime"].startswith("2021-05-25")
    assert geneva["filters"] == {"category": ["World", "Politics"], "author": ["Newsroom Staff"],
                                 "tag": ["Joe Biden", "Vladimir Putin", "Geneva", "Russia", "United States",
                                         "White House", "Kremlin", "Diplomacy"]}
    assert "Navalny" in geneva["content"] and "The White House confirms" in geneva["content"]  # body, summary
    assert "All sections" not in geneva["content"]  # the page's navigation is no part of it
    hostile = pages["/2024/01/15/harbourmaster/"]
    assert hostile["meta"]["title"] == HOSTILE_TITLE  # text to Pagefind: it escapes it in excerpts
    entry = json.loads((output / "pagefind" / "pagefind-entry.json").read_text())
    assert list(entry["languages"]) == ["en"]  # the site's language: English stemming
    assert not list((output / "pagefind").glob("pagefind-ui*"))  # Pagefind's own interface is not used


def test_a_build_called_inside_a_running_event_loop_makes_its_index(make_site: Callable[..., Path]) -> None:
    # A build started from a notebook, an async server or a Playwright script: asyncio.run refuses to
    # run inside a running loop, and the index was reported as a Pagefind failure.
    site = make_site(news_site())

    async def inside_a_loop() -> None:
        build(site, BuildOptions(output=site / "build"))

    asyncio.run(inside_a_loop())
    assert "/" + GENEVA in {f["url"] for f in fragments(site / "build")}


def test_the_search_page_form_link_and_structured_data(make_site: Callable[..., Path]) -> None:
    site = make_site(news_site())
    assert run_newsgen("build", site, "-q").returncode == 0
    output = site / "build"
    search = lxml.html.fromstring((output / "search" / "index.html").read_bytes())
    form = search.find(".//form")
    assert (form.get("action"), form.get("method"), form.get("role")) == ("/news/search/", "get", "search")
    assert search.find(".//input[@name='q']").get("id") == search.find(".//label").get("for")
    assert "needs JavaScript" in search.find(".//noscript").text_content()
    assert [s.get("src") for s in search.iter("script") if s.get("src")] == ["/news/assets/search.js"]
    for page in ("index.html", GENEVA + "index.html", "category/world/index.html"):
        html = lxml.html.fromstring((output / page).read_bytes())
        assert [a.get("href") for a in html.findall(".//header//a") if a.text == "Search"] == ["/news/search/"]
        assert not [s for s in html.iter("script") if s.get("type") != "application/ld+json"], page
    home = lxml.html.fromstring((output / "index.html").read_bytes())
    website = [json.loads(s.text) for s in home.iter("script") if '"WebSite"' in s.text][0]
    assert website["potentialAction"] == {
        "@type": "SearchAction", "query-input": "required name=search_term_string",
        "target": {"@type": "EntryPoint", "urlTemplate": "https://example.org/news/search/?q={search_term_string}"}}


def test_search_is_on_unless_turned_off(make_site: Callable[..., Path]) -> None:
    """A site that says nothing of search gets it; `search: false` gives no index, no page, no link."""
    files = news_site()
    assert "search" not in str(files["newsgen.yaml"])
    plain = make_site(files)
    files["newsgen.yaml"] = textwrap.dedent(str(files["newsgen.yaml"])) + "search: false\n"
    off = make_site(files)
    for site in (plain, off):
        assert run_newsgen("build", site, "-q").returncode == 0
    assert (plain / "build" / "pagefind" / "pagefind.js").is_file() and (plain / "build" / "search" / "index.html").is_file()
    assert "SearchAction" in (plain / "build" / "index.html").read_text()
    output = off / "build"
    assert not (output / "pagefind").exists() and not (output / "search").exists()
    home = (output / "index.html").read_text()
    assert "SearchAction" not in home and "/search/" not in home
    assert "search/" not in (output / "sitemap.xml").read_text()


def test_the_index_is_made_again_only_when_an_article_changed(make_site: Callable[..., Path]) -> None:
    site = make_site(news_site())
    output = site / "build"
    first = build(site, BuildOptions())
    assert first.search_seconds is not None and len(first.search_files) > 20
    index = {path: (output / path).stat().st_ino for path in first.search_files}
    again = build(site, BuildOptions())  # nothing changed: the build's own shortcut
    assert again.search_files == first.search_files
    (site / "templates").mkdir()
    (site / "templates" / "404.html").write_text("{% extends 'base.html' %}{% block main %}Gone{% endblock %}\n")
    template = build(site, BuildOptions())  # every page's inputs changed, no article's document
    assert template.rendered > 0 and template.search_seconds is None
    assert template.search_files == first.search_files
    assert {path: (output / path).stat().st_ino for path in first.search_files} == index  # linked, not written
    story = site / "content" / "ferry-route.md"
    story.write_text(story.read_text().replace("The council met", "The ferry captains met"))
    edited = build(site, BuildOptions())
    assert edited.search_seconds is not None
    assert any("ferry captains" in f["content"] for f in fragments(output))
    assert build_files(output) == build_files(_clean(site, output.parent / "clean"))


def test_two_clean_builds_write_the_same_index_bytes(make_site: Callable[..., Path], tmp_path: Path) -> None:
    """Pagefind itself writes its filters in another order on each run (search_order.py); newsgen puts them in
    one. Also what fails first when a Pagefind release changes the format that module reads."""
    site = make_site(news_site())
    builds = [build_files(_clean(site, tmp_path / f"clean{n}")) for n in range(3)]
    index = {path for path in builds[0] if path.startswith("pagefind/")}
    assert any(path.startswith("pagefind/filter/") for path in index) and "pagefind/pagefind-entry.json" in index
    assert builds[0] == builds[1] == builds[2]
    for path in sorted(index):
        if path.startswith("pagefind/filter/"):
            values = [value for value, _ in cbor2.loads(gzip.decompress(builds[0][path])[len(b"pagefind_dcd"):])[1]]
            assert values == sorted(values) and len(values) > 1, path


def _clean(site: Path, folder: Path) -> Path:
    build(site, BuildOptions(output=folder / "build", cache=False))
    return folder / "build"


def test_a_pagefind_failure_names_it_and_keeps_the_previous_build(make_site: Callable[..., Path],
                                                                   tmp_path: Path) -> None:
    site = make_site(news_site())
    assert run_newsgen("build", site, "-q").returncode == 0
    before = build_files(site / "build")
    story = site / "content" / "ferry-route.md"
    story.write_text(story.read_text().replace("The council met", "The ferry captains met"))
    crashing = tmp_path / "pagefind"
    crashing.write_text("#!/bin/sh\necho 'pagefind: out of memory' >&2\nexit 3\n")
    crashing.chmod(crashing.stat().st_mode | stat.S_IXUSR)
    for binary in (crashing, tmp_path / "missing"):
        result = run_newsgen("build", site, env={"PAGEFIND_BINARY_PATH": str(binary)})
        assert result.returncode == 2, result.stdout + result.stderr
        assert "search: Pagefind failed to index the articles" in result.stderr, result.stderr
        assert "previous build is unchanged" in result.stderr and "Traceback" not in result.stderr
        assert build_files(site / "build") == before
    assert run_newsgen("build", site, "-q").returncode == 0  # and with Pagefind back, the build goes on


def test_nothing_else_may_write_into_the_index_folder(make_site: Callable[..., Path]) -> None:
    files = news_site()
    files["newsgen.yaml"] = str(files["newsgen.yaml"]) + 'permalink: "{slug}/"\n'
    files["content/pagefind.md"] = article("About our search", slug="pagefind")
    result = run_newsgen("build", make_site(files))
    assert result.returncode == 1
    assert "content/pagefind.md: writes into pagefind/, the folder of the search index" in result.stderr


def test_the_preview_serves_the_index_and_updates_it_after_an_edit(make_site: Callable[..., Path]) -> None:
    site = make_site(news_site())
    live = LiveSite(site, "http://127.0.0.1:8000")
    snapshot = live.update()
    assert "pagefind/pagefind.js" in snapshot and "search/index.html" in snapshot
    entry = snapshot.read("pagefind/pagefind-entry.json")
    story = "content/ferry-route.md"
    (site / story).write_text((site / story).read_text().replace("The council met", "The ferry captains met"))
    edited = live.update([story])
    assert edited.read("pagefind/pagefind-entry.json") != entry
    found = [gzip.decompress(data) for path, data in edited.search_files().items() if "/fragment/" in path]
    assert any(b"ferry captains" in data for data in found)
    templates = live.update(["templates/404.html"])  # no document changed: the same index, not made again
    assert templates.search_files() is edited.search_files()


# --- in Chromium, served under /news/ --------------------------------------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site built for and served at http://127.0.0.1:PORT/news/; yields the site's address."""
    with served_under_news(tmp_path_factory.mktemp("news"), news_site) as base:
        yield base


def open_search(browser: Browser, url: str, **context: object) -> tuple[Page, list[str]]:
    page = browser.new_context(**context).new_page()
    requests_made: list[str] = []
    page.on("request", lambda request: requests_made.append(request.url))
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
    page.goto(url, wait_until="load")
    return page, requests_made


def results(page: Page, expected: str | None = None) -> list[tuple[str, str]]:
    """(title, section) of each result card, once the status line says the search is done."""
    page.wait_for_function("document.querySelector('.search-status').textContent.includes('articles') "
                           "|| document.querySelector('.search-status').textContent.includes('article ')")
    if expected:
        page.wait_for_function("text => document.querySelector('.search-status').textContent.includes(text)",
                               arg=expected)
    cards = page.query_selector_all(".search-results .card")
    return [(c.query_selector(".card-title").text_content().strip(), c.query_selector(".kicker").text_content().strip())
            for c in cards]


def test_a_word_of_the_geneva_body_finds_it_first(browser: Browser, served: str) -> None:
    page, made = open_search(browser, served + "search/")
    page.fill("#search-q", "Navalny")
    found = results(page, "“Navalny”")
    assert found[0][0].startswith("Biden and Putin will meet face to face in Geneva"), found
    assert page.url == served + "search/?q=Navalny"  # the address can be shared
    link = page.query_selector(".search-results .card-title a").get_attribute("href")
    assert link == "/news/" + GENEVA
    assert page.query_selector(".search-results mark").inner_text() == "Navalny"  # the excerpt, highlighted
    assert all(url.startswith(served) for url in made), made  # the index too is under /news/, nothing elsewhere


def test_headlines_weigh_most_and_a_category_filter_narrows(browser: Browser, served: str) -> None:
    page, _ = open_search(browser, served + "search/?q=budget")
    everything = results(page, "“budget”")
    assert len(everything) >= 10  # every newsroom story says "budget" in its body
    assert {title for title, _ in everything[:2]} == {"City council approves harbour budget after all-night session",
                                                      "Schools get a modest rise in next year's budget"}
    assert not page.is_visible("input[name=category][value=Business]")  # folded away until asked for
    page.click(".search-narrow summary")
    page.check("input[name=category][value=Business]")
    page.wait_for_url(re.compile(r"category=Business"))
    narrowed = results(page, "2 articles")
    assert narrowed and all(section == "Business" for _, section in narrowed), narrowed
    assert len(narrowed) < len(everything)
    assert page.evaluate("document.activeElement.value") == "Business"  # the focus stays on the checkbox
    shared, _ = open_search(browser, page.url)  # the shared address brings the same results back
    assert results(shared, "2 articles") == narrowed
    assert shared.is_checked("input[name=category][value=Business]")
    assert shared.is_visible("input[name=category][value=Business]")  # a shared filter is shown unfolded
    page.uncheck("input[name=category][value=Business]")
    page.select_option("#search-sort", "date")
    page.wait_for_url(re.compile(r"sort=date"))
    results(page, "“budget”")
    page.wait_for_function("!location.search.includes('category')")
    times = page.eval_on_selector_all(".search-results time", "nodes => nodes.map(n => n.dateTime)")
    assert len(times) == 10 and times == sorted(times, reverse=True)  # newest first


def test_a_hostile_headline_shows_as_text(browser: Browser, served: str) -> None:
    page, _ = open_search(browser, served + "search/?q=harbourmaster")
    found = results(page, "“harbourmaster”")
    assert found[0][0] == HOSTILE_TITLE
    assert page.query_selector_all(".search-results img, .search-results script, .search-results b") == []
    excerpt = page.query_selector(".search-results .card-summary")
    assert "<img src=y" in excerpt.inner_text() and [m.inner_text() for m in excerpt.query_selector_all("*")] == [
        "Harbourmaster", "harbourmaster"]  # only marks
    assert page.evaluate("window.pwned") is None


def test_without_javascript_the_form_says_what_it_needs(browser: Browser, served: str) -> None:
    page, _ = open_search(browser, served + "search/", java_script_enabled=False)
    assert page.is_visible(".search-note")
    assert "Search runs in your browser and needs JavaScript" in page.inner_text(".search-note")
    page.fill("#search-q", "geneva")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(served + "search/?q=geneva")))  # a plain GET, as the form says


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations_on_the_search_page_with_results(browser: Browser, served: str, scheme: str) -> None:
    page, _ = open_search(browser, served + "search/?q=geneva", color_scheme=scheme,
                          viewport={"width": 390, "height": 844})
    assert results(page, "“geneva”")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations
             .map(v => `${v.id}: ${v.help} -> ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)""", AXE_TAGS)
    assert violations == []


@pytest.mark.validator
@pytest.mark.parametrize("path", ["search/?q=geneva", GENEVA])
def test_lighthouse_mobile_scores_100(served: str, path: str) -> None:
    sys.path.insert(0, str(REPO / "tools"))
    from audit import CATEGORIES, median_run, shortfalls

    found = median_run(served + path)
    scores = {key: round((found["categories"][key]["score"] or 0) * 100) for key in CATEGORIES}
    below = {audit["id"]: audit.get("displayValue", audit["score"]) for key in CATEGORIES
             for audit in shortfalls(found, key)}
    assert scores == dict.fromkeys(CATEGORIES, 100), (scores, below)
