"""Hostile and broken input: every byte of content is data, failures lose nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

import lxml.html
import pytest

from conftest import article, run_newsgen, write_tree

from test_errors import snapshot

HOSTILE_BODY = """\
Intro paragraph.

<script>alert('block')</script>

<iframe src="https://evil.example/"></iframe>

Inline <img src=x onerror="alert('inline')"> and <b onclick="alert(1)">bold</b>.

[click me](javascript:alert('link')) and [data](data:text/html,<script>alert(1)</script>)
and [spaced](  JaVaScRiPt:alert(2)) and ![img](javascript:alert(3)).

<div onmouseover="alert('div')">hover</div>
"""


def executable_markup(page: Path) -> list[str]:
    """Everything in a page that could run code: scripts (other than JSON-LD), handlers, js: URLs, frames."""
    doc = lxml.html.fromstring(page.read_bytes())
    found = [f"<script> {s.text!r}" for s in doc.iter("script") if s.get("type") != "application/ld+json"]
    found += [f"<{e.tag}>" for e in doc.iter("iframe", "object", "embed")]
    for element in doc.iter():
        for name, value in element.attrib.items():
            if name.lower().startswith("on"):
                found.append(f"{element.tag} {name}={value!r}")
            if name in ("href", "src") and value.strip().lower().replace(" ", "").startswith(("javascript:", "data:")):
                found.append(f"{element.tag} {name}={value!r}")
    return found


@pytest.mark.parametrize("config", ["", "allow_raw_html: true\n"])
def test_raw_html_in_markdown_never_becomes_executable(make_site, tmp_path: Path, config: str) -> None:
    site = make_site({"newsgen.yaml": config, "content/x.md": article("Hostile body", body=HOSTILE_BODY)})
    out = tmp_path / "out"
    result = run_newsgen("build", site, "-o", out)
    assert result.returncode == 0, result.stderr
    page = out / "2021/05/25/hostile-body/index.html"
    assert executable_markup(page) == []
    text = lxml.html.fromstring(page.read_bytes()).xpath("string(//div[@class='story-body'])")
    if config:  # sanitised: harmless markup kept, the rest removed
        assert "<b>bold</b>" in page.read_text() and "alert('block')" not in text
    else:  # escaped: the reader sees the raw HTML as text
        assert "<script>alert(" in text
    # a pasted <iframe> is read as embed code whatever the setting: evil.example is no provider, so a plain link
    assert "https://evil.example/" in [a.get("href") for a in lxml.html.fromstring(page.read_bytes()).iter("a")]
    assert "content/x.md:9: body: evil.example is no embed provider newsgen knows" in result.stderr
    for feed in ("feed.xml", "rss.xml", "feed.json"):
        assert "<script>alert" not in (out / feed).read_text().replace("&lt;script&gt;", "")


def test_bom_crlf_and_cr_files_build_exactly_like_lf(make_site, tmp_path: Path) -> None:
    text = article("Line ends", tags=["A", "B"], body="First paragraph.\n\nSecond paragraph.\n")
    outputs = []
    for name, data in [("lf", text.encode()), ("crlf", text.replace("\n", "\r\n").encode()),
                       ("cr", text.replace("\n", "\r").encode()), ("bom", b"\xef\xbb\xbf" + text.encode())]:
        site = make_site({"content/x.md": data}, name=name)
        out = tmp_path / f"out-{name}"
        result = run_newsgen("build", site, "-o", out)
        assert result.returncode == 0, (name, result.stderr)
        outputs.append(snapshot(out))
    assert outputs[0] == outputs[1] == outputs[2] == outputs[3]


@pytest.mark.parametrize("data, message", [
    (b"---\ntitle: caf\xe9\ndate: 2021-01-01\n---\n", "not valid UTF-8 at byte 14"),
    (b"---\ntitle: a\x00b\ndate: 2021-01-01\n---\n", "NUL byte"),
    (b"---\ntitle: x\ndate: 2021-01-01\n---\n" + b"word " * 600_000, "larger than 2 MiB"),
    (b"---\ntitle: x\ndate: 2021-01-01\nextra: " + b"[" * 40 + b"]" * 40 + b"\n---\n", "nested deeper"),
    (b"---\ntitle: x\ndate: 2021-01-01\nsummary: " + b"y" * 300_000 + b"\n---\n", "larger than 256 KiB"),
    # Pelican lines whose keys are far too long to be a near-miss of one of Pelican's: not compared letter by letter
    ((b"K" * 250_000 + b": v\n") * 8 + b"Title: x\n\nBody\n", "larger than 256 KiB"),
    (b"---\ntitle: x\ndate: 2021-01-01\n---\n" + b"[" * 20000 + b"]" * 20000, "took longer than 5 s"),
    (b"---\ntitle: x\ndate: 2021-01-01\n---\n" + b"".join(b"  " * i + b"- x\n" for i in range(500)),
     "nested too deeply"),
])
def test_broken_files_are_named_and_nothing_is_written(make_site, tmp_path: Path, data: bytes, message: str) -> None:
    site = make_site({"content/bad.md": data, "content/good.md": article("Good")})
    started = time.monotonic()
    result = run_newsgen("build", site, "-o", tmp_path / "out")
    assert time.monotonic() - started < 60  # bounded, not a hang
    assert result.returncode == 1, result.stdout
    assert "content/bad.md" in result.stderr and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("path", ["../escaped.html", "/tmp/absolute.html", "a/../../escaped.html", "a//b.html",
                                  "a/./b.html", "", "a/", "a\\..\\b.html", "a\x00b.html"])
def test_the_writer_refuses_output_paths_that_could_leave_the_build_folder(tmp_path: Path, path: str) -> None:
    """Every planned path is checked where files are written, not only where slugs are made."""
    from newsgen.write import Staging

    with Staging(tmp_path / "site" / "build") as staging:
        staging.open_tree()
        with pytest.raises(ValueError, match="unsafe output path"):
            staging.write(path, b"x")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["site"]  # nothing made, nothing left


def test_symlinks_out_of_the_site_and_loops_are_never_read(make_site, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text(article("Secret outside the site", body="TOP SECRET\n"))
    (tmp_path / "secret.css").write_text("TOP SECRET")
    site = make_site({"content/ok.md": article("Inside")})
    (site / "content/leak.md").symlink_to(secret)
    (site / "content/loop-a.md").symlink_to(site / "content/loop-b.md")
    (site / "content/loop-b.md").symlink_to(site / "content/loop-a.md")
    (site / "content/dirloop").symlink_to(site / "content", target_is_directory=True)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere/more.md").write_text(article("Secret folder outside", body="TOP SECRET\n"))
    (site / "content/outside").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (site / "static").mkdir()
    (site / "static/leak.css").symlink_to(tmp_path / "secret.css")
    out = tmp_path / "out"
    result = run_newsgen("build", site, "-o", out)
    assert result.returncode == 0, result.stderr
    everything = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert b"TOP SECRET" not in everything and b"Secret outside" not in everything
    assert b"Inside" in everything
    assert not (out / "leak.css").exists()


def test_nfc_and_nfd_file_names_both_build(make_site, tmp_path: Path) -> None:
    nfc, nfd = unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")
    site = make_site({f"content/{nfc}.md": article("Café one", tags=[nfc]),
                      f"content/{nfd}-2.md": article("Café two", tags=[nfd])})
    out = tmp_path / "out"
    result = run_newsgen("build", site, "-o", out)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (out / "tag").iterdir()) == ["cafe"]


@pytest.mark.parametrize("title, fields", [
    ("../../../../tmp/evil", {}),
    ("/etc/passwd", {}),
    ("..\\..\\windows", {}),
    ("%2e%2e%2f%2e%2e%2fetc", {}),
    ("con", {}),
    ("!!! ???", {}),
    ("x" * 500, {}),
    ("Normal", {"categories": ["../../etc", "%2F", "\\\\server"], "tags": ["..", "/", "nul"]}),
])
def test_hostile_titles_and_terms_never_write_outside_the_build(make_site, tmp_path: Path, title: str,
                                                                 fields: dict) -> None:
    site = make_site({"content/x.md": article(title, **fields)})
    before = {p for p in tmp_path.rglob("*")}
    out = tmp_path / "out"
    result = run_newsgen("build", site, "-o", out)
    assert result.returncode == 0, result.stderr
    created = {p for p in tmp_path.rglob("*")} - before
    cache = tmp_path / ".out.newsgen-cache"  # newsgen's own memo beside the output is allowed
    assert all(p in (out, cache) or out in p.parents or cache in p.parents for p in created), created
    for path in out.rglob("*"):
        assert all(part.isascii() and part not in ("..", "") for part in path.relative_to(out).parts)
        assert len(path.name) <= 100


def test_files_a_deployment_needs_are_kept_when_configured(make_site, tmp_path: Path) -> None:
    site = make_site({"content/x.md": article("Keep"), "newsgen.yaml": "keep: [CNAME, .git]\n"})
    out = tmp_path / "out"
    assert run_newsgen("build", site, "-o", out).returncode == 0
    (out / "CNAME").write_text("news.example.org\n")
    (out / ".git").mkdir()
    (out / ".git/HEAD").write_text("ref: refs/heads/main\n")
    (out / "stray.txt").write_text("not kept")
    assert run_newsgen("build", site, "-o", out).returncode == 0
    assert (out / "CNAME").read_text() == "news.example.org\n"
    assert (out / ".git/HEAD").read_text() == "ref: refs/heads/main\n"
    assert not (out / "stray.txt").exists()


def test_an_exception_halfway_through_rendering_keeps_the_previous_site(make_site, tmp_path: Path) -> None:
    files = {f"content/{i}.md": article(f"Story {i}", date=f"2021-05-{10 + i}T10:00:00Z") for i in range(6)}
    site = make_site(files)
    out = tmp_path / "out"
    assert run_newsgen("build", site, "-o", out).returncode == 0
    before = snapshot(out)
    write_tree(site, {"templates/article.html": "{% extends 'base.html' %}{% block main %}"
                      "{% if article.title == 'Story 3' %}{{ 1 // 0 }}{% endif %}{% endblock %}"})
    result = run_newsgen("build", site, "-o", out)
    assert result.returncode == 1
    assert "templates/article.html:1: ZeroDivisionError" in result.stderr
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.newsgen-cache", "out", "site0"]


def test_a_build_killed_while_writing_leaves_the_previous_site_and_is_cleaned_up(make_site, tmp_path: Path) -> None:
    files = {f"content/{i:04}.md": article(f"Story {i}", date="2021-05-01T10:00:00Z", tags=[f"t{i % 40}"],
                                           body="Words. " * 300)
             for i in range(400)}
    site = make_site(files)
    out = tmp_path / "out"
    assert run_newsgen("build", site, "-o", out).returncode == 0
    before = snapshot(out)
    (site / "content/0000.md").write_text(article("Story zero, edited", date="2021-05-01T10:00:00Z"))
    staging = tmp_path / ".out.newsgen-staging"
    process = subprocess.Popen([sys.executable, "-m", "newsgen", "build", site, "-o", out],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (staging.exists() and len(list(staging.rglob("index.html"))) > 20) and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert staging.exists(), "the build finished before it could be killed"
    assert snapshot(out) == before
    result = run_newsgen("build", site, "-o", out)
    assert result.returncode == 0, result.stderr
    assert not staging.exists() and not (tmp_path / ".out.newsgen-lock").exists()
    assert "Story zero, edited" in (out / "index.html").read_text() or "Story zero, edited" in (
        out / "2021/05/01/story-zero-edited/index.html").read_text()


def _newsroom_of_400(make_site) -> Path:
    return make_site({f"content/{i:04}.md": article(f"Story {i}", date="2021-05-01T10:00:00Z", tags=[f"t{i % 40}"],
                                                     body="Words. " * 300) for i in range(400)})


def _kill_a_build_when(site: Path, out: Path, ready: Callable[[Path], bool]) -> None:
    """Start a build of three edited stories and SIGKILL it once ready(staging folder) holds; the served
    site must be as it was, and the next build equal a clean one."""
    before = snapshot(out)
    for name in ("0001", "0002", "0003"):
        (site / f"content/{name}.md").write_text(article(f"Story {name}, edited again", date="2021-05-02T10:00:00Z"))
    staging = out.parent / f".{out.name}.newsgen-staging"
    process = subprocess.Popen([sys.executable, "-m", "newsgen", "build", site, "-o", out],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not ready(staging) and time.monotonic() < deadline:
        time.sleep(0.001)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert staging.exists(), "the build finished before it could be killed"
    assert snapshot(out) == before

    assert run_newsgen("build", site, "-o", out).returncode == 0
    clean = out.parent / "clean"
    assert run_newsgen("build", site, "-o", clean).returncode == 0
    assert snapshot(out) == snapshot(clean)
    assert "Story 0002, edited again" in (out / "index.html").read_text()


def test_a_build_killed_while_updating_the_recycled_tree_leaves_the_site_and_the_next_build_is_exact(
        make_site, tmp_path: Path) -> None:
    """The tree a swap retires is kept and updated by the next build: a kill in the middle of that update
    must neither show in the served site nor leak into a later build."""
    site = _newsroom_of_400(make_site)
    out = tmp_path / "out"
    assert run_newsgen("build", site, "-o", out).returncode == 0
    (site / "content/0001.md").write_text(article("Story one, edited", date="2021-05-01T10:00:00Z"))
    assert run_newsgen("build", site, "-o", out).returncode == 0
    assert (tmp_path / ".out.newsgen-cache" / "spare" / ".newsgen-manifest.json").is_file(), \
        "the replaced tree is kept for the next build"
    _kill_a_build_when(site, out, lambda staging: staging.exists())


def test_a_build_killed_while_linking_the_served_files_leaves_the_site_and_the_next_build_is_exact(
        make_site, tmp_path: Path) -> None:
    """With no spare tree yet (a cold build, then one that changed nothing), a changed build starts its
    staging folder as hard links to the served files: killing it there must not show in the served site."""
    site = _newsroom_of_400(make_site)
    out = tmp_path / "out"
    assert run_newsgen("build", site, "-o", out).returncode == 0
    assert run_newsgen("build", site, "-o", out).returncode == 0
    assert not (tmp_path / ".out.newsgen-cache" / "spare").exists()
    _kill_a_build_when(site, out, lambda staging: staging.exists() and any(staging.iterdir()))


def test_a_second_build_is_refused_while_one_runs_and_the_lock_names_it(make_site, tmp_path: Path) -> None:
    site = make_site({"content/x.md": article("Locked")})
    out = tmp_path / "out"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / ".out.newsgen-lock").write_text(str(sleeper.pid))
        result = run_newsgen("build", site, "-o", out)
        assert result.returncode == 2
        assert f"process {sleeper.pid}" in result.stderr
        assert not out.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    result = run_newsgen("build", site, "-o", out)  # the lock of a dead process is stale
    assert result.returncode == 0, result.stderr


@pytest.fixture
def small_tmpfs(tmp_path: Path):
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", mount_point], check=True)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", mount_point], check=False)


def test_a_full_disk_and_a_read_only_folder_keep_the_previous_site(make_site, small_tmpfs: Path) -> None:
    # search off: Pagefind's script and WebAssembly alone would fill this small disk
    site = make_site({"content/x.md": article("Small site"), "newsgen.yaml": "search: false\n"})
    out = small_tmpfs / "out"
    assert run_newsgen("build", site, "-o", out).returncode == 0
    before = snapshot(out)
    big = {f"content/{i}.md": article(f"Big story {i}", tags=[f"tag {i}"], body="Long words here. " * 2000)
           for i in range(40)}
    write_tree(site, big)
    result = run_newsgen("build", site, "-o", out)
    assert result.returncode == 2 and "No space left on device" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(out) == before
    assert sorted(p.name for p in small_tmpfs.iterdir()) == [".out.newsgen-cache", "out"]
    for path in site.glob("content/[0-9]*.md"):
        path.unlink()
    (site / "content/x.md").write_text(article("Small site, edited"))
    subprocess.run(["mount", "-o", "remount,ro", small_tmpfs], check=True)
    result = run_newsgen("build", site, "-o", out)
    assert result.returncode == 2 and "Read-only file system" in result.stderr, result.stderr
    assert snapshot(out) == before


def test_builds_are_reproducible_across_paths_zones_locales_and_file_order(tmp_path: Path) -> None:
    files = {f"content/{name}.md": article(f"Story {name}", date="2021-05-25T10:00:00Z", tags=["Tie", name])
             for name in ("b", "a", "c")}
    results = []
    for index, (order, env) in enumerate([
        (list(files), {"TZ": "UTC", "LANG": "C.UTF-8", "PYTHONHASHSEED": "1"}),
        (list(reversed(files)), {"TZ": "Asia/Tokyo", "LANG": "de_DE.UTF-8", "PYTHONHASHSEED": "2"}),
    ]):
        site = tmp_path / f"checkout-{index}" / "deep" / "site"
        for offset, name in enumerate(order):
            write_tree(site, {name: files[name]})
            os.utime(site / name, (1_000_000 + offset * 7 * index, 1_000_000 + offset * 7 * index))
        out = tmp_path / f"out-{index}"
        result = run_newsgen("build", site, "-o", out, env={**env, "SOURCE_DATE_EPOCH": "1700000000"})
        assert result.returncode == 0, result.stderr
        results.append(snapshot(out))
    assert results[0] == results[1]
    home = lxml.html.fromstring(results[0]["index.html"])
    # equal dates: the documented tie-break is the source path
    assert [" ".join(a.text_content().split()) for a in home.xpath("//main//h2/a")] == ["Story a", "Story b", "Story c"]


@pytest.mark.parametrize("second", ["nothing changed", "an article edited"])
def test_a_link_planted_in_the_served_site_never_brings_its_target_into_a_later_build(
        make_site, tmp_path: Path, second: str) -> None:
    """Whoever can write to the served folder must not make newsgen publish a file from elsewhere, or write
    through a link: a page replaced by a symbolic link is rendered again, and the link is gone."""
    site = make_site({"content/a.md": article("A", tags=["Energy"]), "content/b.md": article("B", tags=["Energy"])})
    out = tmp_path / "out"
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the web\n")
    assert run_newsgen("build", site, "-o", out).returncode == 0
    (site / "content/b.md").write_text(article("B, edited", tags=["Energy"]))
    assert run_newsgen("build", site, "-o", out).returncode == 0  # retires the cold build's tree as the spare
    assert run_newsgen("build", site, "-o", out).returncode == 0  # nothing changed
    for page in ("tags/index.html", "tag/energy/index.html"):
        (out / page).unlink()
        (out / page).symlink_to(secret)
    for number in range(2):  # the first build replaces the links; the second recycles the tree that had them
        if second == "an article edited":
            (site / "content/a.md").write_text(article(f"A, edited {number}", tags=["Energy"]))
        assert run_newsgen("build", site, "-o", out).returncode == 0
        assert not any(p.is_symlink() for p in out.rglob("*"))
        assert secret.read_text() == "not for the web\n"
        assert all(b"not for the web" not in p.read_bytes() for p in out.rglob("*") if p.is_file())
    clean = tmp_path / "clean"
    assert run_newsgen("build", site, "-o", clean).returncode == 0
    assert snapshot(out) == snapshot(clean)
