"""`newsgen check`: passes on good builds, fails naming the file (one line per problem) on broken ones."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import REPO, SITES, run_newsgen

ARTICLE = "2024/03/14/port-strike-ends/index.html"


@pytest.fixture(scope="module")
def good_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("check") / "public"
    result = run_newsgen("build", SITES / "multi", "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture
def broken(good_build: Path, tmp_path: Path) -> Callable[[Callable[[Path], None]], tuple[int, list[str]]]:
    """Copy the good build, break it with `damage`, run `newsgen check`; -> (exit code, problem lines)."""

    copies = iter(range(100))

    def run(damage: Callable[[Path], None]) -> tuple[int, list[str]]:
        copy = tmp_path / f"copy{next(copies)}"
        shutil.copytree(good_build, copy)
        damage(copy)
        result = run_newsgen("check", copy)
        lines = [line for line in result.stderr.splitlines() if not line.startswith("newsgen check:")]
        return result.returncode, [line.replace(str(copy) + "/", "") for line in lines]

    return run


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), "utf-8")


@pytest.mark.parametrize("site", [REPO, SITES / "multi"], ids=["default", "multi"])
def test_check_passes_on_a_good_build(site: Path, tmp_path: Path) -> None:
    assert run_newsgen("build", site, "-o", tmp_path / "out", "-q").returncode == 0
    result = run_newsgen("check", tmp_path / "out")
    assert (result.returncode, result.stderr) == (0, "")
    assert "is fine" in result.stdout


def test_a_broken_internal_link_is_named_with_its_file(broken) -> None:
    code, lines = broken(lambda root: edit(root / ARTICLE, 'href="#shifts"', 'href="../no-such-story/"'))
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith(ARTICLE + ":") and "broken link ../no-such-story/" in lines[0]


def test_a_broken_anchor_is_found(broken) -> None:
    code, lines = broken(lambda root: edit(root / ARTICLE, 'href="#shifts"', 'href="#overtime"'))
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith(ARTICLE) and "no id 'overtime'" in lines[0]


def test_a_missing_asset_is_reported_on_every_page_that_needs_it(broken, good_build: Path) -> None:
    shown = []

    def remove(root: Path) -> None:
        # the picture's fallback file, the <img> src of the article and of the front page's lead story (photos.py)
        src = re.search(r'<img [^>]*src="[^"]*?(images/harbour-[^"]+)"', (root / ARTICLE).read_text("utf-8"))
        assert src is not None
        shown.append(src.group(1))
        (root / src.group(1)).unlink()

    code, lines = broken(remove)
    assert code == 1
    assert lines and all(shown[0] in line for line in lines)
    assert {line.split(":")[0] for line in lines} == {ARTICLE, "index.html"}
    code, lines = broken(lambda root: (root / "assets/style.css").unlink())
    assert len(lines) == len(list(good_build.rglob("*.html")))


def test_a_missing_avif_of_a_picture_is_reported(broken) -> None:
    # what a browser that reads AVIF fetches: the <source> of the <picture>, not the <img>'s fallback
    shown = []

    def remove(root: Path) -> None:
        source = re.search(r'<source type="image/avif" srcset="[^"]*?(images/harbour-[^" ]+\.avif)',
                           (root / ARTICLE).read_text("utf-8"))
        assert source is not None
        shown.append(source.group(1))
        (root / source.group(1)).unlink()

    code, lines = broken(remove)
    assert code == 1 and lines and all(shown[0] in line for line in lines)
    assert ARTICLE in {line.split(":")[0] for line in lines}


def test_a_feed_that_does_not_parse_is_reported(broken) -> None:
    code, lines = broken(lambda root: edit(root / "tag/port/feed.xml", "</feed>", "</fed>"))
    assert (code, len(lines)) == (1, 1) and lines[0].startswith("tag/port/feed.xml: XML does not parse")
    code, lines = broken(lambda root: (root / "feed.json").write_text('{"version": "https://jsonfeed.org/version/1.1",'))
    assert (code, len(lines)) == (1, 1) and lines[0].startswith("feed.json: JSON Feed does not parse")


def test_pages_without_title_description_or_canonical_are_reported(broken) -> None:
    def damage(root: Path) -> None:
        edit(root / "tags/index.html", "<title>", "<title>\n  ")  # only white space left after the next edit
        text = (root / "tags/index.html").read_text()
        start, end = text.index("<title>") + len("<title>"), text.index("</title>")
        (root / "tags/index.html").write_text(text[:start] + text[end:])
        edit(root / "categories/index.html", '<meta name="description"', '<meta name="x-description"')
        edit(root / "category/local/index.html", 'rel="canonical"', 'rel="bookmark"')

    code, lines = broken(damage)
    assert code == 1
    assert sorted(lines) == ["categories/index.html: no <meta name=\"description\">",
                             "category/local/index.html: no <link rel=\"canonical\">",
                             "tags/index.html: no <title>"]


def test_json_ld_that_does_not_parse_or_lacks_fields_is_reported(broken) -> None:
    code, lines = broken(lambda root: edit(root / ARTICLE, '"@type": "BreadcrumbList",', '"@type": "BreadcrumbList",,'))
    assert code == 1 and len(lines) == 1 and lines[0].startswith(ARTICLE) and "JSON-LD does not parse" in lines[0]
    code, lines = broken(lambda root: edit(root / ARTICLE, '"datePublished":', '"dateCreated":'))
    assert code == 1 and len(lines) == 1 and "NewsArticle JSON-LD lacks datePublished" in lines[0]
    code, lines = broken(lambda root: edit(root / ARTICLE, '"@type": "NewsArticle"', '"@type": "Article"'))
    assert code == 1 and len(lines) == 1 and "without NewsArticle JSON-LD" in lines[0]


def test_sitemap_entries_pointing_nowhere_are_reported(broken) -> None:
    code, lines = broken(lambda root: shutil.rmtree(root / "2024/02/20"))
    assert code == 1
    url = "https://news.example.com/edition/2024/02/20/global-shipping-rates-fall-for-a-third-month/"
    assert f"sitemap.xml: sitemap entry {url} points at no file in the build" in lines
    # the feeds that list the story say so too, each by name
    assert f"tag/shipping/feed.xml: feed link {url} points at no file in the build" in lines
    assert f"tag/shipping/rss.xml: feed link {url} points at no file in the build" in lines


def test_check_of_a_folder_that_is_not_a_build(tmp_path: Path) -> None:
    result = run_newsgen("check", tmp_path / "missing")
    assert result.returncode == 2 and "is not a folder" in result.stderr
    (tmp_path / "empty").mkdir()
    result = run_newsgen("check", tmp_path / "empty")
    assert result.returncode == 1 and "no index.html" in result.stderr
