"""newsgen build end to end: the default site, sample sites, links at a root and under a sub-path."""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest
import requests

from conftest import REPO, SITES, article, build_files, run_newsgen

SEED = Path(__file__).parent / "fixtures" / "seed-000_443a8f7d1b54f9b3.txt"  # a verbatim copy of the seed
ARTICLE_URL = "2021/05/25/biden-putin-geneva-summit/"


def html(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(path.read_bytes())


def texts(doc: lxml.html.HtmlElement, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in doc.xpath(xpath)]


@pytest.fixture(scope="module")
def default_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("default") / "build"
    result = run_newsgen("build", REPO, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "1 articles, 2 categories, 8 tags" in result.stdout
    return out


def test_default_article_page_carries_the_seed_text_word_for_word(default_build: Path) -> None:
    doc = html(default_build / ARTICLE_URL / "index.html")
    assert texts(doc, "//h1") == ["Biden and Putin will meet face to face in Geneva on June 16"]
    body = texts(doc, "//div[@class='story-body']/p")
    seed_paragraphs = [p.strip() for p in SEED.read_text(encoding="utf-8").split("Categorized in:")[0].split("\n\n")]
    assert body == [p for p in seed_paragraphs if p]
    assert doc.xpath("//time/@datetime")[0] == "2021-05-25T00:00:00-04:00"
    assert "25 May 2021" in texts(doc, "//time")[0]
    assert texts(doc, "//*[@class='author']") == ["Newsroom Staff"]
    assert doc.xpath("//link[@rel='canonical']/@href") == [f"https://example.org/{ARTICLE_URL}"]


def test_default_site_has_every_page_kind(default_build: Path) -> None:
    for path in ("index.html", "404.html", "categories/index.html", "tags/index.html", "category/world/index.html",
                 "category/politics/index.html", "tag/vladimir-putin/index.html", "tag/geneva/index.html",
                 "feed.xml", "rss.xml", "feed.json", "sitemap.xml", "news-sitemap.xml", "robots.txt",
                 "assets/style.css"):
        assert (default_build / path).is_file(), path
    home = html(default_build / "index.html")
    assert home.xpath(f"//main//a[@href='/{ARTICLE_URL}']")
    tags = html(default_build / "tags/index.html")
    assert "Vladimir Putin 1 article" in texts(tags, "//main//li")
    listing = html(default_build / "category/world/index.html")
    assert texts(listing, "//h1") == ["World"]
    assert "1 article" in texts(listing, "//main//*[@class='meta']")[0]
    assert listing.xpath("//*[@class='card-summary']")
    feed = json.loads((default_build / "feed.json").read_text())
    assert feed["items"][0]["url"] == f"https://example.org/{ARTICLE_URL}"


def crawl(origin: str, start_path: str) -> dict[str, int]:
    """Follow every internal link and asset from start_path; return {url: status}."""
    seen: dict[str, int] = {}
    queue = deque([origin + start_path])
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        response = requests.get(url, timeout=10)
        seen[url] = response.status_code
        if "html" not in response.headers.get("content-type", "") or response.status_code != 200:
            continue
        doc = lxml.html.fromstring(response.content)
        for link in doc.xpath("//a/@href | //link[@rel='stylesheet' or @rel='icon' or @rel='alternate']/@href"
                              " | //img/@src"):
            target = urljoin(url, link).split("#")[0]
            if target.startswith(origin):
                queue.append(target)
    return seen


@pytest.mark.parametrize("base_url, mount", [("https://example.org/", ""), ("https://example.org/news/", "news/")])
def test_every_link_works_at_root_and_under_a_sub_path(tmp_path: Path, static_server, base_url: str,
                                                        mount: str) -> None:
    www = tmp_path / "www"
    result = run_newsgen("build", SITES / "newsroom", "-o", www / (mount or "."), "--base-url", base_url)
    assert result.returncode == 0, result.stderr
    origin = static_server(www)
    statuses = crawl(origin, "/" + mount)
    broken = {url: status for url, status in statuses.items() if status != 200}
    assert not broken
    assert len(statuses) > 30  # articles, listings, pages, feeds, assets
    assert any(url.endswith(f"/{mount}page/2/") for url in statuses)
    assert any(f"/{mount}category/local/" in url for url in statuses)
    assert all(urlsplit(url).path.startswith("/" + mount) for url in statuses)


def test_listings_paginate_newest_first(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_newsgen("build", SITES / "newsroom", "-o", out).returncode == 0
    first = texts(html(out / "index.html"), "//main//h2/a")
    second = texts(html(out / "page/2/index.html"), "//main//h2/a")
    third = texts(html(out / "page/3/index.html"), "//main//h2/a")
    assert first + second + third == [f"Harbour story number {i}" for i in (5, 4, 3, 2, 1)]
    assert not (out / "page/4").exists()
    local = html(out / "category/local/index.html")
    assert texts(local, "//main//h2/a") == ["Harbour story number 5", "Harbour story number 3"]
    assert local.xpath("//a[@rel='next']/@href") == ["/category/local/page/2/"]
    assert (out / "category/local/page/2/index.html").is_file()
    assert (out / "extra.css").read_text() == "body { }\n"
    tags = texts(html(out / "tags/index.html"), "//main//li")
    assert "Harbour 5 articles" in tags and "Ferries 2 articles" in tags


def test_unicode_terms_are_merged_by_normalisation_and_slugs_are_transliterated(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_newsgen("build", SITES / "unicode", "-o", out)
    assert result.returncode == 0, result.stderr
    tag_dirs = sorted(p.name for p in (out / "tag").iterdir())
    assert {"geneve", "lodz", "c-plus-plus", "c-sharp"} <= set(tag_dirs)
    # Genève/GENÈVE/NFD genève are one; 北京 and 🙂 get readable slugs, and their hash slugs of older versions
    # redirect to them
    assert {"beijing", "slight-smile"} <= set(tag_dirs) and len(tag_dirs) == 8
    assert sum('http-equiv="refresh"' in (out / "tag" / name / "index.html").read_text("utf-8") for name in tag_dirs) == 2
    assert all(name.isascii() and name for name in tag_dirs)
    geneve = html(out / "tag/geneve/index.html")
    assert texts(geneve, "//main//*[@class='meta']")[0].startswith("2 articles")
    assert len(list((out / "category").iterdir())) == 1  # Monde and monde are one category
    again = tmp_path / "again"
    assert run_newsgen("build", SITES / "unicode", "-o", again).returncode == 0
    assert sorted(p.name for p in (again / "tag").iterdir()) == tag_dirs


def test_distinct_terms_with_one_slug_are_kept_apart_and_reported(make_site, tmp_path: Path) -> None:
    site = make_site({"content/a.md": article("A", tags=["Rock & Roll", "Rock and Roll", "rock-and-roll"])})
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "share the slug 'rock-and-roll'" in result.stderr
    assert sorted(p.name for p in (tmp_path / "out/tag").iterdir()) == [
        "rock-and-roll", "rock-and-roll-2", "rock-and-roll-3"]


def test_two_articles_with_one_slug_fail_before_writing(make_site, tmp_path: Path) -> None:
    site = make_site({
        "content/a.md": article("Same headline", date="2021-05-25T10:00:00Z"),
        "content/b.md": article("Same headline!", date="2021-05-25T12:00:00Z"),
    })
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert result.returncode == 1
    assert "content/a.md" in result.stderr and "content/b.md" in result.stderr
    assert "2021/05/25/same-headline/index.html" in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_article_and_a_static_file_on_one_path_fail(make_site, tmp_path: Path) -> None:
    site = make_site({"content/a.md": article("A", slug="x"), "newsgen.yaml": "permalink: '{slug}/'\n",
                      "static/x/index.html": "<p>static</p>"})
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert result.returncode == 1
    assert "static/x/index.html" in result.stderr and "content/a.md" in result.stderr


def test_drafts_and_scheduled_articles_are_skipped_and_announced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_newsgen("build", SITES / "drafts", "-o", out)
    assert result.returncode == 0, result.stderr
    assert "skipped content/draft.md: draft" in result.stdout
    assert "next scheduled article is due 2999-01-01T06:00:00+00:00" in result.stdout
    assert texts(html(out / "index.html"), "//main//h2/a") == ["Already out"]
    out2 = tmp_path / "with-all"
    result = run_newsgen("build", SITES / "drafts", "-o", out2, "--drafts", "--future")
    assert result.returncode == 0, result.stderr
    assert texts(html(out2 / "index.html"), "//main//h2/a") == ["Embargoed until 2999", "Not ready yet", "Already out"]


def test_dates_keep_their_day_and_naive_times_use_the_site_zone(make_site, tmp_path: Path) -> None:
    site = make_site({
        "newsgen.yaml": "timezone: Pacific/Kiritimati\n",
        "content/day.md": article("Date only", date="2021-05-25"),
        "content/naive.md": article("Naive", date="2021-05-20 10:00"),
        "content/offset.md": article("Offset", date="2021-05-10T23:30:00-04:00"),
    })
    out = tmp_path / "out"
    assert run_newsgen("build", site, "-o", out).returncode == 0
    day = html(out / "2021/05/25/date-only/index.html")
    assert day.xpath("//article//time/@datetime")[0] == "2021-05-25T00:00:00+14:00"
    assert texts(day, "//article//time")[0] == "25 May 2021"
    naive = html(out / "2021/05/20/naive/index.html")
    assert naive.xpath("//article//time/@datetime")[0] == "2021-05-20T10:00:00+14:00"
    # an explicit offset is kept as the instant; the site shows it in its own zone (11 May, 17:30 there)
    offset = html(out / "2021/05/11/offset/index.html")
    assert offset.xpath("//article//time/@datetime")[0] == "2021-05-11T17:30:00+14:00"


def test_site_templates_override_the_theme_file_by_file(make_site, tmp_path: Path) -> None:
    site = make_site({
        "content/a.md": article("Override me"),
        "templates/404.html": "{% extends 'base.html' %}{% block main %}<p>Custom lost page</p>{% endblock %}",
    })
    out = tmp_path / "out"
    assert run_newsgen("build", site, "-o", out).returncode == 0
    assert "Custom lost page" in (out / "404.html").read_text()
    assert "Override me" in (out / "index.html").read_text()


def test_template_typo_names_the_template_and_line(make_site, tmp_path: Path) -> None:
    site = make_site({
        "content/a.md": article("A"),
        "templates/404.html": "{% extends 'base.html' %}\n{% block main %}\n<p>{{ site.tittle }}</p>\n{% endblock %}",
    })
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert result.returncode == 1
    assert "templates/404.html:3" in result.stderr and "tittle" in result.stderr
    assert "Traceback" not in result.stderr
    syntax = make_site({"content/a.md": article("A"), "templates/404.html": "{% block main %}\n{{ oops }\n"})
    result = run_newsgen("build", syntax, "-o", tmp_path / "out2")
    assert result.returncode == 1 and "templates/404.html:2" in result.stderr


def test_same_input_gives_byte_identical_output(tmp_path: Path) -> None:
    outputs = []
    for name in ("one", "two"):
        out = tmp_path / name / "build"
        result = run_newsgen("build", SITES / "newsroom", "-o", out, env={"SOURCE_DATE_EPOCH": "1710000000"})
        assert result.returncode == 0, result.stderr
        outputs.append(build_files(out))
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) > 40


def test_summary_reports_pages_by_kind(tmp_path: Path) -> None:
    result = run_newsgen("build", SITES / "newsroom", "-o", tmp_path / "out")
    assert "5 articles, 2 categories, 7 tags; skipped 0 drafts, 0 scheduled" in result.stdout
    assert "5 article," in result.stdout and "3 home" in result.stdout
    quiet = run_newsgen("build", SITES / "newsroom", "-o", tmp_path / "out", "-q")
    assert quiet.returncode == 0 and quiet.stdout == ""
