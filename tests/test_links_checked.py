"""Pictures and links that point at files of the site are checked at build time (issue 15), and
`relative_urls: true` makes a build that a browser follows from disk.

Each case runs the CLI as a subprocess on a real site: exit status, the error's file:line and hint,
the previous build left as it was; and for relative_urls, real Chromium opening file:// pages.
"""

from __future__ import annotations

import re
import io
from pathlib import Path

import lxml.html
import pytest
from PIL import Image

from conftest import article, run_newsgen

BODY_START = 5  # line of the body in conftest.article() with title and date only (---, title, date, ---)


def jpeg() -> bytes:
    data = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(data, "JPEG")
    return data.getvalue()


@pytest.fixture
def site(make_site) -> Path:
    return make_site({
        "newsgen.yaml": "title: The Gazette\nbase_url: https://example.org/news/\n",
        "static/images/harbour.jpg": jpeg(),
        "content/2024-05-01-ferry.md": article("Ferry is back", date="2024-05-01T08:00:00+00:00", categories=["Local"], body="The ferry runs.\n"),
    })


def build_ok(site: Path) -> Path:
    result = run_newsgen("build", site, "-q")
    assert result.returncode == 0, result.stderr
    return site / "build"


def build_fails(site: Path) -> str:
    result = run_newsgen("build", site)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "nothing was written" in result.stderr
    return result.stderr


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- front matter `image` --------------------------------------------------------------------------

@pytest.mark.parametrize("written, hint", [
    ("images/missing.jpg", "there is no static/images/missing.jpg; files under static/ are published at the site root"),
    ("images/harbor.jpg", "did you mean images/harbour.jpg?"),
    ("static/images/harbour.jpg", "did you mean images/harbour.jpg? files under static/ are published at the site root"),
    ("../static/images/harbour.jpg",
     "that climbs out of the site; did you mean images/harbour.jpg? files under static/ are published at the site root"),
])
def test_a_front_matter_image_that_is_no_file_stops_the_build(site: Path, written: str, hint: str) -> None:
    before = snapshot(build_ok(site))
    (site / "content/2024-05-03-bridge.md").write_text(
        article("Bridge closes", date="2024-05-03T08:00:00+00:00", image=written, image_alt="The bridge at dusk"), encoding="utf-8")
    errors = build_fails(site)
    # the image line is line 4: ---, title, date, image
    assert f"error: content/2024-05-03-bridge.md:4: image: '{written}' points at no file of the site ({hint}" in errors
    assert snapshot(site / "build") == before  # the previous build is served as it was
    assert "http://localhost:8000/../" not in "".join(p.read_text("utf-8", "replace")
                                                      for p in (site / "build").rglob("*.html"))


def test_a_front_matter_image_of_the_site_is_published_from_the_root(site: Path) -> None:
    (site / "content/2024-05-03-bridge.md").write_text(
        article("Bridge closes", date="2024-05-03T08:00:00+00:00", image="images/harbour.jpg", image_alt="The bridge at dusk"), encoding="utf-8")
    out = build_ok(site)
    page = lxml.html.fromstring((out / "2024/05/03/bridge/index.html").read_bytes())
    # published resized, under the site's sub-path (photos.py): the social crop and the picture's files
    [og] = page.xpath("//meta[@property='og:image']/@content")
    assert og.startswith("https://example.org/news/images/harbour-") and og.endswith("-og.jpg")
    assert any(src.startswith("/news/images/harbour-") for src in page.xpath("//img/@src"))


# --- the body ----------------------------------------------------------------------------------------

def test_body_paths_are_read_from_the_site_root_like_front_matter(site: Path) -> None:
    body = ("![The harbour](images/harbour.jpg)\n\n"
            "More [local news](category/local/), [the front page](/), [the ferry](../../01/ferry/),\n"
            "[skip](#main), [mail](mailto:desk@example.org), [elsewhere](https://example.com/x).\n")
    (site / "content/2024-05-03-bridge.md").write_text(article("Bridge closes", date="2024-05-03T08:00:00+00:00", body=body), encoding="utf-8")
    out = build_ok(site)
    page = lxml.html.fromstring((out / "2024/05/03/bridge/index.html").read_bytes())
    body_links = page.xpath("//div[contains(@class, 'story-body')]//a/@href | //div[contains(@class, 'story-body')]//img/@src")
    assert body_links[0].startswith("/news/images/harbour-")  # the picture, resized (photos.py)
    assert body_links[1:] == ["/news/category/local/", "/news/", "../../01/ferry/",
                              "#main", "mailto:desk@example.org", "https://example.com/x"]
    check = run_newsgen("check", out)
    assert check.returncode == 0, check.stdout + check.stderr  # every one of them resolves in the build


@pytest.mark.parametrize("written, hint", [
    ("images/harbor.jpg", "did you mean images/harbour.jpg?"),
    ("static/images/harbour.jpg", "did you mean images/harbour.jpg? files under static/ are published at the site root"),
    ("../static/images/harbour.jpg", "did you mean images/harbour.jpg? files under static/ are published at the site root"),
    ("category/locl/", "did you mean category/local/?"),
    ("/2024/05/02/ferry/", "did you mean 2024/05/01/ferry/?"),
    ("../../../../../ferry/", "that climbs out of the site; no page of this build has the URL ferry/"),
])
def test_a_body_link_or_picture_that_is_no_file_stops_the_build(site: Path, written: str, hint: str) -> None:
    before = snapshot(build_ok(site))
    body = f"The bridge closed.\n\nSee ![the harbour]({written}) for more.\n"
    (site / "content/2024-05-03-bridge.md").write_text(article("Bridge closes", date="2024-05-03T08:00:00+00:00", body=body), encoding="utf-8")
    errors = build_fails(site)
    line = BODY_START + 2  # the third line of the body
    assert f"error: content/2024-05-03-bridge.md:{line}: body: '{written}' points at no file of the site ({hint})" in errors
    assert snapshot(site / "build") == before


def test_a_link_to_a_draft_is_a_broken_link(site: Path) -> None:
    (site / "content/2024-05-03-bridge.md").write_text(article("Bridge closes", date="2024-05-03T08:00:00+00:00", draft="true"), encoding="utf-8")
    (site / "content/2024-05-04-toll.md").write_text(
        article("Toll rises", date="2024-05-04T08:00:00+00:00", body="After [the closure](/2024/05/03/bridge/), tolls rise.\n"), encoding="utf-8")
    errors = build_fails(site)
    assert "content/2024-05-04-toll.md:5: body: '/2024/05/03/bridge/' points at no file of the site" in errors
    # with --drafts the page is built, and so the link holds
    result = run_newsgen("build", site, "--drafts", "-q", "-o", site / "preview")
    assert result.returncode == 0, result.stderr


def test_every_broken_reference_is_listed_at_once(site: Path) -> None:
    body = "![a](images/a.jpg)\n\n![b](images/b.jpg)\n"
    (site / "content/2024-05-03-bridge.md").write_text(
        article("Bridge closes", date="2024-05-03T08:00:00+00:00", image="images/c.jpg", image_alt="c", body=body), encoding="utf-8")
    errors = build_fails(site)
    assert "newsgen build: 3 problems" in errors
    for line, field, url in [(4, "image", "images/c.jpg"), (7, "body", "images/a.jpg"), (9, "body", "images/b.jpg")]:
        assert f"content/2024-05-03-bridge.md:{line}: {field}: '{url}'" in errors


# --- relative_urls: a build that opens from disk -------------------------------------------------------

def test_without_relative_urls_pages_link_from_the_root(site: Path) -> None:
    out = build_ok(site)
    page = lxml.html.fromstring((out / "2024/05/01/ferry/index.html").read_bytes())
    assert "/news/assets/style.css" in page.xpath("//link[@rel='stylesheet']/@href")


@pytest.mark.browser
def test_relative_urls_build_opens_from_disk_in_a_real_browser(site: Path) -> None:
    from playwright.sync_api import sync_playwright

    from test_browser import CHROMIUM_ARGS

    (site / "newsgen.yaml").write_text("title: The Gazette\nbase_url: https://example.org/news/\nrelative_urls: true\n")
    (site / "content/2024-05-03-bridge.md").write_text(
        article("Bridge closes", date="2024-05-03T08:00:00+00:00", categories=["Local"], image="images/harbour.jpg", image_alt="The harbour",
                body="See [the ferry](/2024/05/01/ferry/) and ![the harbour](images/harbour.jpg).\n"),
        encoding="utf-8")
    out = build_ok(site)
    article_html = (out / "2024/05/03/bridge/index.html").read_text("utf-8")
    assert 'href="../../../../assets/style.css"' in article_html
    # machine-read URLs stay absolute
    assert '<link rel="canonical" href="https://example.org/news/2024/05/03/bridge/">' in article_html
    assert re.search(r'og:image" content="https://example\.org/news/images/harbour-[0-9a-f]+-og\.jpg"', article_html)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            failed: list[str] = []
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.goto((out / "index.html").as_uri())
            # styled: the theme's stylesheet loaded from disk (an unstyled body keeps the browser's 8px margin)
            assert page.evaluate("getComputedStyle(document.body).margin") == "0px"
            # follow links the way a reader does: home -> article -> its section -> home
            page.click("text=Bridge closes")
            assert page.url == (out / "2024/05/03/bridge/index.html").as_uri()
            # loaded from disk: a <picture> of the 40 px photo (naturalWidth is scaled by srcset's density).
            # Waited for: a body picture is lazy, and the click returns once the page is there, not its pictures.
            page.wait_for_function("""(() => { const i = document.querySelector('.story-body img');
                return i.complete && i.naturalWidth > 0 && i.currentSrc.startsWith('file:'); })()""", timeout=10_000)
            page.click(".story-body >> text=the ferry")
            assert page.url == (out / "2024/05/01/ferry/index.html").as_uri()
            assert page.locator("h1").inner_text() == "Ferry is back"
            page.click("nav.sections >> text=Local")
            assert page.url == (out / "category/local/index.html").as_uri()
            page.click("header .brand a")
            assert page.url == (out / "index.html").as_uri()
            assert failed == []
        finally:
            browser.close()
