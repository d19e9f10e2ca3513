"""Newsrooms in other languages: the theme's strings, dates, quotation marks, slugs, reading time,
right to left, and articles in several languages on one site. Built from real Markdown through the CLI."""

from __future__ import annotations

import io
import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import lxml.etree
import lxml.html
import pytest
import xmlschema
from babel.messages.mofile import read_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from conftest import REPO, article, run_newsgen
from newsgen.i18n import LOCALES_DIR

THEME = REPO / "src" / "newsgen" / "theme" / "templates"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
CATALOGS = ["fr", "de", "es", "it", "pt", "nl", "pl", "ru", "uk", "tr", "ar", "he", "zh_Hans", "ja", "ko"]
# Where a language writes the very same word as English, and it is no English left over.
SAME_WORD = {("fr", "page %(number)s"), ("es", "Error 404"), ("fr", "Correction")}
# English words of the theme that are that language's own words too (French `1 article`, `Page introuvable`)
SAME_WORDS = {"fr": {"article", "page", "Page"}}


def theme_strings() -> dict[str, tuple[str, ...]]:
    """Every string the default theme shows, as Jinja's extractor (make catalogs) finds them: msgid -> ids."""
    found: dict[str, tuple[str, ...]] = {}
    for template in sorted(THEME.iterdir()):
        with template.open("rb") as handle:
            for _, _, message, _ in babel_extract(handle, ("_", "gettext", "ngettext"), [], {"trimmed": "true"}):
                ids = message if isinstance(message, tuple) else (message,)
                found[ids[0]] = tuple(m for m in ids if m is not None)
    return found


def css(doc: lxml.html.HtmlElement, *classes: str) -> list[lxml.html.HtmlElement]:
    """Elements with any of these classes."""
    return doc.xpath(" | ".join(f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {c} ')]" for c in classes))


def fragments(message: str) -> list[str]:
    """The English words of a theme string, between its placeholders."""
    return [part.strip() for part in re.split(r"%\(\w+\)s", message) if re.search(r"[A-Za-z]{2}", part)]


# --- the catalogs ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", CATALOGS)
def test_every_theme_string_is_translated_in_every_catalog(name: str) -> None:
    strings = theme_strings()
    assert len(strings) > 60  # the extractor found the theme's strings, not nothing
    mo_path = LOCALES_DIR / name / "LC_MESSAGES" / "messages.mo"
    po_path = mo_path.with_suffix(".po")
    shipped = read_mo(io.BytesIO(mo_path.read_bytes()))
    source = read_po(io.BytesIO(po_path.read_bytes()))
    forms = get_plural(name).num_plurals
    for msgid, ids in strings.items():
        message = shipped.get(msgid)
        assert message is not None and message.string, f"{name}: no translation of {msgid!r}"
        translated = tuple(message.string) if isinstance(message.string, (list, tuple)) else (message.string,)
        assert all(translated), f"{name}: {msgid!r} has an empty form"
        if len(ids) > 1:
            assert len(translated) == forms, f"{name}: {msgid!r} needs {forms} plural forms (CLDR)"
        placeholders = set(re.findall(r"%\((\w+)\)s", " ".join(ids)))
        for text in translated:
            assert set(re.findall(r"%\((\w+)\)s", text)) <= placeholders, f"{name}: {text!r}"
        if len(ids) == 1 and (name, msgid) not in SAME_WORD and fragments(msgid):
            assert translated[0] != msgid, f"{name}: {msgid!r} is left in English"
        # the shipped .mo is the compiled .po (make catalogs)
        written = source.get(msgid)
        assert written is not None, name
        assert (tuple(written.string) if isinstance(written.string, (list, tuple)) else (written.string,)) == translated


def test_the_template_catalog_lists_every_theme_string() -> None:
    pot = read_po(io.BytesIO((LOCALES_DIR / "messages.pot").read_bytes()))
    assert {m.id if isinstance(m.id, str) else m.id[0] for m in pot if m.id} == set(theme_strings())


def test_the_wheel_ships_the_compiled_catalogs() -> None:
    import tomllib

    data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["newsgen"]
    assert "locales/*/LC_MESSAGES/*.mo" in data
    assert "anyascii" in " ".join(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"])


# --- the five newsrooms of the acceptance -----------------------------------------------------------
GENEVA_SOURCE = (REPO / "content" / "2021-05-25-biden-putin-geneva-summit.md").read_text(encoding="utf-8")
GENEVA_BODY = GENEVA_SOURCE.split("\n---\n", 1)[1].replace("“", '"').replace("”", '"')  # as writers type it
SITES = {
    # language: (site title, section, tag in the site's script, expected tag slug, long date, opening mark,
    #            closing mark)
    "fr": ("Le Quotidien", "Monde", "Genève", "geneve", "25 mai 2021", "«\u00a0", "\u00a0»"),
    "de": ("Die Zeitung", "Welt", "Genf", "genf", "25. Mai 2021", "„", "“"),
    "ja": ("日刊新聞", "国際", "ジュネーブ", "jiyunebu", "2021年5月25日", "「", "」"),
    "zh": ("每日新闻", "国际", "日内瓦", "rineiwa", "2021年5月25日", "“", "”"),
    "ar": ("الصحيفة", "العالم", "جنيف", "jnyf", "25 مايو 2021", "”", "“"),
}
ARTICLE_URL = "2021/05/25/biden-putin-geneva-summit/"


def newsroom_files(language: str) -> dict[str, str]:
    title, section, tag, *_ = SITES[language]
    return {
        "newsgen.yaml": f"title: {title}\nlanguage: {language}\nbase_url: https://example.org/\ntimezone: Europe/Zurich\n",
        "content/geneva.md": article("Biden and Putin will meet in Geneva", "2021-05-25T14:30:00+02:00", GENEVA_BODY,
                                     slug="biden-putin-geneva-summit", categories=[section], tags=[tag],
                                     author="Newsroom Staff", corrections="[{date: 2021-05-26, text: A date.}]"),
        "content/other.md": article("A second story", "2021-05-20T09:00:00+02:00", "Short.\n", categories=[section],
                                    tags=[tag]),
    }


@pytest.fixture(scope="module")
def newsrooms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from conftest import write_tree

    built = {}
    for language in SITES:
        site = write_tree(tmp_path_factory.mktemp(language) / "site", newsroom_files(language))
        result = run_newsgen("build", site, "-q")
        assert result.returncode == 0, result.stderr
        assert "translation" not in result.stderr  # a shipped catalog: no fallback warning
        built[language] = site / "build"
    return built


def theme_text(page: Path) -> str:
    """What the theme, not the writer, puts on a page: its visible text, labels and titles with the
    article's own text (headline, body, summaries) taken out."""
    doc = lxml.html.parse(str(page)).getroot()
    is_article = bool(doc.xpath('//meta[@property="og:type"][@content="article"]'))
    authored = css(doc, "story-body", "standfirst", "card-title", "card-summary", "latest")
    authored += doc.xpath("//*[contains(@class, 'story-head')]//h1 | //*[@aria-current='page'][ancestor::nav]"
                          " | //aside[contains(@class, 'corrections')]//li | //script | //style")
    for element in authored:
        if element.getparent() is not None:
            element.drop_tree()
    parts = [doc.body.text_content()] if doc.body is not None else []
    parts += doc.xpath("//@aria-label")
    if not is_article:
        parts += doc.xpath("//title/text()") + doc.xpath('//meta[@name="description"]/@content')
    return "\n".join(parts)


@pytest.mark.parametrize("language", sorted(SITES))
def test_no_english_theme_word_is_left_on_any_page(newsrooms: dict[str, Path], language: str) -> None:
    words = sorted({fragment for msgid in theme_strings() for fragment in fragments(msgid)}
                   - SAME_WORDS.get(language, set()), key=len, reverse=True)
    pages = sorted(newsrooms[language].rglob("*.html"))
    assert len(pages) > 8
    left = []
    for page in pages:
        text = theme_text(page)
        left += [f"{page.relative_to(newsrooms[language])}: {word!r}" for word in words
                 if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]
    assert not left, "\n".join(left)


@pytest.mark.parametrize("language", sorted(SITES))
def test_dates_quotes_slugs_and_direction_are_the_languages(newsrooms: dict[str, Path], language: str) -> None:
    _, _, tag, slug, long_date, opening, closing = SITES[language]
    out = newsrooms[language]
    page = out / ARTICLE_URL / "index.html"
    doc = lxml.html.parse(str(page)).getroot()
    html = page.read_text(encoding="utf-8")
    assert doc.get("lang") == language
    assert doc.get("dir") == ("rtl" if language == "ar" else None)
    published = doc.xpath("//*[contains(@class, 'byline')]//time")[0]
    assert published.get("datetime") == "2021-05-25T14:30:00+02:00"  # machine formats stay as they were
    assert published.text.startswith(long_date)
    body = css(doc, "story-body")[0].text_content()
    assert f"{opening}President Biden will meet" in body and "Russia," + closing in body
    if opening != "“":  # Chinese takes the same marks as English, by CLDR
        assert "“President" not in body and "Russia,”" not in body
    assert 'href="/tag/' + slug + '/"' in html and (out / "tag" / slug / "index.html").is_file()
    for href in doc.xpath("//a/@href"):
        assert href.isascii(), href
    news = next(json.loads(s.text) for s in doc.xpath('//script[@type="application/ld+json"]')
                if json.loads(s.text)["@type"] == "NewsArticle")
    assert news["inLanguage"] == language and news["datePublished"] == "2021-05-25T14:30:00+02:00"
    assert tag in html
    # the tag page's own headline reads either way (dir=auto), and the feeds keep RFC formats
    tag_page = lxml.html.parse(str(out / "tag" / slug / "index.html")).getroot()
    assert tag_page.xpath("//h1")[0].get("dir") == "auto"
    assert "<pubDate>Tue, 25 May 2021 14:30:00 +0200</pubDate>" in (out / "rss.xml").read_text(encoding="utf-8")


def test_french_punctuation_takes_no_break_spaces_and_never_touches_code(make_site: Callable[..., Path]) -> None:
    site = make_site({
        "newsgen.yaml": "language: fr\n",
        "content/a.md": article("Titre", body='Il a dit : "oui" ; vraiment ? Oui ! C\'est l\'heure.\n\n'
                                               '`code "brut" ; : ?`\n'),
    })
    assert run_newsgen("build", site, "-q").returncode == 0
    html = next((site / "build").rglob("titre/index.html")).read_text(encoding="utf-8")
    assert "Il a dit\u00a0: «\u00a0oui\u00a0»\u202f; vraiment\u202f? Oui\u202f! C’est l’heure." in html
    assert '<code>code "brut" ; : ?</code>' in html


def test_german_nested_quotes_and_apostrophes(make_site: Callable[..., Path]) -> None:
    site = make_site({"newsgen.yaml": "language: de\n",
                      "content/a.md": article("Titel", body="Er sagte: \"Das ist 'gut' so, wie's ist.\"\n")})
    assert run_newsgen("build", site, "-q").returncode == 0
    html = next((site / "build").rglob("titel/index.html")).read_text(encoding="utf-8")
    assert "Er sagte: „Das ist ‚gut‘ so, wie’s ist.“" in html


# --- reading time and excerpts for scripts without spaces ------------------------------------------
def test_chinese_reading_time_and_excerpt_count_characters(make_site: Callable[..., Path]) -> None:
    text = "日内瓦峰会的消息传来，两国总统将首次会面。" * 40  # 840 characters, not one space
    site = make_site({"newsgen.yaml": "language: zh\n", "content/a.md": article("峰会", body=text + "\n", slug="summit")})
    assert run_newsgen("build", site, "-q").returncode == 0
    doc = lxml.html.parse(str(site / "build/2021/05/25/summit/index.html")).getroot()
    meta = doc.xpath("//*[contains(@class, 'byline')]/p[@class='meta']")[0].text_content()
    assert "阅读约需 4 分钟" in meta  # 840 / 255 characters a minute; by spaces it would be 1 minute
    description = doc.xpath('//meta[@name="description"]/@content')[0]
    assert description.endswith("…") and 150 <= len(description) <= 160  # cut between characters
    news = next(json.loads(s.text) for s in doc.xpath('//script[@type="application/ld+json"]')
                if json.loads(s.text)["@type"] == "NewsArticle")
    assert news["wordCount"] == 840


# --- right to left ----------------------------------------------------------------------------------
def test_the_theme_uses_logical_css_properties_only() -> None:
    css = (REPO / "src/newsgen/theme/static/assets/style.css").read_text()
    assert not re.search(r"(?<![\w-])(left|right)(?![\w-])|-(left|right)\b", css)
    assert "float: inline-start" in css and '[dir="rtl"] .breadcrumb' in css


def test_an_arabic_site_reads_right_to_left(newsrooms: dict[str, Path]) -> None:
    out = newsrooms["ar"]
    for page in sorted(out.rglob("*.html")):
        doc = lxml.html.parse(str(page)).getroot()
        assert doc.get("dir") == "rtl" and doc.get("lang") == "ar", page
    home = (out / "index.html").read_text(encoding="utf-8")
    assert 'class="card-title" dir="auto"' in home


# --- fallback and overrides -------------------------------------------------------------------------
def test_a_language_without_a_catalog_falls_back_to_english_with_one_warning(make_site: Callable[..., Path]) -> None:
    site = make_site({"newsgen.yaml": "language: sw\ntitle: Habari\n",
                      "content/a.md": article("Habari", categories=["Dunia"]),
                      "content/b.md": article("Habari mbili", categories=["Dunia"])})
    result = run_newsgen("build", site)
    assert result.returncode == 0, result.stderr
    warnings = (result.stdout + result.stderr).count("no translation of its theme for language 'sw'")
    assert warnings == 1
    html = (site / "build/index.html").read_text(encoding="utf-8")
    assert "Skip to content" in html and 'lang="sw"' in html
    assert run_newsgen("build", site, "--strict").returncode == 1  # a warning like any other

    # the preview says so too, on each build it makes
    from newsgen.live import LiveSite
    from newsgen.preview import Builder, Preview

    err = io.StringIO()
    builder = Builder(LiveSite(site, "http://127.0.0.1:8000"), Preview(), io.StringIO(), err)
    assert builder.rebuild()
    assert err.getvalue().count("no translation of its theme for language 'sw'") == 1


def test_a_site_overrides_theme_strings_from_its_own_file(make_site: Callable[..., Path]) -> None:
    site = make_site({
        "newsgen.yaml": "language: fr\n",
        "translations/fr.po": 'msgid "Home"\nmsgstr "La une"\n\nmsgid "Skip to content"\n'
                              'msgstr "<b>Au contenu</b> & plus"\n',
        "content/a.md": article("Titre", categories=["Monde"]),
    })
    assert run_newsgen("build", site, "-q").returncode == 0
    html = (site / "build/2021/05/25/titre/index.html").read_text(encoding="utf-8")
    assert '<a href="/">La une</a>' in html
    assert "&lt;b&gt;Au contenu&lt;/b&gt; &amp; plus" in html and "<b>" not in html  # text, never markup
    assert "Partager cet article" in html  # the rest from the shipped catalog


def test_a_broken_override_file_is_an_error_with_its_line(make_site: Callable[..., Path]) -> None:
    site = make_site({
        "newsgen.yaml": "language: fr\n",
        "translations/fr.po": 'msgid "Home"\nmsgstr "La une"\n\nmsgid "By %(names)s"\nmsgstr "Par %(auteurs)s"\n',
        "content/a.md": article("Titre"),
    })
    result = run_newsgen("build", site)
    assert result.returncode == 1
    assert "translations/fr.po:4" in result.stderr and "%(auteurs)s" in result.stderr
    assert not (site / "build").exists()


# --- slugs of every script, and the old ones redirected --------------------------------------------
def test_a_chinese_tag_gets_a_readable_slug_and_its_old_hash_url_redirects(make_site: Callable[..., Path]) -> None:
    site = make_site({"newsgen.yaml": "title: T\n", "content/a.md": article("Story", tags=["北京"])})
    assert run_newsgen("build", site, "-q").returncode == 0
    out = site / "build"
    assert (out / "tag/beijing/index.html").is_file()
    old = [p for p in (out / "tag").iterdir() if re.fullmatch(r"x[0-9a-f]{10}", p.name)]
    assert len(old) == 1
    redirect = (old[0] / "index.html").read_text(encoding="utf-8")
    assert 'http-equiv="refresh" content="0; url=http://localhost:8000/tag/beijing/"' in redirect


# --- one site, several languages --------------------------------------------------------------------
@pytest.fixture
def bilingual(make_site: Callable[..., Path]) -> Path:
    site = make_site({
        "newsgen.yaml": "title: Geneva Post\nbase_url: https://example.org/\n",
        "content/summit.md": article("Leaders meet in Geneva", slug="summit", body='They said "yes".\n'),
        "content/sommet.md": article("Les dirigeants se retrouvent à Genève", slug="sommet", language="fr",
                                     translation_of="summit", body='Ils ont dit "oui".\n'),
        "content/gipfel.md": article("Treffen in Genf", slug="gipfel", lang="de", translationKey="summit",
                                     body='Sie sagten "ja".\n'),
        "content/alone.md": article("Alone", slug="alone"),
    })
    result = run_newsgen("build", site, "-q")
    assert result.returncode == 0, result.stderr
    return site / "build"


def test_versions_link_each_other_both_ways_with_hreflang(bilingual: Path) -> None:
    urls = {"en": "https://example.org/2021/05/25/summit/", "fr": "https://example.org/2021/05/25/sommet/",
            "de": "https://example.org/2021/05/25/gipfel/"}
    for language, url in urls.items():
        doc = lxml.html.parse(str(bilingual / url.removeprefix("https://example.org/") / "index.html")).getroot()
        links = {link.get("hreflang"): link.get("href") for link in doc.xpath('//link[@rel="alternate"][@hreflang]')}
        assert links == {**urls, "x-default": urls["en"]}, language
        story = css(doc, "story")[0]
        assert story.get("lang") == (None if language == "en" else language)
        visible = css(doc, "translations")[0]
        names = {a.get("hreflang"): a.text_content() for a in visible.xpath(".//a")}
        assert names == {k: v for k, v in {"en": "English", "fr": "Français", "de": "Deutsch"}.items() if k != language}
        assert visible.text_content().startswith("Read in:")
        news = next(json.loads(s.text) for s in doc.xpath('//script[@type="application/ld+json"]')
                    if json.loads(s.text)["@type"] == "NewsArticle")
        assert news["inLanguage"] == language
    sommet = (bilingual / "2021/05/25/sommet/index.html").read_text(encoding="utf-8")
    assert "Ils ont dit «\u00a0oui\u00a0»." in sommet  # the article's own quotation marks
    alone = (bilingual / "2021/05/25/alone/index.html").read_text(encoding="utf-8")
    assert "hreflang" not in alone and 'class="translations"' not in alone


def test_feeds_carry_each_articles_language(bilingual: Path) -> None:
    atom = lxml.etree.parse(str(bilingual / "feed.xml"))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    by_title = {e.findtext("a:title", namespaces=ns): e.get(lang) for e in atom.findall("a:entry", ns)}
    assert by_title["Les dirigeants se retrouvent à Genève"] == "fr" and by_title["Leaders meet in Geneva"] is None
    feed = json.loads((bilingual / "feed.json").read_text(encoding="utf-8"))
    assert {i["title"]: i["language"] for i in feed["items"]}["Treffen in Genf"] == "de"
    rss = (bilingual / "rss.xml").read_text(encoding="utf-8")
    assert "<dc:language>fr</dc:language>" in rss


def test_the_sitemap_lists_alternates_and_validates_against_its_xsds(bilingual: Path) -> None:
    schema = xmlschema.XMLSchema([str(SCHEMAS / "sitemap.xsd"), str(SCHEMAS / "xhtml-link.xsd")])
    schema.validate(str(bilingual / "sitemap.xml"))
    tree = lxml.etree.parse(str(bilingual / "sitemap.xml"))
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    for url in tree.findall("s:url", ns):
        loc = url.findtext("s:loc", namespaces=ns)
        links = {l.get("hreflang"): l.get("href") for l in url.findall("x:link", ns)}
        if loc.endswith(("/summit/", "/sommet/", "/gipfel/")):
            assert set(links) == {"en", "fr", "de", "x-default"} and loc in links.values()
        else:
            assert links == {}
    broken = (bilingual / "sitemap.xml").read_text(encoding="utf-8").replace('hreflang="fr"', 'hreflang="not a tag"')
    assert not schema.is_valid(io.StringIO(broken))  # the schema is no rubber stamp


def test_a_translation_of_an_unknown_slug_is_a_warning(make_site: Callable[..., Path]) -> None:
    site = make_site({"content/a.md": article("A", translation_of="nowhere", language="fr")})
    result = run_newsgen("build", site)
    assert result.returncode == 0
    assert "translation_of 'nowhere' matches no other article's slug" in result.stdout + result.stderr


def test_a_bad_language_tag_is_an_error_with_file_and_line(make_site: Callable[..., Path]) -> None:
    site = make_site({"content/a.md": article("A", language="'français'")})
    result = run_newsgen("build", site)
    assert result.returncode == 1
    assert "content/a.md:4" in result.stderr and "BCP 47" in result.stderr


# --- valid HTML in every language ---------------------------------------------------------------------
@pytest.mark.validator
def test_vnu_reports_no_errors_on_any_page_of_any_language(newsrooms: dict[str, Path], bilingual: Path) -> None:
    pages = [p for out in (*newsrooms.values(), bilingual) for p in sorted(out.rglob("*.html"))]
    run = subprocess.run(["java", "-jar", str(VNU), "--format", "json", "--skip-non-html", *map(str, pages)],
                         capture_output=True, text=True, timeout=600)
    report = json.loads(run.stderr)
    errors = [m for m in report["messages"] if m["type"] in ("error", "non-document-error")]
    assert errors == [], json.dumps(errors, indent=1)[:4000]


@pytest.mark.browser
def test_axe_finds_no_violations_on_the_arabic_site(newsrooms: dict[str, Path],
                                                    static_server: Callable[[Path], str]) -> None:
    from playwright.sync_api import sync_playwright
    from test_browser import AXE, AXE_TAGS, CHROMIUM_ARGS

    out = newsrooms["ar"]
    origin = static_server(out)
    paths = ["/" + p.relative_to(out).as_posix().removesuffix("index.html") for p in sorted(out.rglob("*.html"))
             if 'http-equiv="refresh"' not in p.read_text(encoding="utf-8")]
    failures = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for scheme in ("light", "dark"):
            for path in paths:
                page = browser.new_page(viewport={"width": 390, "height": 844}, color_scheme=scheme)
                page.goto(origin + path, wait_until="load")
                assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
                page.add_script_tag(path=str(AXE))
                failures += [f"{path} [{scheme}] {v}" for v in page.evaluate(
                    """async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations
                         .map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)""", AXE_TAGS)]
                page.close()
        browser.close()
    assert len(paths) > 8 and not failures, "\n".join(failures)


# What assets/search.js writes, as a reader of each newsroom sees it after searching for a word: one
# article found, the filter groups named, and none of the script's English words.
SEARCH_STATUS = {
    "fr": "1 article pour «\u00a0Geneva\u00a0»",
    "de": "1 Artikel zu „Geneva“",
    "ja": "「Geneva」の検索結果：1件の記事",
    "zh": "“Geneva”的搜索结果：1 篇文章",
    "ar": "1 مقال عن ”Geneva“",
}
# The filter groups in the order the theme shows them: sections, topics, authors.
SEARCH_GROUPS = {
    "fr": ["Rubriques", "Thèmes", "Auteurs"],
    "de": ["Ressorts", "Themen", "Autoren"],
    "ja": ["セクション", "トピック", "著者"],
    "zh": ["栏目", "话题", "作者"],
    "ar": ["الأقسام", "المواضيع", "المؤلفون"],
}


@pytest.mark.browser
def test_the_search_page_speaks_the_sites_language(newsrooms: dict[str, Path],
                                                    static_server: Callable[[Path], str]) -> None:
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM_ARGS

    english = re.compile(r"\b(for|No articles|Sections|Topics|Authors|Search could not)\b")
    seen = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for language in SITES:
            page = browser.new_page()
            page.goto(static_server(newsrooms[language]) + "/search/?q=Geneva", wait_until="load")
            page.wait_for_function("document.querySelector('.search-results').children.length > 0")
            status = page.inner_text(".search-status")
            page.click(".search-narrow summary")
            legends = page.eval_on_selector_all(".search-filters legend", "nodes => nodes.map(n => n.textContent)")
            page.fill("#search-q", "zzzqqq")
            page.wait_for_function("document.querySelector('.search-results').children.length === 0")
            seen[language] = (status, legends, page.inner_text(".search-status"))
            page.close()
        browser.close()
    for language, (status, legends, nothing) in seen.items():
        assert not english.search(" ".join([status, *legends, nothing])), (language, status, legends, nothing)
        assert "Geneva" in status and "zzzqqq" in nothing, (language, status, nothing)
        assert status == SEARCH_STATUS[language], (language, status)
        assert len(legends) >= 2, (language, legends)
        assert legends == [name for name in SEARCH_GROUPS[language] if name in legends], (language, legends)
