"""Content written for Hugo, Jekyll and Pelican builds as is: the sample projects in tests/sites/ are
written in each generator's documented format and built through the CLI without edits."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import feedparser
import lxml.html
import pytest

from conftest import SITES, run_newsgen, write_tree

# Override one theme partial so a test can read what reached `article.extra`.
EXTRA_PROBE = {"templates/_article_notes.html": '<script type="application/json" id="extra">'
                                                 '{{ article.extra | tojson }}</script>\n'}


def html(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(path.read_bytes())


def texts(doc: lxml.html.HtmlElement, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in doc.xpath(xpath)]


def story(out: Path, url: str) -> dict[str, object]:
    """What a reader sees of one article page."""
    path = out / (url + "index.html" if url.endswith("/") else url)
    doc = html(path)
    extra = doc.xpath("//script[@id='extra']/text()")
    return {
        "title": texts(doc, "//h1")[0],
        "published": doc.xpath("//div[@class='byline']//time/@datetime")[0],
        "updated": (doc.xpath("//div[@class='byline']//time/@datetime")[1:] or [None])[0],
        "standfirst": (texts(doc, "//p[@class='standfirst']") or [""])[0],
        "section": (texts(doc, "//p[@class='kicker']") or [""])[0],
        "tags": doc.xpath("//ul[@class='tags']//a/@href"),
        "authors": texts(doc, "//*[@class='author']"),
        "extra": json.loads(extra[0]) if extra else None,
    }


def build(tmp_path: Path, name: str, *args: str, probe: bool = True) -> tuple[Path, dict]:
    """Copy a sample project, build it with `--json`, return the output and the report."""
    site = tmp_path / name
    shutil.copytree(SITES / name, site)
    if probe:
        write_tree(site, EXTRA_PROBE)
    out = tmp_path / f"{name}-out"
    result = run_newsgen("build", site, "-o", out, "--json", *args)
    assert result.returncode == 0, result.stderr
    return out, json.loads(result.stdout)


def redirect_target(path: Path) -> tuple[str, str]:
    doc = html(path)
    refresh = doc.xpath("//meta[@http-equiv='refresh']/@content")[0]
    return refresh.split("url=", 1)[1], doc.xpath("//link[@rel='canonical']/@href")[0]


def test_hugo_project_builds_as_is(tmp_path: Path) -> None:
    out, report = build(tmp_path, "hugo")
    assert report["articles"] == 3  # _index.md files are Hugo list pages, not articles
    assert report["skipped"] == [  # an undated page is Hugo's About page, not an article: left out, and said so
        {"source": "content/about.md", "reason": "page (Hugo page without a date)", "due": None},
        {"source": "content/posts/unfinished.md", "reason": "draft", "due": None},
    ]
    assert not (out / "about").exists() and not (out / "about-the-herald").exists()

    # YAML front matter: lastmod is the update, description the standfirst, aliases redirect
    budget = story(out, "posts/council-budget/")
    assert budget["title"] == "Council approves the harbour budget"
    assert budget["published"] == "2024-03-04T09:30:00+01:00"
    assert budget["updated"] == "2024-03-05T16:00:00+01:00"
    assert budget["standfirst"] == "Councillors voted 7 to 2 for the dredging plan."
    assert budget["section"] == "Local"
    assert budget["tags"] == ["/tag/council/", "/tag/harbour/"]
    assert budget["extra"]["weight"] == "10" and budget["extra"]["keywords"] == ["budget", "dredging"]
    assert redirect_target(out / "2024/03/budget/index.html") == ("https://example.org/posts/council-budget/",) * 2

    # TOML front matter: the file name is the slug, as in Hugo; [params] and series land in extra
    storm = story(out, "posts/storm/")
    assert storm["title"] == "Storm closes the ferry terminal"
    assert storm["published"] == "2024-03-06T07:15:00+01:00"
    assert storm["standfirst"] == "All crossings are cancelled until Thursday."
    assert storm["tags"] == ["/tag/storm/", "/tag/ferry/"]
    assert storm["extra"] == {"series": ["Winter storms"], "wire_id": "HH-0042"}

    # a page bundle: the folder is the slug; a date without time stays a calendar day
    ferry = story(out, "posts/ferry-returns/")
    assert ferry["published"] == "2024-03-08T00:00:00+01:00"
    doc = html(out / "posts/ferry-returns/index.html")
    assert doc.xpath("//figure/img/@src") == ["/images/ferry.svg"] and (out / "images/ferry.svg").is_file()

    assert sorted(p.name for p in (out / "category").iterdir()) == ["local", "weather"]
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert [e.link for e in feed.entries] == ["https://example.org/posts/ferry-returns/",
                                              "https://example.org/posts/storm/",
                                              "https://example.org/posts/council-budget/"]
    assert not (out / "posts/unfinished").exists()


def test_jekyll_project_builds_as_is(tmp_path: Path) -> None:
    out, report = build(tmp_path, "jekyll")
    assert sorted((s["source"], s["reason"]) for s in report["skipped"]) == [
        ("_drafts/harbour-history.md", "draft"), ("_posts/2024-03-07-not-yet.md", "draft")]

    # date and slug from the file name; space-separated categories and tags
    budget = story(out, "local/2024/03/04/council-budget.html")
    assert budget["title"] == "Council approves the harbour budget"
    assert budget["published"] == "2024-03-04T00:00:00+01:00"
    assert budget["tags"] == ["/tag/council/", "/tag/harbour/"]
    assert budget["extra"] == {"layout": "post"}  # layout is not ours: kept, not used
    politics = html(out / "category/politics/index.html")
    assert politics.xpath("//main//a[@href='/local/2024/03/04/council-budget.html']")

    # the front-matter date (Jekyll's own format) wins over the file name; excerpt is the standfirst
    storm = story(out, "weather/2024/03/06/storm.html")
    assert storm["published"] == "2024-03-06T07:15:00+01:00"
    assert storm["updated"] == "2024-03-06T18:00:00+01:00"
    assert storm["standfirst"] == "All crossings are cancelled until Thursday."
    assert storm["tags"] == ["/tag/storm/", "/tag/ferry/"]

    # news/_posts: the folder is a category; permalink is honoured; redirect_from redirects
    ferry = story(out, "ferry-is-back/")
    assert ferry["section"] == "news" and ferry["authors"] == ["Kari Nordmann"]
    assert ferry["published"] == "2024-03-08T00:00:00+01:00"
    assert redirect_target(out / "2024/03/08/ferry.html") == ("https://example.org/ferry-is-back/",) * 2


def test_jekyll_drafts_appear_with_drafts_dated_by_their_file(tmp_path: Path) -> None:
    site = tmp_path / "jekyll"
    shutil.copytree(SITES / "jekyll", site)
    os.utime(site / "_drafts/harbour-history.md", (1710500000, 1710500000))  # 2024-03-15 10:53:20 UTC
    result = run_newsgen("build", site, "-o", tmp_path / "out", "--drafts", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["skipped"] == []
    out = tmp_path / "out"
    assert story(out, "news/2024/03/07/not-yet.html")["title"] == "A story held back"  # published: false
    draft = story(out, "news/2024/03/15/harbour-history.html")
    assert draft["published"] == "2024-03-15T11:53:20+01:00"


def test_pelican_project_builds_as_is(tmp_path: Path) -> None:
    out, report = build(tmp_path, "pelican")
    assert report["skipped"] == [
        {"source": "content/pages/about.md", "reason": "page (Pelican pages/ folder)", "due": None},
        {"source": "content/storm.md", "reason": "draft", "due": None},
    ]
    assert not list(out.glob("**/about*"))

    budget = story(out, "council-budget.html")
    assert budget["title"] == "Council approves the harbour budget"
    assert budget["published"] == "2024-03-04T09:30:00+01:00"
    assert budget["updated"] == "2024-03-05T16:00:00+01:00"
    assert budget["section"] == "Local"
    assert budget["standfirst"] == "Councillors voted 7 to 2 for the dredging plan."
    assert budget["authors"] == ["Kari Nordmann", "Ola Nordmann"]
    assert budget["tags"] == ["/tag/council/", "/tag/harbour/"]
    assert "The council approved the harbour budget on Monday." in texts(html(out / "council-budget.html"), "//p")

    # no Slug: from the title; no Category: the folder; semicolons separate tags that contain commas
    ferry = story(out, "the-ferry-returns-to-service.html")
    assert ferry["section"] == "harbour"
    assert ferry["tags"] == ["/tag/ferry/", "/tag/harbour-port/"]
    assert ferry["extra"] == {}  # Lang: en is the article's language now, not a custom key
    assert texts(html(out / "tag/harbour-port/index.html"), "//h1") == ["harbour, port"]
    assert (out / "author/ola-nordmann/index.html").is_file()


@pytest.mark.parametrize("files, message", [
    ({"content/a.md": "+++\ntitle = 'x'\ndate = 2024-01-01\ntags = [\n+++\nBody\n"}, "content/a.md:"),
    ({"content/a.md": "Title: x\nDate: 2024-01-01\nStatus: maybe\n\nBody\n"},
     "content/a.md:3: status: expected draft, hidden, published or skip"),
    ({"content/a.md": "Title: x\nDate: 01/02/2024\n\nBody\n"}, "content/a.md:2: date: '01/02/2024' is not a valid date"),
    ({"_posts/2024-01-01-x.md": "---\ntitle: x\npermalink: /a/../b/\n---\nBody\n"}, "_posts/2024-01-01-x.md:3: permalink:"),
    ({"content/a.md": "---\ntitle: x\ndate: 2024-01-01\naliases: ['https://elsewhere.example/']\n---\nBody\n"},
     "content/a.md:4: aliases:"),
    ({"content/a.md": "---\ntitle: x\ndate: 2024-01-01\nlayuot: post\n---\nBody\n"},
     "content/a.md:4: layuot: unknown field (did you mean 'layout'?)"),
])
def test_foreign_front_matter_errors_name_file_line_and_field(make_site, tmp_path: Path, files: dict,
                                                              message: str) -> None:
    site = make_site(files)
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert result.returncode == 1, result.stdout
    assert message in result.stderr
    assert not (tmp_path / "out").exists()


def test_jekyll_permalink_placeholders(make_site, tmp_path: Path) -> None:
    site = make_site({"_posts/2024-01-02-port-opens.md": "---\ntitle: The port opens\ncategories: news\n"
                                                          "permalink: /:categories/:year/:title:output_ext\n---\nB\n"})
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert texts(html(tmp_path / "out/news/2024/port-opens.html"), "//h1") == ["The port opens"]
