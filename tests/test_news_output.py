"""News-grade output, proven by the validators search engines, aggregators and feed readers use:
the Nu HTML Checker, feedparser, JSON Schema, the sitemap XSDs, extruct; plus the social card PNG."""

from __future__ import annotations

import io
import json
import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import extruct
import feedparser
import jsonschema
import lxml.etree
import lxml.html
import pytest
import xmlschema
from PIL import Image

from conftest import REPO, SITES, article, run_newsgen
from newsgen import plan as plan_module
from newsgen.build import BuildOptions, build

SCHEMAS = Path(__file__).resolve().parent / "schemas"
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
SITE_DIRS = {"default": REPO, "multi": SITES / "multi"}


@pytest.fixture(scope="module", params=sorted(SITE_DIRS))
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default site and the multi-article sample site, built by the CLI as users do."""
    out = tmp_path_factory.mktemp(request.param) / "public"
    result = run_newsgen("build", SITE_DIRS[request.param], "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    return out


def html_pages(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))


def article_pages(root: Path) -> list[Path]:
    return [p for p in html_pages(root) if 'property="og:type" content="article"' in p.read_text("utf-8")]


def feeds(root: Path, name: str) -> list[Path]:
    return sorted(root.rglob(name))


def canonical(doc: lxml.html.HtmlElement) -> str:
    return doc.xpath('//link[@rel="canonical"]/@href')[0]


def jsonld(doc: lxml.html.HtmlElement) -> dict[str, dict]:
    items = [json.loads(s.text) for s in doc.xpath('//script[@type="application/ld+json"]')]
    return {item["@type"]: item for item in items}


def opengraph(html: str, url: str) -> list[tuple[str, str]]:
    data = extruct.extract(html, base_url=url, syntaxes=["opengraph"], uniform=False)["opengraph"]
    return [pair for block in data for pair in block["properties"]]


def xml_schema(*names: str) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema([str(SCHEMAS / name) for name in names])


# --- Nu HTML Checker --------------------------------------------------------------------------------
@pytest.mark.validator
def test_nu_html_checker_reports_no_errors_on_any_page(built: Path) -> None:
    pages = html_pages(built)
    assert len(pages) > 10
    run = subprocess.run(["java", "-jar", str(VNU), "--format", "json", "--skip-non-html", *map(str, pages)],
                         capture_output=True, text=True, timeout=600)
    report = json.loads(run.stderr)
    errors = [m for m in report["messages"] if m["type"] in ("error", "non-document-error")]
    assert errors == [], json.dumps(errors, indent=1)[:4000]


# --- feeds ------------------------------------------------------------------------------------------
def test_every_page_with_a_feed_has_all_three_and_autodiscovery(built: Path) -> None:
    listings = [built / "index.html", *sorted(built.glob("category/*/index.html")), *sorted(built.glob("tag/*/index.html"))]
    types = {"feed.xml": "application/atom+xml", "rss.xml": "application/rss+xml", "feed.json": "application/feed+json"}
    for page in listings:
        doc = lxml.html.parse(str(page)).getroot()
        here = urlsplit(canonical(doc)).path  # the page's own folder, under the site's sub-path
        found = {link.get("type"): link.get("href") for link in doc.xpath('//link[@rel="alternate"]')}
        assert found == {kind: here + name for name, kind in types.items()}, page
        assert all((page.parent / name).is_file() for name in types)
    site_path = urlsplit(canonical(lxml.html.parse(str(built / "index.html")).getroot())).path
    for page in article_pages(built):  # an article points feed readers at the site's feeds
        doc = lxml.html.parse(str(page)).getroot()
        found = {link.get("type"): link.get("href") for link in doc.xpath('//link[@rel="alternate"]')}
        assert found == {kind: site_path + name for name, kind in types.items()}, page


def test_atom_and_rss_feeds_parse_without_errors(built: Path) -> None:
    atom, rss = feeds(built, "feed.xml"), feeds(built, "rss.xml")
    listings = [*built.glob("category/*/"), *built.glob("tag/*/"), *built.glob("author/*/")]
    assert len(atom) == len(rss) == 1 + len(listings)
    for path in [*atom, *rss]:
        parsed = feedparser.parse(path.read_bytes())
        assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
        assert parsed.entries, path
    for path in atom:
        parsed = feedparser.parse(path.read_bytes())
        assert parsed.version == "atom10"
        feed = parsed.feed
        assert feed.id and feed.title and feed.updated and feed.author
        assert any(link.rel == "alternate" for link in feed.links)
        for entry in parsed.entries:
            assert entry.id and entry.title and entry.updated and entry.published and entry.author
            assert any(link.rel == "alternate" for link in entry.links)
            if path.parent == built:  # the site feed: full text; term feeds: the summary (README "feed_content")
                assert entry.content[0].value.strip() and entry.summary.strip()
            else:
                assert "content" not in entry and entry.summary.strip()
        updated = max(datetime.fromisoformat(e.updated) for e in parsed.entries)
        assert datetime.fromisoformat(feed.updated) == updated  # the newest article's time, never the build's


def test_json_feeds_validate_against_json_feed_1_1(built: Path) -> None:
    schema = json.loads((SCHEMAS / "jsonfeed-1.1.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    paths = feeds(built, "feed.json")
    assert len(paths) == len(feeds(built, "feed.xml"))
    for path in paths:
        data = json.loads(path.read_text("utf-8"))
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(data)]
        assert errors == [], path
        content = "content_html" if path.parent == built else "content_text"  # full text in the site feed only
        assert data["items"] and all(item[content] for item in data["items"])


def test_the_json_feed_schema_refuses_an_invalid_feed() -> None:
    """The schema is ours; prove it is not a rubber stamp."""
    validator = jsonschema.Draft202012Validator(json.loads((SCHEMAS / "jsonfeed-1.1.schema.json").read_text()))
    good = {"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [{"id": "1", "content_text": "x"}]}
    assert validator.is_valid(good)
    for bad in ({**good, "version": "1.1"}, {**good, "items": [{"id": "1"}]},
                {**good, "items": [{"id": "1", "content_text": "x", "date_published": "25 May 2021"}]},
                {k: v for k, v in good.items() if k != "title"}):
        assert not validator.is_valid(bad), bad


def test_feed_ids_do_not_change_when_an_article_is_edited(make_site, tmp_path: Path) -> None:
    site = make_site({"content/a.md": article("First title", "2021-05-25T10:00:00+00:00", "One.\n")})
    first = run_newsgen("build", site, "-o", tmp_path / "one", "-q")
    (site / "content/a.md").write_text(article("A corrected title", "2021-05-25T10:00:00+00:00", "One, fixed.\n",
                                               updated="2021-05-26T08:00:00+00:00"))
    second = run_newsgen("build", site, "-o", tmp_path / "two", "-q")
    assert first.returncode == second.returncode == 0
    ids = []
    for out in ("one", "two"):
        atom = feedparser.parse((tmp_path / out / "feed.xml").read_bytes()).entries[0].id
        rss = feedparser.parse((tmp_path / out / "rss.xml").read_bytes()).entries[0].id
        jf = json.loads((tmp_path / out / "feed.json").read_text())["items"][0]["id"]
        assert atom == rss == jf
        ids.append(atom)
    assert ids[0] == ids[1]
    assert feedparser.parse((tmp_path / "two" / "feed.xml").read_bytes()).entries[0].updated.startswith("2021-05-26T08")


# --- sitemaps ---------------------------------------------------------------------------------------
def test_sitemaps_validate_against_the_xsds_and_list_every_page(built: Path) -> None:
    schema = xml_schema("sitemap.xsd", "sitemap-news.xsd")
    schema.validate(str(built / "sitemap.xml"))
    schema.validate(str(built / "news-sitemap.xml"))
    home = canonical(lxml.html.parse(str(built / "index.html")).getroot())
    locs = {loc.text: loc.getparent().findtext(f"{SM}lastmod")
            for loc in lxml.etree.parse(str(built / "sitemap.xml")).iter(f"{SM}loc")}
    expected = {canonical(lxml.html.parse(str(p)).getroot()) for p in html_pages(built) if p.name != "404.html"}
    assert set(locs) == expected
    for page in article_pages(built):  # lastmod is the article's, never the build time
        news = jsonld(lxml.html.parse(str(page)).getroot())["NewsArticle"]
        assert locs[news["url"]] == news["dateModified"]
    robots = (built / "robots.txt").read_text()
    assert f"Sitemap: {home}sitemap.xml" in robots and f"Sitemap: {home}news-sitemap.xml" in robots


def test_the_sitemap_becomes_an_index_past_the_url_limit(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(plan_module, "SITEMAP_LIMIT", 7)
    out = tmp_path / "out"
    build(SITES / "multi", BuildOptions(output=out))
    index = lxml.etree.parse(str(out / "sitemap.xml")).getroot()
    assert index.tag == f"{SM}sitemapindex"
    xml_schema("siteindex.xsd").validate(str(out / "sitemap.xml"))
    parts = [loc.text.rsplit("/", 1)[1] for loc in index.iter(f"{SM}loc")]
    assert len(parts) > 1
    urls = []
    for part in parts:
        xml_schema("sitemap.xsd", "sitemap-news.xsd").validate(str(out / part))
        urls += [loc.text for loc in lxml.etree.parse(str(out / part)).iter(f"{SM}loc")]
    assert len(urls) == len(set(urls)) == len([p for p in html_pages(out) if p.name != "404.html"])


def test_the_xsd_refuses_a_broken_news_sitemap(built: Path) -> None:
    text = (built / "news-sitemap.xml").read_text().replace("news:title>", "news:headline>")
    assert not xml_schema("sitemap.xsd", "sitemap-news.xsd").is_valid(text)


def _news_site(make_site, dates: list[str]) -> Path:
    return make_site({f"content/a{n}.md": article(f"Story {n}", when, f"Body {n}.\n", slug=f"story-{n}")
                      for n, when in enumerate(dates)})


def news_titles(out: Path) -> list[str]:
    return [t.text for t in lxml.etree.parse(str(out / "news-sitemap.xml")).iter(f"{NEWS}title")]


def test_news_sitemap_holds_the_two_days_before_the_newest_article(monkeypatch, make_site, tmp_path: Path) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    newest = datetime(2024, 3, 14, 18, 0, tzinfo=timezone.utc)
    dates = [newest, newest - timedelta(days=1), newest - timedelta(days=2),
             newest - timedelta(days=2, seconds=1), newest - timedelta(days=9)]
    site = _news_site(make_site, [d.isoformat() for d in dates])
    result = run_newsgen("build", site, "-o", tmp_path / "out", "-q")
    assert result.returncode == 0, result.stderr
    assert news_titles(tmp_path / "out") == ["Story 0", "Story 1", "Story 2"]
    xml_schema("sitemap.xsd", "sitemap-news.xsd").validate(str(tmp_path / "out" / "news-sitemap.xml"))


def test_news_sitemap_counts_back_from_source_date_epoch(make_site, tmp_path: Path) -> None:
    site = _news_site(make_site, ["2024-03-14T18:00:00+00:00", "2024-03-10T12:00:00+00:00",
                                  "2024-03-09T00:00:00+00:00", "2024-03-08T23:59:59+00:00"])
    epoch = int(datetime(2024, 3, 11, 0, 0, tzinfo=timezone.utc).timestamp())
    result = run_newsgen("build", site, "-o", tmp_path / "out", "-q", env={"SOURCE_DATE_EPOCH": str(epoch)})
    assert result.returncode == 0, result.stderr
    # the 14 March story is "in the future" at that epoch and is not published; 9 March 00:00 is the edge
    assert news_titles(tmp_path / "out") == ["Story 1", "Story 2"]

    later = int(datetime(2024, 6, 1, tzinfo=timezone.utc).timestamp())
    result = run_newsgen("build", site, "-o", tmp_path / "late", "-q", env={"SOURCE_DATE_EPOCH": str(later)})
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "late" / "news-sitemap.xml").exists()  # nothing recent: no (schema-invalid) empty file
    assert "news-sitemap" not in (tmp_path / "late" / "robots.txt").read_text()


def test_news_sitemap_is_capped_at_its_limit(monkeypatch, make_site, tmp_path: Path) -> None:
    assert plan_module.NEWS_SITEMAP_LIMIT == 1000  # Google's limit; lowered below to keep the test fast
    monkeypatch.setattr(plan_module, "NEWS_SITEMAP_LIMIT", 3)
    site = _news_site(make_site, [f"2024-03-14T{h:02d}:00:00+00:00" for h in range(10, 16)])
    build(site, BuildOptions(output=tmp_path / "out"))
    assert news_titles(tmp_path / "out") == ["Story 5", "Story 4", "Story 3"]  # the newest


# --- structured data and social meta ----------------------------------------------------------------
def visible_times(doc: lxml.html.HtmlElement) -> tuple[str, str | None]:
    meta = doc.xpath('//article[contains(@class,"story")]//*[contains(@class,"meta")]')[0]
    text = meta.text_content()
    times = meta.xpath(".//time/@datetime")
    assert "Published" in text
    return times[0], (times[1] if "Updated" in text else None)


def test_news_article_json_ld_matches_the_visible_page(built: Path) -> None:
    pages = article_pages(built)
    assert pages
    home = canonical(lxml.html.parse(str(built / "index.html")).getroot())
    atom = {e.link: e for e in feedparser.parse((built / "feed.xml").read_bytes()).entries}
    for page in pages:
        html = page.read_text("utf-8")
        doc = lxml.html.fromstring(html)
        url = canonical(doc)
        data = extruct.extract(html, base_url=url, syntaxes=["json-ld"], uniform=True)["json-ld"]
        news = [d for d in data if d.get("@type") == "NewsArticle"]
        crumbs = [d for d in data if d.get("@type") == "BreadcrumbList"]
        assert len(news) == 1 and len(crumbs) == 1, page
        news = news[0]
        story = doc.xpath('//article[contains(@class,"story")]')[0]
        assert news["headline"] == story.xpath(".//h1")[0].text_content()
        assert news["description"] == doc.xpath('//meta[@name="description"]/@content')[0]
        published, updated = visible_times(doc)
        assert news["datePublished"] == published
        assert news["dateModified"] == (updated or published)
        assert datetime.fromisoformat(news["datePublished"]).utcoffset() is not None
        # the same instant in the feed and the sitemap
        entry = atom[url]
        assert datetime.fromisoformat(entry.published) == datetime.fromisoformat(published)
        assert datetime.fromisoformat(entry.updated) == datetime.fromisoformat(news["dateModified"])
        bylines = [a.text_content() for a in story.xpath('.//*[contains(@class,"author")]')]
        assert [a["name"] for a in news["author"]] == bylines
        assert all(a["@type"] in ("Person", "Organization") for a in news["author"])
        assert news["publisher"]["@type"] == "Organization" and news["publisher"]["name"]
        assert news["mainEntityOfPage"]["@id"] == news["url"] == url
        assert news["inLanguage"] == doc.get("lang")
        kicker = story.xpath('.//*[contains(@class,"kicker")]//a')
        section = news.get("articleSection")
        assert (section[0] if isinstance(section, list) else section) == (kicker[0].text_content() if kicker else None)
        tags = [a.text_content() for a in story.xpath('.//ul[contains(@class,"tags")]//a')]
        assert news.get("keywords", []) == tags
        picture = story.xpath('.//figure//img/@src')
        if picture:  # the visible photo's crops for Google (16:9, 4:3, 1:1), named after it
            stem = urljoin(url, picture[0]).rsplit("-", 2)[0]
            assert [image["url"].rsplit("-", 2)[0] for image in news["image"]] == [stem] * 3
        else:
            assert "image" not in news  # a drawn card is not a photo of the story
        # BreadcrumbList = the visible breadcrumb: Home › Category › Article
        visible = [(a.text_content(), urljoin(url, a.get("href")))
                   for a in doc.xpath('//nav[contains(@class,"breadcrumb")]//a')]
        items = sorted(crumbs[0]["itemListElement"], key=lambda i: i["position"])
        assert [(i["name"], i["item"]) for i in items] == visible
        assert visible[0] == ("Home", home) and visible[-1] == (news["headline"], url)
        assert len(visible) == (3 if kicker else 2)


def test_open_graph_and_twitter_cards_on_every_article(built: Path) -> None:
    for page in article_pages(built):
        html = page.read_text("utf-8")
        doc = lxml.html.fromstring(html)
        url = canonical(doc)
        og = opengraph(html, url)
        props = dict(og)
        news = jsonld(doc)["NewsArticle"]
        assert props["og:type"] == "article"
        assert props["og:title"] == news["headline"]
        assert props["og:url"] == url
        assert props["og:description"] == news["description"]
        assert props["og:site_name"] == news["publisher"]["name"]
        assert props["og:locale"]
        assert props["article:published_time"] == news["datePublished"]
        assert props["article:modified_time"] == news["dateModified"]
        section = news.get("articleSection")  # Open Graph has one section: the first category
        assert props.get("article:section") == (section[0] if isinstance(section, list) else section)
        assert [v for k, v in og if k == "article:tag"] == news.get("keywords", [])
        assert props["og:image"].startswith("https://")
        assert props["og:image:width"].isdigit() and props["og:image:height"].isdigit() and props["og:image:alt"]
        twitter = {m.get("name"): m.get("content") for m in doc.xpath('//meta[starts-with(@name,"twitter:")]')}
        assert twitter["twitter:card"] == "summary_large_image"
        assert twitter["twitter:image"] == props["og:image"]
        assert doc.xpath('//meta[@name="robots"]/@content')[0].count("max-image-preview:large") == 1
        image_path = built / props["og:image"][len(canonical(lxml.html.parse(str(built / "index.html")).getroot())):]
        with Image.open(image_path) as picture:  # the announced size is the real one
            assert picture.size == (int(props["og:image:width"]), int(props["og:image:height"]))


def test_home_page_carries_website_json_ld(built: Path) -> None:
    doc = lxml.html.parse(str(built / "index.html")).getroot()
    site = jsonld(doc)["WebSite"]
    assert site["url"] == canonical(doc)
    assert site["name"] == doc.xpath('//meta[@property="og:site_name"]/@content')[0]
    assert site["inLanguage"] == doc.get("lang")


# --- social cards -----------------------------------------------------------------------------------
def test_social_cards_are_1200_by_630_pngs_with_deterministic_bytes(built: Path, tmp_path: Path) -> None:
    cards = sorted(built.rglob("card.png"))
    without_image = [p for p in article_pages(built) if "story-image" not in p.read_text("utf-8")]
    assert len(cards) == len(without_image) > 0
    for card in cards:
        with Image.open(card) as picture:
            assert picture.format == "PNG" and picture.size == (1200, 630)
            colours = picture.convert("RGB").getcolors(maxcolors=1_000_000)
            assert colours is not None and len(colours) >= 16  # drawn text with anti-aliased edges, not a flat block
    site = next(name for name, path in SITE_DIRS.items() if built.parent.name.startswith(name))
    again = tmp_path / "again"
    assert run_newsgen("build", SITE_DIRS[site], "-o", again, "-q").returncode == 0
    for card in cards:
        assert (again / card.relative_to(built)).read_bytes() == card.read_bytes()


def test_an_article_with_a_picture_uses_it_and_gets_no_card(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(SITES / "multi", BuildOptions(output=out))
    page = out / "2024/03/14/port-strike-ends/index.html"
    doc = lxml.html.parse(str(page)).getroot()
    assert not (page.parent / "card.png").exists()
    # its 1200×630 crop (photos.py), and the three crops Google asks for in the JSON-LD
    [og] = doc.xpath('//meta[@property="og:image"]/@content')
    assert og.startswith("https://news.example.com/edition/images/harbour-") and og.endswith("-og.jpg")
    with Image.open(out / og.removeprefix("https://news.example.com/edition/")) as picture:
        assert picture.format == "JPEG"
        assert [picture.width, picture.height] == [int(doc.xpath(f'//meta[@property="og:image:{side}"]/@content')[0])
                                                   for side in ("width", "height")]
    assert doc.xpath('//meta[@property="og:image:alt"]/@content') == ["Cranes over the container terminal at dusk"]
    images = jsonld(doc)["NewsArticle"]["image"]
    assert [image["url"].rsplit("-", 1)[1] for image in images] == ["16x9.jpg", "4x3.jpg", "1x1.jpg"]
    assert all(image["url"].startswith("https://news.example.com/edition/images/harbour-") for image in images)


# --- hostile strings --------------------------------------------------------------------------------
HOSTILE = ("</script><script>alert(1)</script> \"'><img src=x onerror=alert(1)> ]]> &amp; & < "
           "\u2028line\u2029para \x07bell\x1b[31m <!-- --> {{ 7*7 }}")
CLEAN = HOSTILE.replace("\x07", "").replace("\x1b", "")  # control characters are dropped at load


def as_name(text: str) -> str:
    return " ".join(text.split())  # names (authors, categories, tags) have their white space folded


def test_hostile_front_matter_comes_back_as_text_never_as_markup(make_site, tmp_path: Path) -> None:
    value = json.dumps(HOSTILE)  # a YAML double-quoted scalar with \u escapes
    text = (f"---\ntitle: {value}\ndate: 2024-03-14T10:00:00+00:00\nauthor: {json.dumps(HOSTILE + ' A')}\n"
            f"summary: {value}\ncategories: [{json.dumps(HOSTILE + ' C')}]\ntags: [{json.dumps(HOSTILE + ' T')}]\n"
            f"image: images/p.png\nimage_alt: {value}\nextra:\n  note: {value}\n---\nPlain body.\n")
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(picture, format="PNG")
    site = make_site({"newsgen.yaml": "title: Hostile Test\nbase_url: https://example.org/\n",
                      "content/h.md": text, "static/images/p.png": picture.getvalue()})
    out = tmp_path / "out"
    result = run_newsgen("build", site, "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    title, summary, alt = CLEAN.strip(), CLEAN.strip(), CLEAN.strip()
    author, category, tag = as_name(CLEAN + " A"), as_name(CLEAN + " C"), as_name(CLEAN + " T")

    pages = html_pages(out)
    story = next(p for p in pages if "og:type\" content=\"article" in p.read_text("utf-8"))
    for page in pages:  # never markup: no injected elements or handlers anywhere in the parsed DOM
        doc = lxml.html.parse(str(page)).getroot()
        # the one script of the theme: the search page's own, from the site
        own = [] if page != out / "search" / "index.html" else ["/assets/search.js"]
        assert [s.get("src") for s in doc.iter("script") if s.get("type") != "application/ld+json"] == own, page
        # the article's picture only, resized (photos.py): /images/p-<key>-<width>.jpg
        assert [i.get("src").startswith("/images/p-") for i in doc.iter("img")] in ([], [True]), page
        assert not doc.xpath("//@onerror"), page
        for script in doc.iter("script"):
            if script.get("type") == "application/ld+json":
                json.loads(script.text)
    doc = lxml.html.parse(str(story)).getroot()
    meta = {(m.get("property") or m.get("name")): m.get("content") for m in doc.iter("meta")}
    assert doc.findtext(".//h1") == title
    assert doc.findtext(".//title") == f"{title} – Hostile Test"
    assert meta["description"] == meta["og:description"] == meta["twitter:description"] == summary
    assert meta["og:title"] == meta["twitter:title"] == title
    assert meta["og:image:alt"] == alt and doc.xpath("//figure//img/@alt") == [alt]
    assert meta["article:section"] == category and meta["article:tag"] == tag
    assert [a.text_content() for a in doc.xpath('//*[contains(@class,"author")]')] == [author]
    assert doc.xpath('//ul[contains(@class,"tags")]//a')[0].text_content() == tag
    assert doc.xpath('//nav[contains(@class,"breadcrumb")]//a')[1].text_content() == category
    ld = jsonld(doc)
    news = ld["NewsArticle"]
    assert (news["headline"], news["description"], news["author"][0]["name"]) == (title, summary, author)
    assert (news["articleSection"], news["keywords"]) == (category, [tag])
    assert ld["BreadcrumbList"]["itemListElement"][2]["name"] == title
    for script in story.read_text("utf-8").split('<script type="application/ld+json">')[1:]:
        assert "<" not in script.split("</script>")[0]  # nothing in JSON-LD can open or close a tag
    assert CLEAN.strip() in extruct.extract(story.read_text("utf-8"), syntaxes=["json-ld"])["json-ld"][0]["headline"]

    for feed_path in feeds(out, "feed.xml"):  # Atom
        tree = lxml.etree.parse(str(feed_path))
        entry = tree.find(f"{ATOM}entry")
        assert entry.findtext(f"{ATOM}title") == title and entry.findtext(f"{ATOM}summary") == summary
        assert entry.findtext(f"{ATOM}author/{ATOM}name") == author
        assert [c.get("term") for c in entry.iter(f"{ATOM}category")] == [category, tag]
        assert not [e for e in tree.iter() if isinstance(e.tag, str) and e.tag.endswith(("script", "img"))]
        assert feedparser.parse(feed_path.read_bytes()).bozo == 0
    for feed_path in feeds(out, "rss.xml"):
        tree = lxml.etree.parse(str(feed_path))
        item = tree.find("channel/item")
        assert item.findtext("title") == title and item.findtext("description") == summary
        assert item.findtext("{http://purl.org/dc/elements/1.1/}creator") == author
        assert [c.text for c in item.iter("category")] == [category, tag]
        assert feedparser.parse(feed_path.read_bytes()).bozo == 0
    for feed_path in feeds(out, "feed.json"):
        item = json.loads(feed_path.read_text("utf-8"))["items"][0]
        assert (item["title"], item["summary"], item["authors"][0]["name"], item["tags"]) == \
            (title, summary, author, [category, tag])
    news_map = lxml.etree.parse(str(out / "news-sitemap.xml"))
    assert news_map.findtext(f".//{NEWS}title") == title
    assert news_map.findtext(f".//{NEWS}name") == "Hostile Test"
    xml_schema("sitemap.xsd", "sitemap-news.xsd").validate(str(out / "news-sitemap.xml"))
    xml_schema("sitemap.xsd", "sitemap-news.xsd").validate(str(out / "sitemap.xml"))
    assert CLEAN not in (out / "sitemap.xml").read_text("utf-8")  # URLs carry slugs, never raw text
    assert run_newsgen("check", out).returncode == 0


def test_cards_follow_html_permalinks_and_remote_pictures_get_no_size(make_site, tmp_path: Path) -> None:
    site = make_site({
        "newsgen.yaml": "title: Pages\nbase_url: https://example.org/\npermalink: \"{year}/{slug}.html\"\n",
        "content/a.md": article("Plain story", "2024-03-14T10:00:00+00:00", slug="plain"),
        "content/b.md": article("Pictured story", "2024-03-13T10:00:00+00:00", slug="pictured",
                                image="https://cdn.example.net/p.jpg", image_alt="A picture"),
    })
    out = tmp_path / "out"
    assert run_newsgen("build", site, "-o", out, "-q").returncode == 0
    plain = lxml.html.parse(str(out / "2024/plain.html")).getroot()
    assert plain.xpath('//meta[@property="og:image"]/@content') == ["https://example.org/2024/plain.card.png"]
    with Image.open(out / "2024/plain.card.png") as card:
        assert card.size == (1200, 630)
    pictured = lxml.html.parse(str(out / "2024/pictured.html")).getroot()
    assert not (out / "2024/pictured.card.png").exists()
    assert pictured.xpath('//meta[@property="og:image"]/@content') == ["https://cdn.example.net/p.jpg"]
    assert not pictured.xpath('//meta[@property="og:image:width"]')  # unknown without fetching it
    assert jsonld(pictured)["NewsArticle"]["image"] == ["https://cdn.example.net/p.jpg"]
    assert run_newsgen("check", out).returncode == 0


def test_social_cards_can_be_turned_off(make_site, tmp_path: Path) -> None:
    site = make_site({"newsgen.yaml": "social_cards: false\n",
                      "content/a.md": "---\ntitle: No card\ndate: 2021-05-25T10:00:00Z\n---\nText.\n"})
    out = tmp_path / "out"
    result = run_newsgen("build", site, "-o", out)
    assert result.returncode == 0, result.stderr
    assert not list(out.rglob("*.png"))
    page = lxml.html.parse(str(out / "2021/05/25/no-card/index.html")).getroot()
    assert not page.xpath("//meta[@property='og:image']")
    assert page.xpath("//meta[@name='twitter:card']/@content") == ["summary"]
