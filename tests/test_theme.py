"""The default theme's pages as built HTML: what a reader finds on each page, and the byte budget."""

from __future__ import annotations

import gzip
import math
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from conftest import REPO, article, run_newsgen
from newsroom import PAGE_SIZE, STORIES, newsroom_files

BUDGET = 14 * 1024  # the first network round trip: the article's HTML plus its CSS, gzipped
HARBOUR = "2024/03/12/harbour-budget/"


def build(site: Path) -> Path:
    result = run_newsgen("build", site, "-q")
    assert result.returncode == 0, result.stderr
    return site / "build"


def parse(output: Path, url: str) -> lxml.html.HtmlElement:
    path = output / url / "index.html" if not url.endswith(".html") else output / url
    return lxml.html.fromstring(path.read_bytes())


def text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


@pytest.fixture
def newsroom(make_site: Callable[..., Path]) -> Path:
    return build(make_site(newsroom_files(), name="newsroom"))


def test_article_page_has_every_part_of_a_news_story(newsroom: Path) -> None:
    page = parse(newsroom, HARBOUR)
    story = page.find(".//main/article")
    head = story.find("header")
    kicker, h1 = head.find("p[@class='kicker']"), head.find("h1")
    assert list(head).index(kicker) < list(head).index(h1), "the section label sits above the headline"
    assert kicker.find("a").get("href") == "/category/politics/" and text(kicker) == "Politics"
    assert text(h1) == "City council approves harbour budget after all-night session"
    assert text(head.find(".//p[@class='standfirst']")).startswith("A short standfirst for “City council")
    assert text(head.find(".//p[@class='by']")) == "By Herald Staff"
    times = {t.getparent().text.strip(): t.get("datetime") for t in head.findall(".//time")}
    assert times == {"Published": "2024-03-12T23:40:00+01:00", "Updated": "2024-03-13T08:15:00+01:00"}
    assert "1 min read" in text(head)
    first = story.find(".//div[@class='story-body has-dateline']/p")
    assert text(first).startswith("ROTTERDAM — The council met"), "the dateline opens the first paragraph"
    body = text(story.find(".//div[@class='story-body has-dateline']"))
    assert "“the best we could get”" in body and '"' not in body, "real quotation marks"
    assert story.find(".//blockquote") is not None
    tags = {text(a): a.get("href") for a in story.findall(".//ul[@class='tags']//a")}
    assert tags == {"Budget": "/tag/budget/", "Harbour": "/tag/harbour/", "City council": "/tag/city-council/"}
    crumbs = [(text(a), a.get("href")) for a in page.findall(".//nav[@aria-label='Breadcrumb']//a")]
    assert crumbs == [("Home", "/"), ("Politics", "/category/politics/"), (text(h1), "/" + HARBOUR)]


@pytest.mark.parametrize("body, first", [
    ("Talks began.\n", "GENEVA — Talks began."),
    ("## Background\n\nTalks began.\n", "GENEVA"),  # not glued to a heading, but still shown
])
def test_dateline_opens_the_body(make_site: Callable[..., Path], body: str, first: str) -> None:
    output = build(make_site({
        "newsgen.yaml": "title: T\nbase_url: https://news.example/\n",
        "content/talks.md": article("Talks", "2024-01-02", body, slug="talks", dateline="'<b>Geneva</b>'"),
    }))
    story_body = parse(output, "2024/01/02/talks/").find(".//div[@class='story-body has-dateline']")
    assert story_body[0].tag == "p" and text(story_body[0]) == first.replace("GENEVA", "<b>Geneva</b>")
    assert story_body[0].find("span[@class='dateline']").text == "<b>Geneva</b>", "escaped, never markup"


def test_more_in_section_and_related_articles(newsroom: Path) -> None:
    page = parse(newsroom, HARBOUR)
    more = page.find(".//section[@aria-labelledby='more-title']")
    assert text(more.find("h2")) == "More in Politics"
    more_links = [a.get("href") for a in more.findall(".//h3/a")]
    politics = {f"/2024/{d[5:7]}/{d[8:10]}/{s}/" for s, _, d, c, *_ in STORIES if "Politics" in c and s != "harbour-budget"}
    assert set(more_links) == politics
    related_links = [a.get("href") for a in page.findall(".//section[@aria-labelledby='related-title']//h3/a")]
    assert related_links and not set(related_links) & set(more_links), "no story is offered twice"
    # every related story shares a tag (Budget, Harbour or City council) with this one
    sharing = {f"/2024/{d[5:7]}/{d[8:10]}/{s}/" for s, _, d, c, tags, _ in STORIES
               if {"Budget", "Harbour", "City council"} & set(tags)}
    assert set(related_links) <= sharing


def test_share_links_are_plain_encoded_links(make_site: Callable[..., Path]) -> None:
    title = 'Fish & chips: "the best" at #1? Yes'
    output = build(make_site({
        "newsgen.yaml": "title: T\nbase_url: https://news.example/sub/\n",
        "content/fish.md": article(title, "2024-01-02", "Text.\n", slug="fish"),
    }))
    page = parse(output, "2024/01/02/fish/")
    assert not page.findall(".//script[@src]")
    links = {text(a): a.get("href") for a in page.findall(".//ul[@class='share']//a")}
    url = "https://news.example/sub/2024/01/02/fish/"
    mail = urlsplit(links["Email"])
    assert mail.scheme == "mailto" and parse_qs(mail.query)["subject"] == [title]
    assert parse_qs(mail.query)["body"][0].endswith(url)
    x = urlsplit(links["X (Twitter)"])
    assert x.netloc == "twitter.com" and parse_qs(x.query) == {"text": [title], "url": [url]}
    assert parse_qs(urlsplit(links["Facebook"]).query) == {"u": [url]}
    assert parse_qs(urlsplit(links["LinkedIn"]).query) == {"url": [url]}


@pytest.mark.parametrize("words, minutes", [(238, 1), (476, 2), (477, 3)])
def test_reading_time_is_words_over_238_rounded_up(make_site: Callable[..., Path], words: int, minutes: int) -> None:
    output = build(make_site({
        "newsgen.yaml": "title: T\nbase_url: https://news.example/\n",
        "content/long.md": article("Long read", "2024-01-02", "word " * words + "\n", slug="long"),
    }))
    assert math.ceil(words / 238) == minutes
    assert f"{minutes} min read" in text(parse(output, "2024/01/02/long/").find(".//div[@class='byline']"))


def test_front_page_leads_with_the_newest_story(newsroom: Path) -> None:
    page = parse(newsroom, "")
    cards = page.findall(".//main//article")
    assert len(cards) == PAGE_SIZE
    assert cards[0].get("class") == "card lead" and [c.get("class") for c in cards[1:]] == ["card"] * (PAGE_SIZE - 1)
    assert cards[0].find(".//h2/a").get("href") == "/" + HARBOUR
    assert cards[0].find(".//img").get("alt") == "Cranes over the container terminal at dusk"
    nav = {text(a): a.get("href") for a in page.findall(".//header//nav[@aria-label='Sections']//a")}
    assert nav == {name: f"/category/{name.lower()}/" for name in ("Business", "Culture", "Politics", "World")}
    older = page.find(".//nav[@class='pager']/a[@rel='next']")
    assert older.get("href") == "/page/2/"
    second = parse(newsroom, "page/2/")
    assert second.find(".//nav[@class='pager']/a[@rel='prev']").get("href") == "/"
    assert "lead" not in "".join(c.get("class") for c in second.findall(".//main//article"))


def test_section_and_topic_pages_have_title_count_cards_and_pages(newsroom: Path) -> None:
    world = [s for s in STORIES if "World" in s[3]]
    page = parse(newsroom, "category/world/")
    assert text(page.find(".//main//h1")) == "World"
    assert text(page.find(".//header[@class='listing-head']/p[@class='meta']")).startswith(f"{len(world)} articles")
    cards = page.findall(".//main//article[@class='card']")
    assert len(cards) == PAGE_SIZE
    for card in cards:
        assert card.find(".//h2/a") is not None and card.find(".//time") is not None
        assert card.find(".//p[@class='card-summary']").text.startswith("A short standfirst")
    assert page.find(".//a[@rel='next']").get("href") == "/category/world/page/2/"
    last = parse(newsroom, "category/world/page/2/")
    assert len(last.findall(".//main//article")) == len(world) - PAGE_SIZE
    tag = parse(newsroom, "tag/harbour/")
    assert text(tag.find(".//main//h1")) == "Harbour" and text(tag.find(".//p[@class='kicker']")) == "Topic"


def test_404_page_helps_the_reader_on(newsroom: Path) -> None:
    page = parse(newsroom, "404.html")
    links = {a.get("href") for a in page.findall(".//main//a")}
    assert "/" in links and {"/category/world/", "/category/politics/"} <= links
    assert "/" + HARBOUR in links, "the latest stories are offered"
    assert page.find(".//meta[@name='robots']").get("content") == "noindex"


@pytest.mark.parametrize("url", ["", HARBOUR, "category/world/", "tag/harbour/", "categories/", "404.html"])
def test_pages_have_landmarks_and_a_skip_link(newsroom: Path, url: str) -> None:
    page = parse(newsroom, url)
    skip = page.find(".//body/a")
    assert skip.get("href") == "#main" and page.find(".//main").get("id") == "main"
    for landmark in ("header", "nav", "main", "footer"):
        assert page.find(f".//body//{landmark}") is not None, landmark
    assert len(page.findall(".//h1")) == 1


def test_article_page_fits_the_first_round_trip(newsroom: Path, tmp_path: Path) -> None:
    default = tmp_path / "default"
    assert run_newsgen("build", REPO, "-o", default, "-q").returncode == 0
    for output, url in ((default, "2021/05/25/biden-putin-geneva-summit/"), (newsroom, HARBOUR)):
        html = (output / url / "index.html").read_bytes()
        stylesheets = lxml.html.fromstring(html).findall(".//link[@rel='stylesheet']")
        css = b"".join((output / s.get("href").lstrip("/")).read_bytes() for s in stylesheets)
        assert css, "the stylesheet is found"
        size = len(gzip.compress(html, 9)) + len(gzip.compress(css, 9))
        assert size <= BUDGET, f"{url}: {size} bytes gzipped"


def test_nothing_is_loaded_from_elsewhere(newsroom: Path) -> None:
    for path in newsroom.rglob("*.html"):
        page = lxml.html.fromstring(path.read_bytes())
        loaded = [e.get("href") for e in page.findall(".//link") if e.get("rel") in ("stylesheet", "icon", "preload")]
        loaded += [e.get("src") for e in page.iter("img", "script", "iframe", "video", "audio", "source") if e.get("src")]
        assert all(u.startswith("/") and not u.startswith("//") for u in loaded), (path, loaded)
        scripts = [s for s in page.iter("script") if s.get("type") != "application/ld+json"]
        if path.relative_to(newsroom).as_posix() == "search/index.html":  # the search runs in the browser
            assert [(s.get("type"), s.get("src")) for s in scripts] == [("module", "/assets/search.js")]
        else:
            assert not scripts, f"{path}: no JavaScript is needed to read"
        for img in page.iter("img"):
            assert img.get("width") and img.get("height"), path
