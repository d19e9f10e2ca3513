"""Archives from other generators build as they are: custom keys kept, typos caught, dates from file names,
and front-matter mistakes explained in words an editor can act on (issues 15 and 16)."""

from __future__ import annotations

import json
from pathlib import Path

import extruct
import lxml.html
import pytest

from conftest import run_newsgen

# Override one theme partial so a test can read what reached `article.extra`.
EXTRA_PROBE = {"templates/_article_notes.html": '<script type="application/json" id="extra">'
                                                 '{{ article.extra | tojson }}</script>\n'}

ARCHIVE = {
    "newsgen.yaml": "title: Archive\n",
    # Jekyll: a custom key in every post, an offset written as +0530
    "content/_posts/2024-03-06-monsoon-arrives.md":
        "---\ntitle: Monsoon arrives early\ndate: 2024-03-06 07:15:00 +0530\nversion: 2\ntags: [Weather]\n---\nRain.\n",
    "content/_posts/2024-03-07-dams-open.md":
        "---\ntitle: Dams open their gates\ndate: 2024-03-07 08:00:00 +0530\nversion: 3\n---\nWater.\n",
    # Pelican: metadata lines, a custom key, the date only in the file name, Status: skip
    "content/local/2012-11-30_market-reopens.md":
        "Title: Market reopens\nCategory: Local\nWire_Id: AP-77\n\nStalls are back.\n",
    "content/local/old-draft.md": "Title: Never\nDate: 2012-10-30 10:20\nStatus: skip\n\nNo.\n",
    # Hugo TOML with params and a slug written with capitals
    "content/posts/council.md":
        "+++\ntitle = \"Council votes\"\ndate = 2023-11-20T10:00:00-05:00\nslug = \"Council Votes\"\n"
        "math = true\n[params]\nwire = \"HH-1\"\n+++\nThe vote.\n",
    "content/empty.md": "",
    **EXTRA_PROBE,
}


def test_an_archive_builds_with_custom_keys_kept_and_one_line_per_key(make_site, tmp_path: Path) -> None:
    site = make_site(ARCHIVE)
    out = tmp_path / "out"
    result = run_newsgen("build", site, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "version: kept in extra (2 files, e.g. content/_posts/2024-03-06-monsoon-arrives.md:4)" in result.stderr
    assert result.stderr.count("version: kept in extra") == 1
    monsoon = (out / "2024/03/06/monsoon-arrives/index.html").read_text()
    assert "Monsoon arrives early" in monsoon and 'datetime="2024-03-06T01:45:00+00:00"' in monsoon
    assert '"version": "2"' in monsoon
    market = (out / "2012/11/30/market-reopens/index.html").read_text()  # date and slug from the file name
    assert "Market reopens" in market and '"wire_id": "AP-77"' in market
    council = (out / "2023/11/20/council-votes/index.html").read_text()
    assert '"wire": "HH-1"' in council and '"math": "true"' in council
    assert "content/posts/council.md:4: slug: 'Council Votes' is not a URL slug; used 'council-votes'" in result.stderr
    assert not list(out.rglob("never*"))
    assert "skipped content/local/old-draft.md: Pelican Status: skip" in result.stdout
    assert "skipped content/empty.md: empty file" in result.stdout


def test_the_same_archive_under_strict_lists_every_problem(make_site, tmp_path: Path) -> None:
    site = make_site(ARCHIVE)
    result = run_newsgen("build", site, "-o", tmp_path / "out", "--strict")
    assert result.returncode == 1
    for where in ("content/_posts/2024-03-06-monsoon-arrives.md:4: version:",
                  "content/_posts/2024-03-07-dams-open.md:4: version:",
                  "content/local/2012-11-30_market-reopens.md:3: wire_id:",
                  "content/posts/council.md:4: slug:", "content/empty.md:1:"):
        assert where in result.stderr, where
    assert not (tmp_path / "out").exists()


def test_typos_of_known_fields_are_errors_in_both_modes(make_site, tmp_path: Path) -> None:
    site = make_site({"content/a.md": "---\ntitel: Storm\ndate: 2024-01-01\ntag: [x]\nsummmary: s\n---\nBody\n"})
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert result.returncode == 1
    assert "content/a.md:2: titel: unknown field (did you mean 'title'?)" in result.stderr
    assert "content/a.md:4: tag: unknown field (did you mean 'tags'?)" in result.stderr
    assert "content/a.md:5: summmary: unknown field (did you mean 'summary'?)" in result.stderr
    assert "title: is required" not in result.stderr  # the typo is the one problem
    assert not (tmp_path / "out").exists()


def test_a_comment_cut_from_a_headline_is_a_warning(make_site, tmp_path: Path) -> None:
    site = make_site({"content/a.md": "---\ntitle: Local team is #1 again\ndate: 2024-01-01\n---\nBody\n"})
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert result.returncode == 0
    assert ("content/a.md:2: title: the text after '#' is a YAML comment and was dropped; put the headline in "
            'quotes: title: "Local team is #1 again"') in result.stderr
    strict = run_newsgen("build", site, "-o", tmp_path / "strict", "--strict")
    assert strict.returncode == 1 and not (tmp_path / "strict").exists()


def test_yaml_errors_show_the_line_written_in_quotes(make_site, tmp_path: Path) -> None:
    site = make_site({"content/a.md": "---\ntitle: Mayor: we will build the lanes\ndate: 2024-01-01\n---\nBody\n",
                      "content/b.md": "---\ntitle: x\n\tdate: 2024-01-01\n---\nBody\n"})
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert result.returncode == 1
    assert 'content/a.md:2: title: YAML reads \': \' inside a value as the start of another field; put the ' \
           'headline in quotes: title: "Mayor: we will build the lanes"' in result.stderr
    assert "content/b.md:3: the line is indented with a tab" in result.stderr


def test_authors_on_one_line_are_split_unless_quoted(make_site, tmp_path: Path) -> None:
    site = make_site({"content/a.md": "---\ntitle: A\ndate: 2024-01-01\nauthor: Jane Doe, John Smith\n---\nB\n",
                      "content/b.md": "---\ntitle: B\ndate: 2024-01-02\nauthor: \"Doe, Jane\"\n---\nB\n"})
    out = tmp_path / "out"
    assert run_newsgen("build", site, "-o", out).returncode == 0
    data = json.loads((out / "feed.json").read_text())
    by_title = {item["title"]: [a["name"] for a in item["authors"]] for item in data["items"]}
    assert by_title == {"A": ["Jane Doe", "John Smith"], "B": ["Doe, Jane"]}


def test_a_placeholder_body_left_unchanged_is_a_warning(make_site, tmp_path: Path) -> None:
    site = make_site({"content/a.md": "---\ntitle: A\ndate: 2024-01-01\n---\nWrite the story here.\n"})
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert result.returncode == 0 and "content/a.md:5: body: the body is still the placeholder" in result.stderr


# One sample archive per dialect, written the way each generator's own projects are laid out, with the
# custom keys real archives carry. Expected: what each article page shows and what its JSON-LD says.
JEKYLL = {
    "_config.yml": "title: Mumbai Desk\ntimezone: Asia/Kolkata\n"
                   "permalink: /:categories/:year/:month/:day/:title:output_ext\n",
    "newsgen.yaml": "title: Mumbai Desk\nbase_url: https://example.org/\ntimezone: Asia/Kolkata\n"
                    "permalink: \"{categories}/{year}/{month}/{day}/{slug}.html\"\n",  # Jekyll's default
    "_posts/2024-03-06-monsoon-arrives.md":
        "---\nlayout: post\ntitle: \"Monsoon arrives a week early\"\ndate: 2024-03-06 07:15:00 +0530\n"
        "categories: weather mumbai\ntags: [Monsoon, Rain]\nauthor: Priya Nair\nversion: 2\ncomments: true\n---\n"
        "Rain reached the coast at dawn.\n",
    "_posts/2024-03-07-dams-open.markdown":
        "---\nlayout: post\ntitle: Dams open their gates\ndate: 2024-03-07 18:40:00 +0530\ncategory: Local\n"
        "tags: dams water\nversion: 3\nimage_credit: PTI\n---\nWater was released at six.\n",
    # filed from New York: the instant is kept, shown in the site's zone
    "news/_posts/2024-03-08-port-strike.md":
        "---\nlayout: post\ntitle: Port workers end their strike\ndate: 2024-03-08 09:00:00 -0400\n"
        "tags: [Port, Labour]\n---\nThe cranes moved again.\n",
    "_posts/2024-03-09-heatwave.md": "---\nlayout: post\ntitle: Heatwave warning\n---\nStay indoors.\n",
    **EXTRA_PROBE,
}
HUGO = {
    "hugo.toml": "baseURL = 'https://example.org/'\ntitle = 'Harbour Herald'\n"
                 "[markup.goldmark.extensions.passthrough]\nenable = true\n",
    "newsgen.yaml": "title: Harbour Herald\nbase_url: https://example.org/\ntimezone: America/New_York\n"
                    "permalink: posts/{slug}/\n",
    "content/posts/tide-tables.md":
        "---\ntitle: \"Tide tables: why the harbour floods twice a day\"\ndate: 2024-03-04T09:30:00-05:00\n"
        "draft: false\ncategories:\n  - Science\ntags: [\"Tides\", \"Harbour\"]\nmath: true\naliases:\n"
        "  - /2024/03/tides/\n  - /science/tide-tables.html\n  - tides-explained\nparams:\n  wire_id: HH-0101\n---\n"
        "The height is $h(t) = A \\cos(\\omega t)$.\n<!--more-->\nThe moon pulls the water.\n",
    "content/news/council.md":
        "+++\ntitle = 'Council votes on the ferry'\ndate = 2024-03-06T18:00:00-05:00\ncategories = ['Local']\n"
        "tags = ['Council', 'Ferry']\nmath = true\naliases = ['/2024/03/council/', '../local/council-vote']\n[params]\n  wire_id = 'HH-0102'\n"
        "  subtitle = 'A late session'\n+++\nThe vote was 7 to 2.\n",
    "content/news/harbour-lights.md":
        '{\n  "title": "Harbour lights switch to LED",\n  "date": "2024-03-08T20:00:00+01:00",\n'
        '  "categories": ["Local"],\n  "tags": ["Harbour"],\n  "aliases": ["/2024/03/lights/"],\n'
        '  "params": {"math": true, "wire_id": "HH-0103"}\n}\nThe lamps went on at dusk.\n',
    "content/about.md": "---\ntitle: About the Herald\n---\nWe are a newsroom.\n",
    **EXTRA_PROBE,
}
PELICAN = {
    "pelicanconf.py": "SITENAME = 'Harbour Herald'\nTIMEZONE = 'Europe/Paris'\n",
    "newsgen.yaml": "title: Harbour Herald\nbase_url: https://example.org/\ntimezone: Europe/Paris\n"
                    "permalink: \"{slug}.html\"\n",
    # the date only in the file name; the first line a custom key
    "content/2012-11-30_market-reopens.md":
        "Wire_Id: AP-77\nTitle: Market reopens after the fire\nCategory: Local\nTags: markets, stalls\n"
        "Author: Marie Curie\nSummary: Stalls are back on the square.\n\nStalls are back.\n",
    # no Category: the folder is the category; semicolons separate tags that contain commas
    "content/harbour/ferry-strike.md":
        "Title: Ferry strike ends\nDate: 2012-12-02 10:20\nModified: 2012/12/03\nSlug: Ferry Strike Ends\n"
        "Tags: ferry; strike, labour\nWire_Id: AP-78\nSource_Desk: Brest\n\nThe ferries sail again.\n",
    # its custom key is published nowhere, so it is not counted, nor an error under --strict
    "content/old-draft.md": "Title: Never published\nDate: 2012-10-30 10:20\nStatus: skip\nWire_Id: AP-1\n\nNo.\n",
    "content/pages/about.md": "Title: About us\n\nWe are a newsroom.\n",
    **EXTRA_PROBE,
}
ARCHIVES = {"jekyll": JEKYLL, "hugo": HUGO, "pelican": PELICAN}

# dialect -> page -> (headline, datePublished, section, tags, what reached article.extra)
EXPECTED = {
    "jekyll": {
        "weather/mumbai/2024/03/06/monsoon-arrives.html": ("Monsoon arrives a week early", "2024-03-06T07:15:00+05:30",
                                                    ["weather", "mumbai"], ["Monsoon", "Rain"],
                                                    {"layout": "post", "version": "2", "comments": "true"}),
        "local/2024/03/07/dams-open.html": ("Dams open their gates", "2024-03-07T18:40:00+05:30", ["Local"],
                                            ["dams", "water"],
                                            {"layout": "post", "version": "3"}),  # image_credit: a field (photos)
        "news/2024/03/08/port-strike.html": ("Port workers end their strike", "2024-03-08T18:30:00+05:30", ["news"],
                                             ["Port", "Labour"], {"layout": "post"}),
        # no categories: no folder for them, as in Jekyll; the date from the file name is a calendar day
        "2024/03/09/heatwave.html": ("Heatwave warning", "2024-03-09T00:00:00+05:30", [], [], {"layout": "post"}),
    },
    "hugo": {
        "posts/tide-tables/index.html": ("Tide tables: why the harbour floods twice a day",
                                         "2024-03-04T09:30:00-05:00", ["Science"], ["Tides", "Harbour"],
                                         {"math": "true", "wire_id": "HH-0101"}),
        "posts/council/index.html": ("Council votes on the ferry", "2024-03-06T18:00:00-05:00", ["Local"],
                                     ["Council", "Ferry"],
                                     {"math": "true", "wire_id": "HH-0102", "subtitle": "A late session"}),
        "posts/harbour-lights/index.html": ("Harbour lights switch to LED", "2024-03-08T14:00:00-05:00", ["Local"],
                                            ["Harbour"], {"math": "true", "wire_id": "HH-0103"}),
    },
    "pelican": {
        "market-reopens.html": ("Market reopens after the fire", "2012-11-30T00:00:00+01:00", ["Local"],
                                ["markets", "stalls"], {"wire_id": "AP-77"}),
        "ferry-strike-ends.html": ("Ferry strike ends", "2012-12-02T10:20:00+01:00", ["harbour"],
                                   ["ferry", "strike, labour"], {"wire_id": "AP-78", "source_desk": "Brest"}),
    },
}
# dialect -> every warning line of the build, in order: one line per custom key name, none for the
# other generator's own keys (layout, comments, params)
WARNINGS = {
    "jekyll": ["version: kept in extra (2 files, e.g. _posts/2024-03-06-monsoon-arrives.md:8)"],
    "hugo": ["math: kept in extra (2 files, e.g. content/news/council.md:6)"],
    "pelican": ["content/harbour/ferry-strike.md:4: slug: 'Ferry Strike Ends' is not a URL slug; used "
                "'ferry-strike-ends' (a slug is lower-case letters, digits and hyphens)",
                "source_desk: kept in extra (1 file, e.g. content/harbour/ferry-strike.md:7)",
                "wire_id: kept in extra (2 files, e.g. content/2012-11-30_market-reopens.md:1)"],
}
# dialect -> every error line under --strict
STRICT = {
    "jekyll": ["_posts/2024-03-06-monsoon-arrives.md:8: version: warning: kept in extra (--strict)",
               "_posts/2024-03-07-dams-open.markdown:7: version: warning: kept in extra (--strict)"],
    "hugo": ["content/news/council.md:6: math: warning: kept in extra (--strict)",
             "content/posts/tide-tables.md:8: math: warning: kept in extra (--strict)"],
    "pelican": ["content/2012-11-30_market-reopens.md:1: wire_id: warning: kept in extra (--strict)",
                "content/harbour/ferry-strike.md:6: wire_id: warning: kept in extra (--strict)",
                "content/harbour/ferry-strike.md:7: source_desk: warning: kept in extra (--strict)",
                "content/harbour/ferry-strike.md:4: slug: warning: 'Ferry Strike Ends' is not a URL slug; used "
                "'ferry-strike-ends' (--strict)"],
}


def prefixed(stream: str, prefix: str) -> list[str]:
    return [line[len(prefix):] for line in stream.splitlines() if line.startswith(prefix)]


def page_and_json_ld(path: Path) -> tuple[dict[str, object], dict[str, object]]:
    """What a reader sees of an article page, and its NewsArticle as a search engine's parser reads it."""
    text = path.read_text("utf-8")
    doc = lxml.html.fromstring(text)
    shown = {
        "headline": " ".join(doc.xpath("//h1")[0].text_content().split()),
        "published": doc.xpath("//div[@class='byline']//time/@datetime")[0],
        # the kicker is the first category; an article in more than one lists them all in its footer
        "categories": ([a.text_content() for a in doc.xpath("//ul[contains(@class, 'section-list')]//a")]
                       or [" ".join(k.text_content().split()) for k in doc.xpath("//p[@class='kicker']")[:1]]),
        "tags": [a.text_content() for a in doc.xpath("//ul[@class='tags']//a")],
        "extra": json.loads(doc.xpath("//script[@id='extra']/text()")[0]),
    }
    found = extruct.extract(text, syntaxes=["json-ld"], uniform=True)["json-ld"]
    news = [item for item in found if item["@type"] == "NewsArticle"]
    assert len(news) == 1, found
    return shown, news[0]


@pytest.mark.parametrize("dialect", ARCHIVES)
def test_each_dialect_builds_with_headline_date_and_terms_on_the_page_and_in_json_ld(
        dialect: str, make_site, tmp_path: Path) -> None:
    site = make_site(ARCHIVES[dialect])
    out = tmp_path / "out"
    result = run_newsgen("build", site, "-o", out)
    assert result.returncode == 0, result.stderr
    assert prefixed(result.stderr, "warning: ") == WARNINGS[dialect]
    for page, (headline, published, categories, tags, extra) in EXPECTED[dialect].items():
        shown, news = page_and_json_ld(out / page)
        assert shown == {"headline": headline, "published": published, "categories": categories, "tags": tags,
                         "extra": extra}, page
        section = news.get("articleSection", [])
        assert (news["headline"], news["datePublished"], section if isinstance(section, list) else [section],
                news.get("keywords", [])) == (headline, published, categories, tags), page
        assert "&lt;!" not in (out / page).read_text("utf-8"), page  # Hugo's <!--more--> is not shown as text
    articles = {p.relative_to(out).as_posix() for p in out.rglob("*.html")
                if p.read_text("utf-8").count('"@type": "NewsArticle"')}
    assert articles == set(EXPECTED[dialect])  # no other file became an article, none went missing


def test_skipped_files_are_named_in_the_summary(make_site, tmp_path: Path) -> None:
    hugo = run_newsgen("build", make_site(HUGO), "-o", tmp_path / "hugo")
    assert "skipped content/about.md: page (Hugo page without a date)" in hugo.stdout
    pelican = run_newsgen("build", make_site(PELICAN), "-o", tmp_path / "pelican")
    assert "skipped content/old-draft.md: Pelican Status: skip" in pelican.stdout
    assert "skipped content/pages/about.md: page (Pelican pages/ folder)" in pelican.stdout
    assert not list((tmp_path / "pelican").rglob("never*")) and not list((tmp_path / "pelican").rglob("about*"))


def test_hugo_aliases_redirect_from_the_old_urls(make_site, tmp_path: Path) -> None:
    """Site-relative and, as Hugo reads them, page-relative aliases (`tides-explained` in
    content/posts/ is /posts/tides-explained/; `../local/council-vote` in content/news/ is /local/council-vote/)."""
    out = tmp_path / "out"
    assert run_newsgen("build", make_site(HUGO), "-o", out).returncode == 0
    for old, new in (("2024/03/tides/index.html", "posts/tide-tables/"),
                     ("science/tide-tables.html", "posts/tide-tables/"),
                     ("posts/tides-explained/index.html", "posts/tide-tables/"),
                     ("2024/03/council/index.html", "posts/council/"),
                     ("local/council-vote/index.html", "posts/council/"),
                     ("2024/03/lights/index.html", "posts/harbour-lights/")):
        doc = lxml.html.fromstring((out / old).read_bytes())
        target = f"https://example.org/{new}"
        assert doc.xpath("//meta[@http-equiv='refresh']/@content") == [f"0; url={target}"], old
        assert doc.xpath("//link[@rel='canonical']/@href") == [target], old
        assert doc.xpath("//meta[@name='robots']/@content") == ["noindex"], old
        assert (out / new / "index.html").is_file()
    assert not (out / "tides-explained").exists()  # not at the site's root


def test_relative_aliases_are_from_the_root_outside_hugo_projects(make_site, tmp_path: Path) -> None:
    site = make_site({"content/news/a.md": "---\ntitle: A\ndate: 2024-01-01\naliases: [old-a]\n---\nA\n"})
    assert run_newsgen("build", site, "-o", tmp_path / "out").returncode == 0
    assert (tmp_path / "out/old-a/index.html").is_file() and not (tmp_path / "out/news").exists()


@pytest.mark.parametrize("dialect", ARCHIVES)
def test_each_dialect_under_strict_lists_every_problem_with_file_and_line(
        dialect: str, make_site, tmp_path: Path) -> None:
    result = run_newsgen("build", make_site(ARCHIVES[dialect]), "-o", tmp_path / "out", "--strict")
    assert result.returncode == 1
    assert prefixed(result.stderr, "error: ") == STRICT[dialect]
    assert f"newsgen build: {len(STRICT[dialect])} problems; nothing was written" in result.stderr
    assert not (tmp_path / "out").exists()


TYPOS = {
    "jekyll": ({"_posts/2024-03-06-storm.md": "---\nlayout: post\ntitel: Storm\ncatgories: weather\n---\nB\n"},
               ["_posts/2024-03-06-storm.md:3: titel: unknown field (did you mean 'title'?)",
                "_posts/2024-03-06-storm.md:4: catgories: unknown field (did you mean 'categories'?)"]),
    "hugo-yaml": ({"hugo.toml": "title = 'H'\n",
                   "content/posts/storm.md": "---\ntitle: Storm\ndate: 2024-03-06\nsummmary: s\nalises: [/a/]\n"
                                             "---\nB\n"},
                  ["content/posts/storm.md:4: summmary: unknown field (did you mean 'summary'?)",
                   "content/posts/storm.md:5: alises: unknown field (did you mean 'aliases'?)"]),
    "hugo-toml": ({"hugo.toml": "title = 'H'\n",
                   "content/posts/storm.md": "+++\ntitle = 'Storm'\ndate = 2024-03-06\ntag = ['x']\n"
                                             "lastmdo = 2024-03-07\n+++\nB\n"},
                  ["content/posts/storm.md:4: tag: unknown field (did you mean 'tags'?)",
                   "content/posts/storm.md:5: lastmdo: unknown field (did you mean 'lastmod'?)"]),
    "hugo-json": ({"hugo.toml": "title = 'H'\n",
                   "content/posts/storm.md": '{\n  "title": "Storm",\n  "date": "2024-03-06",\n  "draf": false\n}\n'
                                             'B\n'},
                  ["content/posts/storm.md:4: draf: unknown field (did you mean 'draft'?)"]),
    # the misspelt key on the first line: still read as Pelican metadata, not left out as "no front matter"
    "pelican": ({"content/2024-03-06_storm.md": "Tittle: Storm\nCatgory: Weather\n\nB\n"},
                ["content/2024-03-06_storm.md:1: tittle: unknown field (did you mean 'title'?)",
                 "content/2024-03-06_storm.md:2: catgory: unknown field (did you mean 'category'?)"]),
}


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
@pytest.mark.parametrize("dialect", TYPOS)
def test_typos_of_known_fields_are_errors_in_every_dialect_and_mode(dialect: str, strict: bool, make_site,
                                                                     tmp_path: Path) -> None:
    files, errors = TYPOS[dialect]
    result = run_newsgen("build", make_site(files), "-o", tmp_path / "out", *(["--strict"] if strict else []))
    assert result.returncode == 1, result.stdout
    assert prefixed(result.stderr, "error: ") == errors
    assert not (tmp_path / "out").exists()


def test_a_pelican_head_needs_one_of_pelicans_keys(make_site, tmp_path: Path) -> None:
    """A body that opens with a `Note: …` line is not metadata; a head that opens with a custom key is."""
    site = make_site({"content/note.md": "Note: the meeting moved\n\nIt is on Tuesday.\n",
                      "content/2024-03-06_wire.md": "Wire_Id: AP-9\nTitle: Wire story\n\nB\n"})
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "skipped content/note.md: no front matter" in result.stdout
    assert (tmp_path / "out/2024/03/06/wire/index.html").is_file()


def test_html_comments_never_reach_readers(make_site, tmp_path: Path) -> None:
    """Hugo's `<!--more-->` summary divider and an editor's note are hidden, as every generator hides them;
    a comment written as code is shown as code."""
    site = make_site({
        "content/tides.md": "---\ntitle: Tides\ndate: 2024-03-04\n---\nThe harbour floods twice a day.\n"
                            "<!--more-->\nThe moon pulls the water.\n\n<!-- note to desk: check the figures\n"
                            "with the port office -->\nHigh tide is at noon <!-- TK -->today.\n\n"
                            "Hugo's divider is `<!--more-->`.\n\n```\n<!-- kept -->\n```\n"})
    out = tmp_path / "out"
    assert run_newsgen("build", site, "-o", out).returncode == 0
    page = (out / "2024/03/04/tides/index.html").read_text("utf-8")
    doc = lxml.html.fromstring(page)
    body = doc.xpath("//div[contains(@class, 'story-body')]")[0]
    assert [" ".join(p.text_content().split()) for p in body.xpath("p")] == [
        "The harbour floods twice a day.", "The moon pulls the water.", "High tide is at noon today.",
        "Hugo\u2019s divider is <!--more-->."]
    assert body.xpath("p/code/text()") == ["<!--more-->"] and body.xpath("pre/code/text()") == ["<!-- kept -->\n"]
    assert "note to desk" not in page and "TK" not in page
    news = extruct.extract(page, syntaxes=["json-ld"], uniform=True)["json-ld"][0]
    lead = "The harbour floods twice a day. The moon pulls the water. High tide is at noon today. "
    assert news["description"].startswith(lead)
    assert doc.xpath("//meta[@name='description']/@content")[0].startswith(lead)


def test_jekyll_categories_placeholder_is_every_category_as_jekyll_writes_it(make_site, tmp_path: Path) -> None:
    """`:categories` is each category a folder, or none; the old Jekyll URL is kept, not moved to the first one."""
    site = make_site({
        "_posts/2024-01-02-port-opens.md": "---\ntitle: The port opens\ncategories: [News, Local]\n"
                                           "permalink: /:categories/:year/:title:output_ext\n---\nB\n",
        "_posts/2024-01-03-quiet-day.md": "---\ntitle: A quiet day\npermalink: /:categories/:year/:title:output_ext\n"
                                          "---\nB\n"})
    out = tmp_path / "out"
    result = run_newsgen("build", site, "-o", out)
    assert result.returncode == 0, result.stderr
    assert (out / "news/local/2024/port-opens.html").is_file() and (out / "2024/quiet-day.html").is_file()
    bad = make_site({"newsgen.yaml": "title: T\npermalink: \"{sections}/{slug}/\"\n"})
    result = run_newsgen("build", bad, "-o", tmp_path / "bad")
    assert result.returncode != 0
    assert "use categories, category, day, month, slug, year" in result.stderr
