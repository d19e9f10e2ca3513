"""Incremental builds (cache.py, parallel rendering) give exactly the bytes of a clean build."""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newsgen import build as build_module
from newsgen import background
from newsgen.background import START_METHOD, threads
from newsgen.build import PARALLEL_MIN, BuildOptions, BuildResult, build
from newsgen.errors import ContentError
from newsgen.cache import cache_dir

from conftest import article, build_files, run_newsgen

NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)
CATEGORIES = ["World", "Politics", "Science", "Culture"]
TAGS = ["Zürich", "Energy", "Courts", "Москва", "Elections", "Rail", "Space", "AI", "Farming"]
START_METHODS = [m for m in ("fork", "forkserver", "spawn") if m in multiprocessing.get_all_start_methods()]
COUNT = PARALLEL_MIN + 16  # enough work that the parallel path runs on a clean build


def story(number: int, tags: list[str] | None = None, body: str | None = None) -> str:
    chosen = tags if tags is not None else [TAGS[(number * k) % len(TAGS)] for k in (1, 2, 5)]
    text = body or (f"Paragraph *{number}* with a [link](https://example.org/{number}/) and \"quotes\".\n\n"
                    f"## Details\n\n- first point {number}\n- second point\n\n> Said someone, {number}.\n")
    return article(f"Story number {number}", f"2023-{1 + number % 12:02d}-{1 + number % 28:02d}T{number % 24:02d}:00:00+00:00",
                   text, categories=[CATEGORIES[number % len(CATEGORIES)]], tags=list(dict.fromkeys(chosen)))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a build folder, names and contents (what Pagefind does not keep stable aside)."""
    return build_files(folder)


def clean_build(site: Path, folder: Path, **options: object) -> dict[str, bytes]:
    output = folder / "build"
    build(site, BuildOptions(output=output, **({"now": NOW} | options)))  # type: ignore[arg-type]
    assert not cache_dir(output).exists() or options.get("cache", True)
    return snapshot(output)


@pytest.fixture
def site(make_site) -> Path:
    files = {"newsgen.yaml": "title: Incremental Times\nbase_url: https://example.org/\ntimezone: UTC\n"}
    files |= {f"content/2023/story-{n:03d}.md": story(n) for n in range(COUNT)}
    return make_site(files)


@pytest.mark.parametrize("method", START_METHODS)
def test_parallel_and_serial_builds_are_identical(site: Path, tmp_path: Path, monkeypatch, method: str) -> None:
    """Under every start method the workers parse and render what a serial build does, byte for byte:
    they get everything through the pool's initializer, pickled for forkserver and spawn."""
    serial = clean_build(site, tmp_path / "serial", jobs=1, cache=False)
    monkeypatch.setenv(START_METHOD, method)
    steps = []
    real_run = build_module._run

    def run(work, items, workers, chosen, step, progress, chunk_size=None):  # type: ignore[no-untyped-def]
        steps.append((step, workers, chosen))
        return real_run(work, items, workers, chosen, step, progress, chunk_size)

    monkeypatch.setattr(build_module, "_run", run)
    parallel = clean_build(site, tmp_path / "parallel", jobs=2)
    assert serial == parallel
    assert any(path.endswith("index.html") for path in serial)
    assert steps == [("articles", 2, method), ("pages", 2, method)]  # both steps ran in two workers


def test_incremental_rebuilds_match_clean_builds_byte_for_byte(site: Path, tmp_path: Path) -> None:
    output = tmp_path / "incremental" / "build"

    def incremental() -> BuildResult:
        return build(site, BuildOptions(output=output, now=NOW))

    first = incremental()
    assert first.parsed == COUNT
    again = incremental()
    assert (again.parsed, again.rendered, again.written) == (0, 0, 0)  # nothing changed: nothing redone

    content = site / "content" / "2023"
    theme_article = Path(__import__("newsgen").__file__).parent / "theme" / "templates" / "article.html"
    steps = [
        ("put a stray file into the build folder", lambda: (output / "stray.html").write_text("not ours")),
        ("delete a file from the build folder", lambda: (output / "tags" / "index.html").unlink()),
        ("edit a body", lambda: (content / "story-005.md").write_text(story(5, body="A rewritten body.\n"))),
        ("delete an article", lambda: (content / "story-010.md").unlink()),
        ("add an article", lambda: (content / "story-999.md").write_text(story(999))),
        # Read by every page through template globals (the section menu, the 404 page's latest list),
        # not through any page's own data:
        ("add the newest article, in a new section", lambda: (content / "story-998.md").write_text(article(
            "The newest story", "2024-05-31T12:00:00+00:00", "Fresh.\n", categories=["Brand new section"]))),
        ("change tags", lambda: (content / "story-020.md").write_text(story(20, tags=["Brand new tag", "AI"]))),
        ("change a template", lambda: (site / "templates").mkdir() or (site / "templates" / "article.html").write_text(
            theme_article.read_text(encoding="utf-8").replace("</article>", "<p>Corrections welcome.</p></article>"))),
        ("add a static file", lambda: (site / "static").mkdir() or (site / "static" / "extra.css").write_text("a{}\n")),
        ("change a static file", lambda: (site / "static" / "extra.css").write_text("a{color:red}\n")),
        ("change the config", lambda: (site / "newsgen.yaml").write_text(
            "title: Renamed Times\nbase_url: https://example.org/news/\ntimezone: Europe/Zurich\n")),
    ]
    for number, (name, change) in enumerate(steps):
        change()
        result = incremental()
        expected = clean_build(site, tmp_path / f"clean-{number}")
        assert snapshot(output) == expected, f"after '{name}' the incremental build differs from a clean one"
        if name == "edit a body":
            assert result.parsed == 1
            assert 0 < result.rendered < sum(result.pages_by_kind.values()) / 2
            assert "2023/06/06/story-number-5/index.html" in result.changed


def test_a_damaged_cache_costs_time_not_correctness(site: Path, tmp_path: Path) -> None:
    output = tmp_path / "out" / "build"
    build(site, BuildOptions(output=output, now=NOW))
    cache = cache_dir(output)
    for path in cache.rglob("*"):
        if path.is_file():
            path.write_bytes(b"\x80garbage")
    result = build(site, BuildOptions(output=output, now=NOW))
    assert result.parsed == COUNT
    assert snapshot(output) == clean_build(site, tmp_path / "clean")


def _cut_the_index(data: bytes) -> bytes:
    return data[:40]


def _cut_the_last_entry(data: bytes) -> bytes:
    return data[:-100]


def _change_one_letter_of_one_article(data: bytes) -> bytes:
    # Inside a pickled string: without a check of every byte this would still unpickle, into wrong HTML.
    at = data.index(b"Paragraph <em>7</em>")
    return data[:at] + b"Paragraqh" + data[at + len(b"Paragraph"):]


def forget_last_build(output: Path) -> None:
    """Drop the memo of the last build, which would recognise an unchanged site without reading the pack."""
    (cache_dir(output) / "build.pickle").unlink()


@pytest.mark.parametrize("damage", [_cut_the_index, _cut_the_last_entry, _change_one_letter_of_one_article])
def test_a_damaged_article_pack_means_a_clean_build(site: Path, tmp_path: Path, damage) -> None:
    output = tmp_path / "out" / "build"
    build(site, BuildOptions(output=output, now=NOW))
    pack = cache_dir(output) / "articles.pack"
    pack.write_bytes(damage(pack.read_bytes()))
    forget_last_build(output)
    result = build(site, BuildOptions(output=output, now=NOW))
    assert result.parsed == COUNT and len(result.notes) == 1 and "articles.pack" in result.notes[0]
    assert snapshot(output) == clean_build(site, tmp_path / "clean")
    forget_last_build(output)
    assert build(site, BuildOptions(output=output, now=NOW)).parsed == 0  # the pack was written whole again


def test_a_pack_written_by_another_newsgen_is_never_read(site: Path, tmp_path: Path, monkeypatch) -> None:
    import newsgen.build

    output = tmp_path / "out" / "build"
    build(site, BuildOptions(output=output, now=NOW))
    monkeypatch.setattr(newsgen.build, "__version__", "0.0.0-another")
    assert build(site, BuildOptions(output=output, now=NOW)).parsed == COUNT


def test_the_article_pack_holds_one_sites_worth_and_is_rewritten_only_on_change(site: Path, tmp_path: Path) -> None:
    output = tmp_path / "out" / "build"
    cache = cache_dir(output)
    (cache / "articles").mkdir(parents=True)  # the store of earlier versions, one file per article
    (cache / "articles" / ("0" * 64)).write_bytes(b"an entry of the old store")
    build(site, BuildOptions(output=output, now=NOW))
    assert not (cache / "articles").exists()
    pack = cache / "articles.pack"
    before = pack.stat()
    forget_last_build(output)
    assert build(site, BuildOptions(output=output, now=NOW)).parsed == 0
    assert (pack.stat().st_ino, pack.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    for number in range(COUNT):  # every entry replaced: the old ones must go
        (site / "content" / "2023" / f"story-{number:03d}.md").write_text(story(number, body=f"Body {number}, new.\n"))
    assert build(site, BuildOptions(output=output, now=NOW)).parsed == COUNT
    assert pack.stat().st_size < before.st_size
    assert sorted(p.name for p in cache.iterdir()) == ["analysis.pickle", "articles.pack", "build.pickle",
                                                       "groups.pickle", "pages.pickle", "related.pickle",
                                                       "search.json", "served.stats", "spare", "spare.stats",
                                                       "templates"]


def folders(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_dir())


def edit_one_story_without_writing_into_the_served_files(site: Path, output: Path, tmp_path: Path) -> BuildResult:
    """Rewrite one story and build; a second name for every served file shows any write into them."""
    witness = tmp_path / "witness"
    shutil.copytree(output, witness, copy_function=os.link)
    before = snapshot(witness)
    (site / "content" / "2023" / "story-005.md").write_text(story(5, body="A rewritten body.\n"))
    result = build(site, BuildOptions(output=output, now=NOW))
    assert result.parsed == 1
    assert snapshot(witness) == before
    return result


def test_the_first_changed_build_after_a_cold_one_starts_from_the_served_files_and_never_writes_into_them(
        site: Path, tmp_path: Path) -> None:
    """With no spare tree yet, the staging folder starts as hard links to the served files: exactly those
    the served manifest vouches for, and no stray, kept entry, manifest or empty folder."""
    (site / "newsgen.yaml").write_text("title: Incremental Times\nbase_url: https://example.org/\ntimezone: UTC\n"
                                       "keep: [CNAME]\n")
    output = tmp_path / "incremental" / "build"
    build(site, BuildOptions(output=output, now=NOW))
    assert build(site, BuildOptions(output=output, now=NOW)).written == 0  # nothing swapped: no spare yet
    assert not (cache_dir(output) / "spare").exists()
    (output / "CNAME").write_text("news.example.org\n")
    (output / "stray.html").write_text("not ours")
    (output / "stray-folder" / "deeper").mkdir(parents=True)
    result = edit_one_story_without_writing_into_the_served_files(site, output, tmp_path)
    assert 0 < result.rendered < sum(result.pages_by_kind.values()) / 2
    clean = tmp_path / "clean"
    assert snapshot(output) == clean_build(site, clean) | {"CNAME": b"news.example.org\n"}
    assert folders(output) == folders(clean / "build")


@pytest.mark.skipif(not background.BACKGROUND, reason="the served files are linked ahead only where Background forks")
def test_links_made_for_a_build_that_then_finds_everything_current_become_the_spare(site: Path,
                                                                                    tmp_path: Path) -> None:
    """A changed build links the served files in the background (write.Staging.prepare) before it knows
    whether anything changed. When nothing did, those links are kept as the next build's spare tree,
    which must vouch for exactly the served files and never let a later build write into them."""
    output = tmp_path / "incremental" / "build"
    build(site, BuildOptions(output=output, now=NOW))
    forget_last_build(output)  # so the build cannot stop early: it links, plans, and finds every page current
    assert build(site, BuildOptions(output=output, now=NOW)).written == 0
    spare = cache_dir(output) / "spare"
    assert snapshot(spare) == snapshot(output)
    assert sorted(p.name for p in output.parent.iterdir()) == [".build.newsgen-cache", "build"]  # no staging left
    result = edit_one_story_without_writing_into_the_served_files(site, output, tmp_path)
    assert 0 < result.written < sum(result.pages_by_kind.values()) / 2
    assert snapshot(output) == clean_build(site, tmp_path / "clean")


def test_a_build_that_fails_while_linking_the_served_files_leaves_no_trace(site: Path, tmp_path: Path) -> None:
    output = tmp_path / "incremental" / "build"
    build(site, BuildOptions(output=output, now=NOW))
    before = snapshot(output)
    (site / "content" / "2023" / "story-005.md").write_text("---\ntitle: [unclosed\n---\nBody.\n")
    with pytest.raises(ContentError):
        build(site, BuildOptions(output=output, now=NOW))
    assert snapshot(output) == before
    assert sorted(p.name for p in output.parent.iterdir()) == [".build.newsgen-cache", "build"]
    assert not (cache_dir(output) / "spare").exists()


def test_progress_is_shown_on_a_terminal_and_never_with_quiet_or_a_pipe(site: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    def stderr_on_terminal(*args: str) -> str:
        controller, terminal = pty.openpty()
        process = subprocess.run([sys.executable, "-m", "newsgen", "build", str(site), *args],
                                 stdout=subprocess.DEVNULL, stderr=terminal, timeout=300)
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal is closed once everything was read
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(controller)
        assert process.returncode == 0
        return b"".join(chunks).decode()

    shown = stderr_on_terminal("-o", str(site / "out-a"))
    assert f"articles: {COUNT}/{COUNT} (100%)" in shown and "pages: " in shown
    assert shown.endswith("\r\x1b[K")  # the line is cleared before the summary
    assert stderr_on_terminal("-q", "-o", str(site / "out-b")) == ""
    piped = subprocess.run([sys.executable, "-m", "newsgen", "build", str(site), "-o", str(site / "out-c")],
                           capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and piped.stderr == ""
    assert f"{COUNT} article files parsed" in piped.stdout


def test_problems_found_by_workers_are_reported_as_a_serial_build_reports_them(site: Path, tmp_path: Path) -> None:
    from newsgen.errors import ContentError

    (site / "content" / "2023" / "story-003.md").write_text("---\ntitle: No date\n---\nBody.\n")
    (site / "content" / "2023" / "story-040.md").write_text(story(40).replace("date:", "date: tomorrow\nextra_date:"))
    messages = []
    for jobs in (1, 2):
        with pytest.raises(ContentError) as caught:
            build(site, BuildOptions(output=tmp_path / f"jobs{jobs}" / "build", now=NOW, jobs=jobs))
        messages.append([str(problem) for problem in caught.value.problems])
    assert messages[0] == messages[1]
    assert any("story-003.md" in m and "date" in m for m in messages[0])
    assert any("story-040.md" in m for m in messages[0])

    (site / "content" / "2023" / "story-003.md").write_text(story(3))
    (site / "content" / "2023" / "story-040.md").write_text(story(40))
    (site / "templates").mkdir()
    (site / "templates" / "article.html").write_text("{% extends 'base.html' %}{% block main %}{{ article.nope.deeper }}{% endblock %}")
    for jobs in (1, 2):
        with pytest.raises(ContentError) as caught:
            build(site, BuildOptions(output=tmp_path / f"t{jobs}" / "build", now=NOW, jobs=jobs))
        assert len(caught.value.problems) == 1  # one template bug, reported once, not once per page
        assert "templates/article.html" in str(caught.value.problems[0])
        assert not (tmp_path / f"t{jobs}" / "build").exists()  # nothing was written


def test_a_template_that_reads_deep_into_the_section_menu_is_rebuilt_when_those_data_change(
        site: Path, tmp_path: Path) -> None:
    """The menu is digested by its sections' names unless a template reads further into them; what the
    templates read is kept in the cache only for as long as they are the same templates."""
    output = tmp_path / "incremental" / "build"
    build(site, BuildOptions(output=output, now=NOW))  # the theme's menu: names and links only
    theme_base = Path(__import__("newsgen").__file__).parent / "theme" / "templates" / "base.html"
    (site / "templates").mkdir()
    (site / "templates" / "base.html").write_text(theme_base.read_text(encoding="utf-8").replace(
        "{{ term.name }}</a>", "{{ term.name }} ({{ term.articles | length }})</a>"), encoding="utf-8")
    build(site, BuildOptions(output=output, now=NOW))
    assert "World (20)" in (output / "index.html").read_text()

    (site / "content" / "2023" / "story-999.md").write_text(story(996))  # 996 % 4 == 0: World
    build(site, BuildOptions(output=output, now=NOW))
    assert snapshot(output) == clean_build(site, tmp_path / "clean")
    assert "World (21)" in (output / "2023/02/02/story-number-1/index.html").read_text()


def test_an_edited_article_re_renders_only_pages_that_show_it(site: Path, tmp_path: Path) -> None:
    """A listing's own section, tag or author is digested by name, so the pages of that listing that
    do not show the edited article are not rendered again (every story here has the same author)."""
    output = tmp_path / "incremental" / "build"
    build(site, BuildOptions(output=output, now=NOW))
    (site / "content" / "2023" / "story-005.md").write_text(story(5, body="A rewritten body.\n"))
    result = build(site, BuildOptions(output=output, now=NOW))
    pages = snapshot(output)
    assert pages == clean_build(site, tmp_path / "clean")
    showing = [path for path, data in pages.items() if b"2023/06/06/story-number-5/" in data]
    assert result.pages_by_kind["author"] > 5  # one author listing of many pages, like a newsroom's desk
    # Besides those, its social card, the 404 page's latest list and the section and tag indexes'
    # counts are rendered again: their templates read every article or term.
    assert 0 < result.rendered <= len(showing) + 4 < sum(result.pages_by_kind.values()) / 4


def test_a_template_that_reads_a_listings_term_deeply_is_rebuilt_when_its_articles_change(
        site: Path, tmp_path: Path) -> None:
    """Where a template reads more of the listing's term than its name, the term is digested whole."""
    theme_listing = Path(__import__("newsgen").__file__).parent / "theme" / "templates" / "listing.html"
    (site / "templates").mkdir()
    (site / "templates" / "listing.html").write_text(theme_listing.read_text(encoding="utf-8").replace(
        "<h1 dir=\"auto\">{{ term.name }}</h1>", "<h1 dir=\"auto\">{{ term.name }}</h1><p>Earliest: {{ term.articles[-1].title }}</p>"),
        encoding="utf-8")
    (site / "newsgen.yaml").write_text((site / "newsgen.yaml").read_text() + "feed_size: 3\n")
    output = tmp_path / "incremental" / "build"
    build(site, BuildOptions(output=output, now=NOW))
    first_page = output / "category" / "world" / "index.html"
    earliest = "Story number 0"  # World is number % 4 == 0; story 0 is dated 2023-01-01, the earliest
    assert f"Earliest: {earliest}<" in first_page.read_text()

    text = (site / "content" / "2023" / "story-000.md").read_text()
    (site / "content" / "2023" / "story-000.md").write_text(text.replace(earliest, "A renamed early story"))
    build(site, BuildOptions(output=output, now=NOW))
    assert "Earliest: A renamed early story<" in first_page.read_text()
    assert snapshot(output) == clean_build(site, tmp_path / "clean")


def test_an_articles_fields_depend_on_its_neighbours_and_the_clock_only_where_the_page_cache_knows_it(
        make_site, tmp_path: Path) -> None:
    """The page cache digests an article by its file's cache key plus model.NOT_FROM_FILE. The same
    file among different neighbours, at a different time, may differ in those fields and no other."""
    from dataclasses import fields

    from newsgen.build import load_site
    from newsgen.model import NOT_FROM_FILE

    same = article("The same story", "2024-07-01T09:00:00+00:00", "Body.\n", categories=["Économie"],
                   tags=["Zürich"], authors=["ana ruiz"])
    config = "title: T\nbase_url: https://example.org/\ntimezone: UTC\npermalink: '{category}/{slug}/'\n"
    alone = make_site({"newsgen.yaml": config, "content/same.md": same})
    # Neighbours take the plain slugs of its section and tag ("Economie" and "Économie" are two
    # sections that slugify alike; the first in order keeps the plain slug), and spell its author
    # otherwise (the most used spelling is shown).
    crowd = make_site({"newsgen.yaml": config, "content/same.md": same, **{
        f"content/other-{n}.md": article(f"Other {n}", "2024-05-01T09:00:00+00:00", "Text.\n",
                                         categories=["Economie"], tags=["Zurich"], authors=["Ana Ruiz"])
        for n in range(2)},
        # and a French version of it links the two (its translations)
        "content/same-fr.md": article("La même histoire", "2024-07-01T09:00:00+00:00", "Texte.\n",
                                      language="fr", translation_of="the-same-story")})
    first, _ = load_site(alone, BuildOptions(now=datetime(2024, 6, 1, tzinfo=timezone.utc), future=True))
    second, _ = load_site(crowd, BuildOptions(now=datetime(2024, 8, 1, tzinfo=timezone.utc), future=True))
    before = next(a for a in first.articles if a.source == "content/same.md")
    after = next(a for a in second.articles if a.source == "content/same.md")
    differing = {f.name for f in fields(before) if getattr(before, f.name) != getattr(after, f.name)}
    assert differing == set(NOT_FROM_FILE)  # each varies here, so the test would notice one that does not


def test_a_build_with_nothing_changed_reuses_the_last_build_whole_and_sees_every_change(
        site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unchanged site is recognised without parsing or digesting anything, and yet the clock, the
    options, SOURCE_DATE_EPOCH and taxonomies.yaml each make a build that equals a clean one."""
    output = tmp_path / "incremental" / "build"
    build(site, BuildOptions(output=output, now=NOW))
    # Wreck every store but the last build's memo and the served files' records: a build that looked at
    # them would parse and render.
    for path in cache_dir(output).rglob("*"):
        if path.is_file() and path.name not in ("build.pickle", "served.stats") and "spare" not in path.parts:
            path.write_bytes(b"\x80garbage")
    again = build(site, BuildOptions(output=output, now=NOW))
    assert (again.parsed, again.rendered, again.written) == (0, 0, 0)
    assert again.pages_by_kind["article"] == COUNT and len(again.summary.articles) == COUNT

    content = site / "content" / "2023"
    (content / "later.md").write_text(article("Due on the third", "2024-06-03T08:00:00+00:00", "Soon.\n"))
    (content / "draft.md").write_text(article("A draft", "2023-03-03T08:00:00+00:00", "Not yet.\n", draft="true"))
    steps: list[tuple[str, dict[str, object]]] = [
        ("write a scheduled article and a draft", {}),
        ("the clock passes the scheduled article's time", {"now": datetime(2024, 6, 4, tzinfo=timezone.utc)}),
        ("the clock is set back before it", {}),
        ("with --drafts", {"drafts": True}),
        ("with --future", {"future": True}),
        ("SOURCE_DATE_EPOCH set", {"epoch": "1685577600"}),  # 2023-06-01: its two days have news
        ("taxonomies.yaml renames a section", {"taxonomy": "categories:\n  terms:\n    - name: World\n"
                                                           "      formerly: [Globe]\n"}),
    ]
    published: list[dict[str, bool]] = []
    for number, (name, change) in enumerate(steps):
        if "epoch" in change:
            monkeypatch.setenv("SOURCE_DATE_EPOCH", str(change["epoch"]))
        if "taxonomy" in change:
            (site / "taxonomies.yaml").write_text(str(change["taxonomy"]))
        options = {key: value for key, value in change.items() if key in ("now", "drafts", "future")}
        options.setdefault("now", NOW)
        build(site, BuildOptions(output=output, **options))  # type: ignore[arg-type]
        expected = clean_build(site, tmp_path / f"clean-{number}", **options)
        assert snapshot(output) == expected, f"after '{name}' the incremental build differs from a clean one"
        published.append({"due": any("due-on-the-third" in p for p in expected),
                          "draft": any("a-draft" in p for p in expected), "redirect": "category/globe/index.html" in expected})
    # the steps did change the site: the scheduled article, the draft and the old section's redirect come and go
    assert [p["due"] for p in published] == [False, True, False, False, True, False, False]
    assert [p["draft"] for p in published] == [False, False, False, True, False, False, False]
    assert published[-1]["redirect"] and not published[-2]["redirect"]


def test_a_strict_build_fails_on_warnings_though_nothing_changed(make_site, tmp_path: Path) -> None:
    site = make_site({"content/a.md": article("A", "2023-01-01T00:00:00+00:00", "Text.\n", tags=["Zurich", "Zürich"])})
    output = tmp_path / "build"
    first = build(site, BuildOptions(output=output, now=NOW))
    assert first.summary.warnings
    with pytest.raises(ContentError, match="--strict"):
        build(site, BuildOptions(output=output, now=NOW, strict=True))


class _WhoRuns(build_module._Work):
    """Reports the process that runs each item, and whether start() ran in it first."""

    started = False

    def start(self) -> None:
        self.started = True

    def __call__(self, chunk):  # type: ignore[no-untyped-def]
        return [(item, os.getpid(), os.getppid(), self.started) for item in chunk]


@pytest.mark.parametrize("method", START_METHODS)
def test_workers_start_from_the_initializer_under_each_start_method(method: str) -> None:
    items = list(range(200))
    ran = list(build_module._run(_WhoRuns(), items, 2, method, "test", None))
    assert [item for item, *_ in ran] == items  # in order
    assert all(started for *_, started in ran)
    pids = {pid for _, pid, _, _ in ran}
    assert os.getpid() not in pids
    parents = {parent for _, _, parent, _ in ran}
    # a forkserver's workers are the server's children; fork's and spawn's are this process's
    assert (parents == {os.getpid()}) == (method != "forkserver")


def test_the_start_method_is_fork_only_for_a_single_thread_on_linux(monkeypatch) -> None:
    monkeypatch.delenv(START_METHOD, raising=False)
    expected = "fork" if sys.platform == "linux" and threads() == 1 else None
    if expected:
        assert build_module.start_method() == "fork"
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert build_module.start_method() in ("forkserver", "spawn")  # never fork a threaded process
    finally:
        stop.set()
        other.join()
    for method in START_METHODS:
        monkeypatch.setenv(START_METHOD, method)
        assert build_module.start_method() == method


def test_an_unknown_start_method_is_a_usage_error(site: Path, tmp_path: Path) -> None:
    result = run_newsgen("build", site, "-o", tmp_path / "out", env={START_METHOD: "vfork"})
    assert result.returncode == 2, result.stderr
    assert START_METHOD in result.stderr and "'vfork'" in result.stderr and "forkserver" in result.stderr
    assert not (tmp_path / "out").exists()


class _Collects(build_module._Work):
    def __call__(self, chunk):  # type: ignore[no-untyped-def]
        return [gc.isenabled() for _ in chunk]


@pytest.mark.parametrize("method", START_METHODS)
def test_workers_collect_cycles_though_the_build_does_not(method: str) -> None:
    with build_module._no_cycle_collection():
        assert not gc.isenabled()
        assert all(build_module._run(_Collects(), list(range(100)), 2, method, "test", None))
    assert gc.isenabled()


def test_the_cycle_collector_is_on_again_after_every_build(site: Path, make_site, tmp_path: Path) -> None:
    """build() turns the collector off for itself only (_no_cycle_collection): after a cold build, one
    that changed nothing, one that failed on content and one that failed on a bad setting."""
    assert gc.isenabled()
    output = tmp_path / "out" / "build"
    build(site, BuildOptions(output=output, now=NOW))
    assert gc.isenabled()
    build(site, BuildOptions(output=output, now=NOW))  # nothing changed: the early return
    assert gc.isenabled()
    broken = make_site({"content/bad.md": "---\ntitle: [unclosed\n---\nBody.\n"})
    with pytest.raises(ContentError):
        build(broken, BuildOptions(output=tmp_path / "broken" / "build", now=NOW))
    assert gc.isenabled()
    with pytest.raises(Exception):
        build(site, BuildOptions(output=site / "content" / "inside", now=NOW))  # refused output folder
    assert gc.isenabled()
    gc.disable()  # and a caller's own choice is left as it was
    try:
        build(site, BuildOptions(output=output, now=NOW))
        assert not gc.isenabled()
    finally:
        gc.enable()
