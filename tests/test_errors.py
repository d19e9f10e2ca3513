"""Mistakes get clear errors (file, line, field, what was expected), a non-zero exit, and lose nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import SITES, article, run_newsgen


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_problem_in_every_file_is_reported_at_once() -> None:
    result = run_newsgen("build", SITES / "broken", "-o", "/tmp/never-written-newsgen")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert lines == [
        "error: content/baddate.md:3: date: '25/05/2021' is not a valid date; expected ISO 8601 such as 2021-05-25"
        " or 2021-05-25T14:30:00+02:00",
        "error: content/baddate.md:4: draft: expected true or false",
        "error: content/notitle.md:1: title: is required (add a line such as 'title: Biden and Putin to meet in"
        " Geneva')",
        "error: content/notitle.md:3: summary: expected text",
        "error: content/typo.md:4: tittle: unknown field (did you mean 'title'?)",
        "error: content/typo.md:5: catgories: unknown field (did you mean 'categories'?)",
        "error: content/yaml.md:4: invalid YAML: expected ',' or ']', but got '<stream end>'",
    ]
    assert "Traceback" not in result.stderr
    assert not Path("/tmp/never-written-newsgen").exists()


def test_a_failed_build_leaves_the_previous_site_byte_for_byte(make_site, tmp_path: Path) -> None:
    site = make_site({"content/a.md": article("Good headline", tags=["One"])})
    out = tmp_path / "out"
    assert run_newsgen("build", site, "-o", out).returncode == 0
    before = snapshot(out)
    (site / "content/a.md").write_text(article("Good headline", tagz=["One"]))
    result = run_newsgen("build", site, "-o", out)
    assert result.returncode == 1 and "tagz: unknown field (did you mean 'tags'?)" in result.stderr
    assert snapshot(out) == before
    # no staging or lock left behind; the cache beside the output is kept on purpose
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.newsgen-cache", "out", "site0"]


@pytest.mark.parametrize("text, message", [
    ("---\ntitle: x\ndate: 2021-01-01\n", "front matter is not closed"),
    ("---\n- a list\n---\nbody\n", "expected a mapping"),
    ("---\ntitle: a\ntitle: b\ndate: 2021-01-01\n---\n", "content/x.md:3: title: duplicate key (first set on line 2)"),
    ("---\ntitle: &a x\ndate: 2021-01-01\n---\n", "as an anchor or alias; put the headline in quotes"),
    ("---\ntitle: x\ndate: 2021-01-01\nextra:\n  a: &a x\n---\n", "anchors and aliases"),
    ("---\ntitle: !!python/object:os.system x\ndate: 2021-01-01\n---\n", "custom YAML tag"),
    ("---\ntitle: x\ndate: 2021-02-30\n---\n", "not a valid date"),
    ("---\ntitle: x\ndate: 2021-01-02\nupdated: 2021-01-01\n---\n", "updated: is earlier than 'date'"),
    ("---\ntitle: x\ndate: 2021-01-01\nimage: javascript:alert(1)\nimage_alt: y\n---\n", "image: expected an http(s)"),
    ("---\ntitle: x\ndate: 2021-01-01\nimage: a.jpg\n---\n", "image_alt: is required"),
    ("---\ntitle: x\ndate: 2021-01-01\nslug: ../..\n---\n", "slug: expected lower-case letters"),
    ("---\ntitle: x\nheadline: y\ndate: 2021-01-01\n---\n", "given twice"),
    ("---\ntitle: x\ndate: 2021-01-01\nauthor: a\nauthors: [b]\n---\n", "use either 'author' or 'authors'"),
])
def test_bad_article_files_are_named_with_what_was_expected(make_site, tmp_path: Path, text: str,
                                                            message: str) -> None:
    site = make_site({"content/x.md": text})
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert result.returncode == 1, result.stdout
    assert "content/x.md" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr


def test_yaml_11_surprises_stay_text(make_site, tmp_path: Path) -> None:
    site = make_site({"content/x.md": "---\ntitle: NO\ndate: 2021-01-01\nsummary: 1.10\ntags: [yes, 10:00]\n---\nx\n"})
    out = tmp_path / "out"
    result = run_newsgen("build", site, "-o", out)
    assert result.returncode == 0, result.stderr
    page = (out / "2021/01/01/no/index.html").read_text()
    assert '<h1 dir="auto">NO</h1>' in page and "1.10" in page
    assert (out / "tag/yes").is_dir() and (out / "tag/10-00").is_dir()


@pytest.mark.parametrize("config, message", [
    ("titel: x\n", "newsgen.yaml:1: titel: unknown setting (did you mean 'title'?)"),
    ("base_url: example.org\n", "base_url: expected an absolute http(s) URL"),
    ("timezone: Mars/Olympus\n", "timezone: expected an IANA time zone"),
    ("page_size: lots\n", "page_size: expected a whole number"),
    ("permalink: '{year}/{title}/'\n", "permalink: unknown placeholder {title}"),
    ("permalink: '../{slug}/'\n", "permalink: the pattern must be a relative path"),
    ("- not a mapping\n", "expected a mapping"),
])
def test_config_errors_exit_2_with_the_setting_named(make_site, tmp_path: Path, config: str, message: str) -> None:
    site = make_site({"newsgen.yaml": config, "content/a.md": article("A")})
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert result.returncode == 2
    assert message in result.stderr


def test_bad_command_line_values_exit_2(make_site, tmp_path: Path) -> None:
    site = make_site({"content/a.md": article("A")})
    assert run_newsgen("build", site, "--base-url", "ftp://x").returncode == 2
    assert run_newsgen("build", site, "--no-such-flag").returncode == 2
    result = run_newsgen("biuld", site)
    assert result.returncode == 2 and "did you mean 'build'" in result.stderr
    bad_epoch = run_newsgen("build", site, "-o", tmp_path / "o", env={"SOURCE_DATE_EPOCH": "yesterday"})
    assert bad_epoch.returncode == 2 and "SOURCE_DATE_EPOCH" in bad_epoch.stderr


def test_dangerous_output_folders_are_refused_before_anything_is_touched(make_site, tmp_path: Path) -> None:
    site = make_site({"content/a.md": article("A"), "static/keep.txt": "mine"})
    before = snapshot(site)
    foreign = tmp_path / "foreign"
    (foreign / "sub").mkdir(parents=True)
    (foreign / "sub/precious.txt").write_text("not newsgen's")
    for output in (site, site / "content", site / "content/out", site / "static", tmp_path, "/",
                   Path.home(), foreign, ""):
        result = run_newsgen("build", site, "-o", output)
        assert result.returncode == 2, (output, result.stderr)
        assert "refusing to build into" in result.stderr or "output folder is empty" in result.stderr
    assert snapshot(site) == before
    assert (foreign / "sub/precious.txt").read_text() == "not newsgen's"
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "real", target_is_directory=True)
    result = run_newsgen("build", site, "-o", link)
    assert result.returncode == 2 and "symbolic link" in result.stderr


def test_default_output_is_site_build_and_cwd_is_the_default_site(make_site) -> None:
    site = make_site({"content/a.md": article("A")})
    result = run_newsgen("build", cwd=site)
    assert result.returncode == 0, result.stderr
    assert (site / "build/index.html").is_file()
    assert sorted(os.listdir(site)) == [".build.newsgen-cache", "build", "content"]
