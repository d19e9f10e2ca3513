"""The first hour of a newcomer and an editor (issue 15): the wrong folder, a first `newsgen new`, a first
build, set-up. Each trap is run through the CLI as a subprocess, as people meet it: exit code, message,
and nothing published or written that should not be."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest

from conftest import REPO, article, run_newsgen

EPOCH = {"SOURCE_DATE_EPOCH": "1717236000"}  # 2024-06-01 10:00:00 UTC


def not_a_site(folder: Path, init: str) -> str:
    return f"not a newsgen site (no newsgen.yaml or content/ in {folder.resolve()}); run `newsgen init {init}`"


def tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def newsgen_briefly(*args: str | os.PathLike[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """run_newsgen with a short timeout: a `serve` that wrongly starts must fail the test, not hang it."""
    return subprocess.run([sys.executable, "-m", "newsgen", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=30, env={**os.environ, "NO_COLOR": "1"})


@pytest.fixture
def site(make_site) -> Path:
    return make_site({"newsgen.yaml": "title: The Gazette\n",
                      "content/2024-05-01-ferry.md": article("Ferry is back", date="2024-05-01T08:00:00+00:00")})


# --- site detection -------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [("build",), ("serve", "--port", "0"), ("check",), ("new", "Hello")])
def test_every_command_refuses_a_folder_that_is_no_site(tmp_path: Path, command: tuple[str, ...]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = newsgen_briefly(*command, cwd=empty)
    assert result.returncode == 2, result.stderr
    assert f"error: {not_a_site(empty, '.')}" in result.stderr
    assert tree(empty) == []  # no build/, no cache, no content/


def test_build_names_the_folder_given(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    result = run_newsgen("build", "notes", cwd=tmp_path)
    assert result.returncode == 2 and not_a_site(tmp_path / "notes", "notes") in result.stderr
    assert tree(tmp_path) == ["notes"]


def test_a_shared_parent_folder_does_not_read_the_projects_in_it(make_site, tmp_path: Path) -> None:
    parent = make_site({
        "blog/_posts/2024-01-02-someone-elses-post.md": "---\ntitle: Someone else's post\n---\nPrivate.\n",
        "paper/content/2024-05-01-ferry.md": article("Ferry is back"),
    }, name="projects")
    result = run_newsgen("build", cwd=parent)
    assert result.returncode == 2 and not_a_site(parent, ".") in result.stderr
    assert sorted(p.name for p in parent.iterdir()) == ["blog", "paper"]
    # the site in it still builds, and reads only its own content
    built = run_newsgen("build", "--json", cwd=parent / "paper")
    assert built.returncode == 0, built.stderr
    assert json.loads(built.stdout)["articles"] == 1


def test_a_jekyll_project_is_a_site_as_it_is(make_site, tmp_path: Path) -> None:
    jekyll = make_site({"_posts/2024-01-02-port-opens.md": "---\ntitle: The port opens\n---\nBody.\n"})
    result = run_newsgen("build", jekyll, "-o", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out/2024/01/02/port-opens/index.html").is_file()


def test_building_the_content_folder_is_refused(site: Path) -> None:
    before = tree(site)
    result = run_newsgen("build", "content", cwd=site)
    assert result.returncode == 2
    assert (f"not a newsgen site (no newsgen.yaml or content/ in {site / 'content'}); "
            f"it lies inside the site {site}: give that folder instead") in result.stderr
    assert tree(site) == before  # no content/build/, no cache inside content/


@pytest.mark.parametrize("folder", ["content", "templates", "static"])
def test_an_output_folder_inside_the_sources_is_refused(site: Path, folder: str) -> None:
    (site / folder).mkdir(exist_ok=True)
    before = tree(site)
    result = run_newsgen("build", "-o", f"{folder}/out", cwd=site)
    assert result.returncode == 2
    assert (f"--output: refusing to build into {site / folder / 'out'}: it lies inside the site's sources"
            in result.stderr)
    assert "nothing was written" in result.stderr
    assert tree(site) == before


def test_check_without_a_folder_checks_the_sites_build(site: Path) -> None:
    missing = run_newsgen("check", cwd=site)
    assert missing.returncode == 2 and f"{site / 'build'} is not a folder; build the site first" in missing.stderr
    assert run_newsgen("build", "-q", cwd=site, env=EPOCH).returncode == 0
    result = run_newsgen("check", cwd=site)
    assert result.returncode == 0 and f"newsgen check: {site / 'build'} is fine" in result.stdout


# --- newsgen new ---------------------------------------------------------------------------------

@pytest.mark.parametrize("below", ["content", "content/2024", "templates"])
def test_new_finds_the_site_from_a_folder_below_it(site: Path, below: str) -> None:
    (site / below).mkdir(parents=True, exist_ok=True)
    result = run_newsgen("new", "Storm warning", cwd=site / below, env=EPOCH)
    assert result.returncode == 0, result.stderr
    created = site / "content/2024-06-01-storm-warning.md"
    assert created.is_file()
    assert (site / below / result.stdout.strip()).resolve() == created  # said from where it was run
    assert not (site / below / "content").exists()


def test_new_outside_a_site_creates_nothing(tmp_path: Path) -> None:
    result = run_newsgen("new", "Hello", cwd=tmp_path)
    assert result.returncode == 2
    assert not_a_site(tmp_path, ".") in result.stderr and "no article was written" in result.stderr
    assert not (tmp_path / "content").exists()


def test_new_writes_a_draft_and_says_how_to_publish_it(site: Path, tmp_path: Path) -> None:
    result = run_newsgen("new", "Placeholder story", cwd=site, env=EPOCH)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "content/2024-06-01-placeholder-story.md\n"  # only the path: `$EDITOR "$(newsgen new …)"`
    assert "draft: true" in (site / "content/2024-06-01-placeholder-story.md").read_text().splitlines()
    assert "remove the line 'draft: true' to publish it" in result.stderr
    assert "newsgen build --drafts" in result.stderr

    assert run_newsgen("build", "-o", tmp_path / "out", cwd=site, env=EPOCH).returncode == 0
    for published in ("index.html", "feed.xml", "sitemap.xml"):
        text = (tmp_path / "out" / published).read_text()
        assert "2024/05/01/ferry/" in text  # the published article is there (its slug from the file name)
        assert "Placeholder story" not in text and "placeholder-story" not in text
    assert not (tmp_path / "out/2024/06/01/placeholder-story").exists()
    assert run_newsgen("build", "--drafts", "-o", tmp_path / "preview", cwd=site, env=EPOCH).returncode == 0
    assert (tmp_path / "preview/2024/06/01/placeholder-story/index.html").is_file()


def test_new_publish_writes_an_article_the_next_build_publishes(site: Path, tmp_path: Path) -> None:
    result = run_newsgen("new", "Results are in", "--publish", cwd=site, env=EPOCH)
    assert result.returncode == 0 and "draft" not in result.stderr
    assert "draft:" not in (site / "content/2024-06-01-results-are-in.md").read_text()
    assert run_newsgen("build", "-o", tmp_path / "out", cwd=site, env=EPOCH).returncode == 0
    assert "Results are in" in (tmp_path / "out/index.html").read_text()


def test_new_draft_is_still_accepted_and_excludes_publish(site: Path) -> None:
    assert run_newsgen("new", "Old script", "--draft", cwd=site, env=EPOCH).returncode == 0
    assert "draft: true" in (site / "content/2024-06-01-old-script.md").read_text()
    both = run_newsgen("new", "Both", "--draft", "--publish", cwd=site, env=EPOCH)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
    assert not (site / "content/2024-06-01-both.md").exists()


# --- set-up ----------------------------------------------------------------------------------------

def test_make_install_makes_a_venv_without_the_test_tools(tmp_path: Path) -> None:
    """What `make build` installs (its `install` prerequisite), into a scratch venv: about 20 s."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    venv = tmp_path / "venv"
    made = subprocess.run(["make", "-s", "install", f"VENV={venv}"], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert made.returncode == 0, made.stderr
    listed = subprocess.run([venv / "bin/python", "-m", "pip", "list", "--format=json"], capture_output=True,
                            text=True, check=True)
    installed = {entry["name"].lower() for entry in json.loads(listed.stdout)}
    assert {"newsgen", "jinja2", "markdown", "babel"} <= installed
    assert not installed & {"pytest", "playwright", "hypothesis", "lxml", "requests"}
    version = subprocess.run([venv / "bin/newsgen", "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("newsgen ")


def test_make_test_adds_the_test_tools(tmp_path: Path) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    planned = subprocess.run(["make", "-n", "test", f"VENV={tmp_path / 'venv'}"], cwd=REPO, capture_output=True,
                             text=True, timeout=60)
    assert planned.returncode == 0, planned.stderr
    lines = planned.stdout.splitlines()
    runtime = next(i for i, line in enumerate(lines) if line.endswith("pip install --quiet -e ."))
    tools = next(i for i, line in enumerate(lines) if line.endswith("pip install --quiet -e '.[test]'"))
    assert runtime < tools < next(i for i, line in enumerate(lines) if "-m pytest" in line)


# --- the small ones ---------------------------------------------------------------------------------

@pytest.mark.parametrize("articles", [1, 40])  # 40: enough pages to render in forked workers
def test_the_build_summary_counts_each_file_once(make_site, articles: int) -> None:
    site = make_site({f"content/2024-05-{day:02d}-story.md": article(f"Story {day}",
                                                                      date=f"2024-05-{day % 28 + 1:02d}T08:00:00Z",
                                                                      slug=f"story-{day}")
                      for day in range(articles)})
    first = run_newsgen("build", cwd=site, env=EPOCH)
    assert first.returncode == 0, first.stderr
    files, written, unchanged = map(int, re.search(r"Built (\d+) files .*\((\d+) written, (\d+) unchanged\)",
                                                   first.stdout).groups())
    assert written == files and unchanged == 0
    assert "cache" not in first.stdout  # there was none
    assert f"{articles} article files parsed" in first.stdout

    again = run_newsgen("build", cwd=site, env=EPOCH)
    assert f"Built {files} files" in again.stdout and f"(0 written, {files} unchanged)" in again.stdout
    assert f"{articles} article files and " in again.stdout and "came from the cache" in again.stdout
    report = json.loads(run_newsgen("build", "-o", site / "json", "--json", cwd=site, env=EPOCH).stdout)
    assert report["written"] == report["files"] == files


@pytest.mark.parametrize(("language", "locale"), [
    ("zh", "zh_CN"), ("ja", "ja_JP"), ("uk", "uk_UA"), ("he", "he_IL"), ("sv", "sv_SE"), ("en", "en_US"),
    ("en-GB", "en_GB"), ("zh-Hant", "zh_TW"), ("pt", "pt_BR"),
])
def test_og_locale_comes_from_cldr_when_only_language_is_set(make_site, tmp_path: Path, language: str,
                                                             locale: str) -> None:
    site = make_site({"newsgen.yaml": f"language: {language}\n", "content/a.md": article("A story")})
    result = run_newsgen("build", site, "-o", tmp_path / "out", "-q")
    assert result.returncode == 0, result.stderr
    doc = lxml.html.fromstring((tmp_path / "out/index.html").read_bytes())
    assert doc.xpath("//meta[@property='og:locale']/@content") == [locale]


def test_a_language_without_a_region_in_cldr_asks_for_a_locale(make_site, tmp_path: Path) -> None:
    site = make_site({"newsgen.yaml": "title: X\nlanguage: xq\n", "content/a.md": article("A story")})
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert result.returncode == 2
    assert ("newsgen.yaml:2: language: CLDR knows no region for 'xq', so og:locale cannot be derived "
            "(add a line such as 'locale: en_US')") in result.stderr
    assert not (tmp_path / "out").exists()
    (site / "newsgen.yaml").write_text("title: X\nlanguage: xq\nlocale: xq_XQ\n")
    assert run_newsgen("build", site, "-o", tmp_path / "out", "-q").returncode == 0


def test_port_in_use_says_the_preview_is_not_running(site: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = newsgen_briefly("serve", site, "--port", str(port))
    assert result.returncode == 2 and f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "nothing was written" not in result.stderr
    assert result.stderr.rstrip().endswith("newsgen serve: 1 problem; the preview is not running")


@pytest.mark.parametrize(("args", "footer"), [
    (("check", "missing"), "newsgen check: 1 problem; nothing was checked"),
    (("init", "content"), "newsgen init: 1 problem; no site was created"),  # not empty
    (("new", "Ferry is back", "--publish"), "newsgen new: 1 problem; no article was written"),  # twice
])
def test_each_command_says_what_it_did_not_do(site: Path, args: tuple[str, ...], footer: str) -> None:
    before = tree(site)
    if args[0] == "new":
        assert run_newsgen(*args, cwd=site, env=EPOCH).returncode == 0
        before = tree(site)
    result = run_newsgen(*args, cwd=site, env=EPOCH)
    assert result.returncode == 2 and result.stderr.rstrip().endswith(footer)
    assert tree(site) == before


@pytest.mark.parametrize("flags", [("-q", "-v"), ("-q", "--json"), ("-v", "--json"), ("--verbose", "--quiet")])
def test_output_flags_that_exclude_each_other_are_refused(site: Path, flags: tuple[str, ...]) -> None:
    result = run_newsgen("build", *flags, cwd=site)
    assert result.returncode == 2 and "not allowed with argument" in result.stderr
    assert not (site / "build").exists()


def test_debug_goes_with_any_output_flag(site: Path) -> None:
    quiet = run_newsgen("build", "-q", "--debug", cwd=site, env=EPOCH)
    assert quiet.returncode == 0 and quiet.stdout == ""
    report = run_newsgen("build", "--json", "--debug", cwd=site, env=EPOCH)
    assert report.returncode == 0 and json.loads(report.stdout)["ok"] is True


def test_a_duplicate_slug_is_reported_once(make_site, tmp_path: Path) -> None:
    site = make_site({"content/a.md": article("First", slug="same"), "content/b.md": article("Second", slug="same")})
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: content/b.md: writes 2021/05/25/same/index.html, which content/a.md writes too; "
                      "give one of them another slug"]
    assert "newsgen build: 1 problem; nothing was written" in result.stderr
    assert not (tmp_path / "out").exists()
