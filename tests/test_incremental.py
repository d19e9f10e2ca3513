"""Incremental builds (cache.py, parallel rendering) give exactly the bytes of a clean build."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newsgen.build import PARALLEL_MIN, BuildOptions, BuildResult, build
from newsgen.cache import cache_dir

from conftest import article

NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)
CATEGORIES = ["World", "Politics", "Science", "Culture"]
TAGS = ["Zürich", "Energy", "Courts", "Москва", "Elections", "Rail", "Space", "AI", "Farming"]
COUNT = PARALLEL_MIN + 16  # enough work that the parallel path runs on a clean build


def story(number: int, tags: list[str] | None = None, body: str | None = None) -> str:
    chosen = tags if tags is not None else [TAGS[(number * k) % len(TAGS)] for k in (1, 2, 5)]
    text = body or (f"Paragraph *{number}* with a [link](https://example.org/{number}/) and \"quotes\".\n\n"
                    f"## Details\n\n- first point {number}\n- second point\n\n> Said someone, {number}.\n")
    return article(f"Story number {number}", f"2023-{1 + number % 12:02d}-{1 + number % 28:02d}T{number % 24:02d}:00:00+00:00",
                   text, categories=[CATEGORIES[number % len(CATEGORIES)]], tags=list(dict.fromkeys(chosen)))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a build folder, names and contents."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def clean_build(site: Path, folder: Path, **options: object) -> dict[str, bytes]:
    output = folder / "build"
    build(site, BuildOptions(output=output, now=NOW, **options))  # type: ignore[arg-type]
    assert not cache_dir(output).exists() or options.get("cache", True)
    return snapshot(output)


@pytest.fixture
def site(make_site) -> Path:
    files = {"newsgen.yaml": "title: Incremental Times\nbase_url: https://example.org/\ntimezone: UTC\n"}
    files |= {f"content/2023/story-{n:03d}.md": story(n) for n in range(COUNT)}
    return make_site(files)


def test_parallel_and_serial_builds_are_identical(site: Path, tmp_path: Path) -> None:
    serial = clean_build(site, tmp_path / "serial", jobs=1, cache=False)
    parallel = clean_build(site, tmp_path / "parallel", jobs=2)
    assert serial == parallel
    assert any(path.endswith("index.html") for path in serial)


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


@pytest.mark.parametrize(("damage", "parsed"), [(_cut_the_index, COUNT), (_cut_the_last_entry, 1),
                                                (_change_one_letter_of_one_article, 1)])
def test_a_damaged_article_pack_costs_only_the_damaged_entries(site: Path, tmp_path: Path, damage, parsed: int) -> None:
    output = tmp_path / "out" / "build"
    build(site, BuildOptions(output=output, now=NOW))
    pack = cache_dir(output) / "articles.pack"
    pack.write_bytes(damage(pack.read_bytes()))
    assert build(site, BuildOptions(output=output, now=NOW)).parsed == parsed
    assert snapshot(output) == clean_build(site, tmp_path / "clean")
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
    assert build(site, BuildOptions(output=output, now=NOW)).parsed == 0
    assert (pack.stat().st_ino, pack.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    for number in range(COUNT):  # every entry replaced: the old ones must go
        (site / "content" / "2023" / f"story-{number:03d}.md").write_text(story(number, body=f"Body {number}, new.\n"))
    assert build(site, BuildOptions(output=output, now=NOW)).parsed == COUNT
    assert pack.stat().st_size < before.st_size
    assert sorted(p.name for p in cache.iterdir()) == ["articles.pack", "pages.json", "spare"]


def folders(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_dir())


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
    witness = tmp_path / "witness"  # a second name for every served file: writing into one shows here
    shutil.copytree(output, witness, copy_function=os.link)
    before = snapshot(witness)

    (site / "content" / "2023" / "story-005.md").write_text(story(5, body="A rewritten body.\n"))
    result = build(site, BuildOptions(output=output, now=NOW))
    assert result.parsed == 1 and 0 < result.rendered < sum(result.pages_by_kind.values()) / 2
    assert snapshot(witness) == before
    clean = tmp_path / "clean"
    assert snapshot(output) == clean_build(site, clean) | {"CNAME": b"news.example.org\n"}
    assert folders(output) == folders(clean / "build")


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
    """The menu is digested by its sections' names unless a template reads further into them."""
    theme_base = Path(__import__("newsgen").__file__).parent / "theme" / "templates" / "base.html"
    (site / "templates").mkdir()
    (site / "templates" / "base.html").write_text(theme_base.read_text(encoding="utf-8").replace(
        "{{ term.name }}</a>", "{{ term.name }} ({{ term.articles | length }})</a>"), encoding="utf-8")
    output = tmp_path / "incremental" / "build"
    build(site, BuildOptions(output=output, now=NOW))
    assert "World (20)" in (output / "index.html").read_text()

    (site / "content" / "2023" / "story-999.md").write_text(story(996))  # 996 % 4 == 0: World
    build(site, BuildOptions(output=output, now=NOW))
    assert snapshot(output) == clean_build(site, tmp_path / "clean")
    assert "World (21)" in (output / "2023/02/02/story-number-1/index.html").read_text()
