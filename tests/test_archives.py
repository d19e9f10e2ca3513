"""Archives from other generators build as they are: custom keys kept, typos caught, dates from file names,
and front-matter mistakes explained in words an editor can act on (issues 15 and 16)."""

from __future__ import annotations

import json
from pathlib import Path

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
