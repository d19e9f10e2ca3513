"""Change detection for `newsgen serve`: which paths rebuild, how bursts collapse, what the OS tells."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from watchfiles._rust_notify import RustNotify

from newsgen.cache import cache_dir
from newsgen.watch import IGNORE, REBUILD, Watcher, classify


@pytest.mark.parametrize(("path", "action"), [
    ("newsgen.yaml", REBUILD),
    ("taxonomies.yaml", REBUILD),
    ("content/2021-05-25-geneva.md", REBUILD),
    ("content/world/europe/summit.md", REBUILD),
    ("_posts/2024-01-02-port-opens.md", REBUILD),  # a Jekyll site built in place
    ("_drafts/port-closes.md", REBUILD),
    ("_site/index.html", IGNORE),
    ("templates/article.html", REBUILD),
    ("templates/partials/_byline.html", REBUILD),
    ("static/assets/style.css", REBUILD),
    ("static/images/photo.JPG", REBUILD),
    ("static/robots-extra.txt", REBUILD),
    ("translations/fr.po", REBUILD),  # the site's own wording of the theme (i18n.py)
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
    ("content/sedAbC123", IGNORE),  # GNU sed -i writes ./sedXXXXXX, then renames it over the file
    ("content/world/sed8xZk2Q", IGNORE),
    ("content/sedan.md", REBUILD),  # a name that only starts like one
    ("static/sedimentary", REBUILD),
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



def _next_batch(watcher: Watcher, action: Callable[[], object], patience: float = 10) -> frozenset[str] | None:
    """The batch the watcher returns after `action`, giving up after `patience` seconds."""
    if watcher.force_polling:
        # notify 8's PollWatcher compares whole-second mtimes and sees only later ones: a polled edit
        # in the second of the one before goes unseen (so do real saves that fast, when polling)
        time.sleep(1.02 - time.time() % 1)
    stop = threading.Event()
    timer = threading.Timer(patience, stop.set)
    timer.start()
    action()
    try:
        return watcher.wait(stop)
    finally:
        timer.cancel()


def _watcher(site: Path, polling: bool, step_ms: int = 100) -> Watcher:
    """A longer quiet period than serve's, so that a loaded test machine does not split a burst in two."""
    return Watcher(site, step_ms=step_ms, force_polling=polling, poll_delay_ms=50)


MODES = pytest.mark.parametrize("polling", [False, True], ids=["events", "polling"])


@MODES
def test_watcher_returns_one_batch_for_a_checkout_like_burst(tmp_path: Path, polling: bool) -> None:
    (tmp_path / "content").mkdir()
    watcher = _watcher(tmp_path, polling, step_ms=300)

    def checkout() -> None:
        for number in range(20):
            (tmp_path / f"content/{number}-story.md").write_text("text")
            (tmp_path / f"content/.{number}-story.md.swp").write_text("swap")

    assert _next_batch(watcher, checkout) == {f"content/{number}-story.md" for number in range(20)}
    watcher.close()


def test_watcher_stops_when_asked(tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()
    assert Watcher(tmp_path).wait(stop) is None


def test_a_stop_ends_a_wait_promptly(tmp_path: Path) -> None:
    watcher = Watcher(tmp_path)
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    assert watcher.wait(stop) is None
    assert time.monotonic() - started < 1.0
    watcher.close()


@MODES
def test_watcher_sees_what_editors_and_git_do(tmp_path: Path, polling: bool) -> None:
    (tmp_path / "content/world").mkdir(parents=True)
    (tmp_path / "content/world/a.md").write_text("one")
    (tmp_path / "content/b.md").write_text("two")
    (tmp_path / "newsgen.yaml").write_text("title: T\n")
    watcher = _watcher(tmp_path, polling)

    def atomic_save() -> None:
        (tmp_path / "content/.b.md.tmp").write_text("TWO")
        os.replace(tmp_path / "content/.b.md.tmp", tmp_path / "content/b.md")

    def new_folder() -> None:  # a checkout bringing a whole folder, moved in at once
        (tmp_path / "incoming/deep").mkdir(parents=True)
        (tmp_path / "incoming/deep/c.md").write_text("three")
        os.rename(tmp_path / "incoming", tmp_path / "content/incoming")

    def new_source_folder() -> None:
        (tmp_path / "templates").mkdir()
        (tmp_path / "templates/x.html").write_text("x")

    assert _next_batch(watcher, atomic_save) == {"content/b.md"}
    assert _next_batch(watcher, lambda: (tmp_path / "content/world/a.md").write_text("one!")) == {
        "content/world/a.md"}
    # a folder that came is named with its files; one that went, alone (its files went with it)
    batch = _next_batch(watcher, new_folder)  # a poll also names the folder inside
    assert batch is not None and {"content/incoming", "content/incoming/deep/c.md"} <= batch <= {
        "content/incoming", "content/incoming/deep", "content/incoming/deep/c.md"}
    assert _next_batch(watcher, lambda: (tmp_path / "content/incoming/deep/c.md").write_text("3")) == {
        "content/incoming/deep/c.md"}  # the folder moved in is watched too
    assert _next_batch(watcher, lambda: (tmp_path / "content/world/a.md").unlink()) == {"content/world/a.md"}
    assert _next_batch(watcher, lambda: os.rename(tmp_path / "content/world", tmp_path / "away")) == {
        "content/world"}
    assert _next_batch(watcher, lambda: (tmp_path / "taxonomies.yaml").write_text("tags: {}\n")) == {
        "taxonomies.yaml"}
    assert _next_batch(watcher, lambda: (tmp_path / "newsgen.yaml").write_text("title: U\n")) == {"newsgen.yaml"}
    # a source folder that came after start-up is named by its files, one that went as "templates/"
    assert _next_batch(watcher, new_source_folder) == {"templates/x.html"}
    assert _next_batch(watcher, lambda: (tmp_path / "templates/x.html").write_text("y")) == {"templates/x.html"}
    batch = _next_batch(watcher, lambda: os.rename(tmp_path / "templates", tmp_path / "old"))
    assert batch is not None and {"templates/"} <= batch <= {"templates/", "templates/x.html"}  # a poll names it
    assert _next_batch(watcher, lambda: os.rename(tmp_path / "old", tmp_path / "templates")) == {
        "templates/x.html"}
    assert _next_batch(watcher, lambda: (tmp_path / "templates/x.html").write_text("z")) == {"templates/x.html"}
    assert _next_batch(watcher, lambda: (tmp_path / "README.md").write_text("not a source"), 0.5) is None
    watcher.close()


def test_a_symlinked_source_folder_is_watched_through_the_link(tmp_path: Path) -> None:
    """content/ kept elsewhere in the site (a second repository, say) and linked in: the build reads it
    through the link, so its changes count, under the name the build gives them."""
    (tmp_path / "newsroom-articles/world").mkdir(parents=True)
    (tmp_path / "newsroom-articles/world/a.md").write_text("one")
    (tmp_path / "content").symlink_to(tmp_path / "newsroom-articles", target_is_directory=True)
    watcher = Watcher(tmp_path)
    assert _next_batch(watcher, lambda: (tmp_path / "newsroom-articles/world/a.md").write_text("two")) == {
        "content/world/a.md"}
    assert _next_batch(watcher, lambda: (tmp_path / "newsroom-articles/world/b.md").write_text("new")) == {
        "content/world/b.md"}
    watcher.close()


def _vim(target: Path) -> None:
    """vim's default save: probe the folder with 4913, back the file up by renaming it, write anew."""
    folder, name = target.parent, target.name
    (folder / "4913").write_text("")
    (folder / "4913").unlink()
    (folder / f".{name}.swp").write_text("swap")
    target.rename(folder / f"{name}~")
    target.write_text("saved by vim")
    (folder / f"{name}~").unlink()
    (folder / f".{name}.swp").unlink()


def _emacs(target: Path) -> None:
    folder, name = target.parent, target.name
    (folder / f".#{name}").symlink_to("someone@host.1234:1700000000")  # the lock: a dangling link
    (folder / f"#{name}#").write_text("auto-saved")
    target.write_text("saved by emacs")
    (folder / f"#{name}#").unlink()
    (folder / f".#{name}").unlink()


def _jetbrains(target: Path) -> None:
    """'Safe write': write a temp file, move the original aside, move the temp in, drop the original."""
    folder, name = target.parent, target.name
    (folder / f"{name}___jb_tmp___").write_text("saved by an IDE")
    target.rename(folder / f"{name}___jb_old___")
    (folder / f"{name}___jb_tmp___").rename(target)
    (folder / f"{name}___jb_old___").unlink()


def _sed(target: Path) -> None:
    subprocess.run(["sed", "-i", "s/one/two/", str(target)], check=True)  # writes ./sedXXXXXX, renames it


@pytest.mark.parametrize("save", [_vim, _emacs, _jetbrains, _sed], ids=["vim", "emacs", "jetbrains", "sed-i"])
def test_an_editors_save_is_one_change_of_the_file_saved(tmp_path: Path, save: Callable[[Path], None]) -> None:
    if save is _sed and shutil.which("sed") is None:
        pytest.skip("no sed here")
    (tmp_path / "content/world").mkdir(parents=True)
    target = tmp_path / "content/world/a.md"
    target.write_text("one")
    watcher = Watcher(tmp_path, step_ms=200)  # a save's steps all in one batch, even on a loaded machine
    assert _next_batch(watcher, lambda: save(target)) == {"content/world/a.md"}
    assert _next_batch(watcher, lambda: None, 0.5) is None  # no temp file left a change behind
    watcher.close()


def test_endless_changes_still_let_a_rebuild_through(tmp_path: Path) -> None:
    """A log someone keeps in content/ never lets the folder fall quiet: the batch comes anyway."""
    (tmp_path / "content").mkdir()
    watcher = Watcher(tmp_path, step_ms=50, debounce_ms=300)
    done = threading.Event()

    def write_forever() -> None:
        number = 0
        while not done.wait(0.01):  # a new file every 10 ms: never 50 ms of quiet
            (tmp_path / f"content/log-{number}.md").write_text("line")
            number += 1

    writer = threading.Thread(target=write_forever)
    writer.start()
    try:
        started = time.monotonic()
        batch = _next_batch(watcher, lambda: None, patience=5)
        waited = time.monotonic() - started
    finally:
        done.set()
        writer.join()
        watcher.close()
    assert batch and all(path.startswith("content/log-") for path in batch)
    assert waited < 3


def _inotify_watches() -> int:
    """Watches this process holds, from /proc (Linux): one per watched folder."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == "anon_inode:inotify":
                with open(f"/proc/self/fdinfo/{fd}") as info:
                    count += sum(line.startswith("inotify wd:") for line in info)
        except OSError:
            continue  # closed meanwhile
    return count


def test_the_output_and_cache_folders_are_never_watched(tmp_path: Path) -> None:
    """build/ and its cache sit in the site folder by default and hold a folder per page: watching them
    would take a watch each (past the kernel's limit on a big archive) and wake on every build."""
    (tmp_path / "content/world").mkdir(parents=True)
    output, cache = tmp_path / "build", cache_dir(tmp_path / "build")
    for number in range(100):
        (output / f"2021/{number:02d}").mkdir(parents=True)
        (cache / f"2021/{number:02d}").mkdir(parents=True)
    before = _inotify_watches() if sys.platform.startswith("linux") else 0
    watcher = Watcher(tmp_path)
    if sys.platform.startswith("linux"):
        assert _inotify_watches() - before == 3  # the site folder, content/, content/world/

    def build_writes() -> None:
        for folder in (output, cache):
            (folder / "2021/new").mkdir(parents=True)
            (folder / "2021/new/index.html").write_text("page")
            (folder / "2021/00/index.html").write_text("page")
        os.rename(output, tmp_path / ".build.newsgen-staging")  # the swap of a finished build
        os.rename(tmp_path / ".build.newsgen-staging", output)

    assert _next_batch(watcher, build_writes, 0.5) is None
    watcher.close()


def test_changes_arrive_as_os_events_not_by_polling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Events, proved two ways, each of which a polling watcher fails (the control at the end shows it).

    watchfiles polls when asked to (force_polling, or WATCHFILES_FORCE_POLLING, cleared here so the CI's
    environment cannot decide), and notify falls back to its PollWatcher by itself where the OS has no
    event API (ENOSYS), so asking for events is no proof. So: (1) the Rust watchers say which backend
    they run: RustNotify's repr is its Debug form, `Recommended(INotifyWatcher ...)` (FsEventWatcher on
    macOS, ReadDirectoryChangesWatcher on Windows) against `Poll(PollWatcher ...)`; (2) the poll
    interval is set to a minute, and the save must still arrive within seconds, which no poll can do.
    """
    monkeypatch.delenv("WATCHFILES_FORCE_POLLING", raising=False)
    (tmp_path / "content").mkdir()
    backend = {"linux": "INotifyWatcher", "darwin": "FsEventWatcher", "win32": "ReadDirectoryChangesWatcher"}
    watcher = Watcher(tmp_path, poll_delay_ms=60_000)
    assert not watcher.force_polling
    for notify in (watcher._root, watcher._sources):
        assert repr(notify).startswith("RustNotify(Recommended("), repr(notify)
        assert backend.get(sys.platform, "") in repr(notify)
    started = time.monotonic()
    assert _next_batch(watcher, lambda: (tmp_path / "content/a.md").write_text("a"), 10) == {"content/a.md"}
    assert time.monotonic() - started < 10  # against a poll every 60 s
    watcher.close()

    polled = Watcher(tmp_path, force_polling=True, poll_delay_ms=60_000)  # the control
    assert all(repr(notify).startswith("RustNotify(Poll(") for notify in (polled._root, polled._sources))
    assert _next_batch(polled, lambda: (tmp_path / "content/b.md").write_text("b"), 1) is None
    polled.close()


def test_watchfiles_force_polling_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """For mounts that carry no events (some network, VM and container mounts)."""
    monkeypatch.setenv("WATCHFILES_FORCE_POLLING", "1")
    watcher = Watcher(tmp_path)
    assert watcher.force_polling and repr(watcher._root).startswith("RustNotify(Poll(")
    watcher.close()
    monkeypatch.setenv("WATCHFILES_FORCE_POLLING", "false")
    assert not Watcher(tmp_path).force_polling


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="file names are bytes only on Linux")
def test_a_name_that_is_not_utf8_costs_a_full_reread_not_the_watcher(tmp_path: Path) -> None:
    """watchfiles cannot decode such a name, raises, and that Rust watcher stays broken: the Watcher starts
    afresh and has everything read again (the events of that moment are lost), then goes on as before."""
    (tmp_path / "content").mkdir()
    (tmp_path / "newsgen.yaml").write_text("title: T\n")
    watcher = Watcher(tmp_path)

    def latin1_name() -> None:
        os.close(os.open(os.fsencode(tmp_path) + b"/content/caf\xe9.md", os.O_CREAT | os.O_WRONLY))

    assert _next_batch(watcher, latin1_name) == {"content/", "newsgen.yaml"}
    assert _next_batch(watcher, lambda: (tmp_path / "content/a.md").write_text("a")) == {"content/a.md"}
    watcher.close()


def test_no_events_to_be_had_means_polling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Out of inotify watches (fs.inotify.max_user_watches), say: notify raises OSError, the Watcher polls."""
    def no_watches_left(paths: list[str], debug: bool, force_polling: bool, poll_delay_ms: int, recursive: bool,
                        ignore_permission_denied: bool) -> object:
        if not force_polling:
            raise OSError(28, "OS file watch limit reached")
        return RustNotify(paths, debug, force_polling, poll_delay_ms, recursive, ignore_permission_denied)

    monkeypatch.setattr("newsgen.watch.RustNotify", no_watches_left)
    (tmp_path / "content").mkdir()
    watcher = Watcher(tmp_path, force_polling=False, poll_delay_ms=50)
    assert watcher.force_polling
    assert _next_batch(watcher, lambda: (tmp_path / "content/a.md").write_text("a")) == {"content/a.md"}
    watcher.close()
