"""Change detection for `newsgen serve`: which paths rebuild, how bursts collapse, what a scan sees."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from newsgen.watch import IGNORE, REBUILD, Debounce, Watcher, changed, classify, scan


@pytest.mark.parametrize(("path", "action"), [
    ("newsgen.yaml", REBUILD),
    ("taxonomies.yaml", REBUILD),
    ("content/2021-05-25-geneva.md", REBUILD),
    ("content/world/europe/summit.md", REBUILD),
    ("templates/article.html", REBUILD),
    ("templates/partials/_byline.html", REBUILD),
    ("static/assets/style.css", REBUILD),
    ("static/images/photo.JPG", REBUILD),
    ("static/robots-extra.txt", REBUILD),
    # editor temp, swap and backup files
    ("content/.summit.md.swp", IGNORE),
    ("content/.summit.md.swx", IGNORE),
    ("content/summit.md.swp", IGNORE),
    ("content/summit.md~", IGNORE),
    ("content/4913", IGNORE),
    ("content/#summit.md#", IGNORE),
    ("content/.#summit.md", IGNORE),
    ("templates/base.html___jb_tmp___", IGNORE),
    ("templates/base.html___jb_old___", IGNORE),
    ("static/style.css.tmp", IGNORE),
    ("static/style.css.bak", IGNORE),
    ("static/style.css.orig", IGNORE),
    ("content/summit.md.kate-swp", IGNORE),
    ("static/video.mp4.crdownload", IGNORE),
    ("static/.DS_Store", IGNORE),
    ("static/Thumbs.db", IGNORE),
    ("content/.hidden/summit.md", IGNORE),
    # outside the sources
    ("build/index.html", IGNORE),
    (".git/index", IGNORE),
    (".venv/lib/site.py", IGNORE),
    ("README.md", IGNORE),
    ("newsgen.yaml.swp", IGNORE),
    ("content", IGNORE),
    ("", IGNORE),
    ("../content/x.md", IGNORE),
])
def test_classify(path: str, action: str) -> None:
    assert classify(path) == action


def test_a_burst_of_saves_is_one_batch_once_quiet() -> None:
    debounce = Debounce(quiet=0.1, longest=2.0)
    assert debounce.due(0.0) is None
    debounce.add({"content/a.md", "content/.a.md.swp"}, now=1.00)
    debounce.add({"content/b.md"}, now=1.05)
    assert debounce.due(1.10) is None  # b came 0.05 s ago: the burst may go on
    debounce.add({"templates/base.html"}, now=1.12)
    assert debounce.due(1.20) is None
    assert debounce.due(1.23) == {"content/a.md", "content/b.md", "templates/base.html"}
    assert debounce.due(5.0) is None  # the batch was handed out once


def test_ignored_changes_never_start_a_batch() -> None:
    debounce = Debounce(quiet=0.1)
    debounce.add({"content/.a.md.swp", "build/index.html", "content/4913"}, now=1.0)
    assert debounce.due(10.0) is None


def test_endless_changes_still_let_a_rebuild_through() -> None:
    debounce = Debounce(quiet=0.1, longest=1.0)
    for step in range(30):
        debounce.add({"content/live.md"}, now=step * 0.05)
        batch = debounce.due(step * 0.05)
        if batch:
            break
    assert batch == {"content/live.md"}
    assert step * 0.05 >= 1.0


def test_scan_sees_edits_additions_removals_and_renames(tmp_path: Path) -> None:
    (tmp_path / "content/world").mkdir(parents=True)
    (tmp_path / "templates").mkdir()
    (tmp_path / "newsgen.yaml").write_text("title: T\n")
    (tmp_path / "content/world/a.md").write_text("one")
    (tmp_path / "content/b.md").write_text("two")
    (tmp_path / "build").mkdir()
    (tmp_path / "build/index.html").write_text("not a source")
    before = scan(tmp_path)
    assert set(before) == {"newsgen.yaml", "content/world/a.md", "content/b.md"}

    (tmp_path / "content/world/a.md").write_text("one, longer")
    (tmp_path / "content/b.md").rename(tmp_path / "content/c.md")
    (tmp_path / "templates/base.html").write_text("<html>")
    after = scan(tmp_path)
    assert changed(before, after) == {"content/world/a.md", "content/b.md", "content/c.md", "templates/base.html"}
    assert changed(after, scan(tmp_path)) == set()


def test_scan_sees_an_atomic_save_of_equal_size(tmp_path: Path) -> None:
    """Editors save by writing a temp file and renaming it over the original: a new inode."""
    (tmp_path / "content").mkdir()
    target = tmp_path / "content/a.md"
    target.write_text("aaaa")
    before = scan(tmp_path)
    temp = tmp_path / "content/.a.md.tmp"
    temp.write_text("bbbb")
    os.utime(temp, ns=(before["content/a.md"][0],) * 2)  # same mtime, same size
    os.replace(temp, target)
    assert changed(before, scan(tmp_path)) == {"content/a.md"}


@pytest.mark.parametrize("notify", [True, False], ids=["inotify", "polling"])
def test_watcher_returns_one_batch_for_a_checkout_like_burst(tmp_path: Path, notify: bool) -> None:
    (tmp_path / "content").mkdir()
    watcher = Watcher(tmp_path, interval=0.01, debounce=Debounce(quiet=0.3), notify=notify)
    for number in range(20):
        (tmp_path / f"content/{number}-story.md").write_text("text")
        (tmp_path / f"content/.{number}-story.md.swp").write_text("swap")
    batch = watcher.wait(threading.Event())
    assert batch == {f"content/{number}-story.md" for number in range(20)}


def test_watcher_stops_when_asked(tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()
    assert Watcher(tmp_path, interval=0.01).wait(stop) is None


def _next_batch(watcher: Watcher, action: Callable[[], object], patience: float = 10) -> frozenset[str] | None:
    """The batch the watcher returns after `action`, giving up after `patience` seconds."""
    stop = threading.Event()
    timer = threading.Timer(patience, stop.set)
    timer.start()
    action()
    try:
        return watcher.wait(stop)
    finally:
        timer.cancel()


@pytest.mark.parametrize("notify", [True, False], ids=["inotify", "polling"])
def test_watcher_sees_what_editors_and_git_do(tmp_path: Path, notify: bool) -> None:
    (tmp_path / "content/world").mkdir(parents=True)
    (tmp_path / "content/world/a.md").write_text("one")
    (tmp_path / "content/b.md").write_text("two")
    (tmp_path / "newsgen.yaml").write_text("title: T\n")
    watcher = Watcher(tmp_path, interval=0.01, notify=notify, full_scan=600)  # no safety-net scans here
    assert (watcher._notify is not None) == (notify and sys.platform.startswith("linux"))

    def atomic_save() -> None:
        (tmp_path / "content/.b.md.tmp").write_text("TWO")
        os.replace(tmp_path / "content/.b.md.tmp", tmp_path / "content/b.md")

    def new_folder() -> None:  # a checkout bringing a whole folder, moved in at once
        (tmp_path / "incoming/deep").mkdir(parents=True)
        (tmp_path / "incoming/deep/c.md").write_text("three")
        os.rename(tmp_path / "incoming", tmp_path / "content/incoming")

    assert _next_batch(watcher, atomic_save) == {"content/b.md"}
    assert _next_batch(watcher, lambda: (tmp_path / "content/world/a.md").write_text("one!")) == {"content/world/a.md"}
    assert _next_batch(watcher, new_folder) == {"content/incoming/deep/c.md"}
    # the folder moved in is watched too
    assert _next_batch(watcher, lambda: (tmp_path / "content/incoming/deep/c.md").write_text("3")) == {
        "content/incoming/deep/c.md"}
    assert _next_batch(watcher, lambda: (tmp_path / "content/world/a.md").unlink()) == {"content/world/a.md"}
    assert _next_batch(watcher, lambda: (tmp_path / "taxonomies.yaml").write_text("tags: {}\n")) == {
        "taxonomies.yaml"}
    assert _next_batch(watcher, lambda: (tmp_path / "templates").mkdir() or (tmp_path / "templates/x.html")
                       .write_text("x")) == {"templates/x.html"}
    assert _next_batch(watcher, lambda: (tmp_path / "README.md").write_text("not a source"), 0.5) is None
    watcher.close()
