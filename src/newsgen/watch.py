"""Change detection for `newsgen serve`: which saved files matter, and one batch of them per rebuild.

watchfiles (the Rust `notify` crate) gets the events from the OS: inotify on Linux, FSEvents on macOS,
ReadDirectoryChangesW on Windows. It also collects a burst of saves into one batch: a batch is handed
over once `step_ms` passed with nothing new, or after `debounce_ms` at most, so files written
without end still let rebuilds through. Two pieces:

- classify(path) -> REBUILD or IGNORE for one changed site-relative path (pure);
- Watcher: watches the sources, returns one batch of changed source paths per rebuild.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path, PurePath, PurePosixPath
from typing import Literal

# RustNotify, not watchfiles.watch(): it starts watching when made, so the saves made during serve's
# first build are not missed, and each wait() can take its own stop event. watchfiles documents it for
# direct use ("Rust backend direct usage") though its module is _rust_notify: pyproject.toml keeps
# watchfiles below 2, and tests/test_watch.py fails if its signature or behaviour changes.
from watchfiles._rust_notify import RustNotify, WatchfilesRustInternalError

from .formats import JEKYLL_FOLDERS
from .taxonomy import TAXONOMY_FILE

Action = Literal["rebuild", "ignore"]
REBUILD: Action = "rebuild"
IGNORE: Action = "ignore"

CONFIG_FILE = "newsgen.yaml"
SETTINGS_FILES = (CONFIG_FILE, TAXONOMY_FILE)
# a Jekyll site's own _posts/ and _drafts/ at its top are read by the build (formats.jekyll_roots) too
# translations/: the site's own wording of the theme's strings (i18n.OVERRIDES_DIR)
WATCHED_FOLDERS = ("content", "templates", "static", "translations", *JEKYLL_FOLDERS)

# Files editors and tools write next to the real one while saving: vim swap/backup and its 4913 probe,
# emacs lock/auto-save, JetBrains safe-write, GNU `sed -i` (sedXXXXXX, then renamed over the file),
# gedit/kate/nano backups, partial downloads, OS litter.
_TEMP_NAME = re.compile(
    r"""^(?:
        \..*                              # dotfiles: .foo.swp, .#lock, .DS_Store, .~lock.x#
      | \#.*\#                            # emacs auto-save
      | 4913                              # vim's write-permission probe
      | sed[A-Za-z0-9]{6}                 # GNU sed -i: mkstemp("sedXXXXXX"), never a dot in it
      | .*~                               # backups
      | .*\.(?:sw[a-p]|tmp|temp|bak|orig|rej|part|crdownload|kate-swp)
      | .*___jb_(?:tmp|old|bak)___
      | Thumbs\.db | desktop\.ini
    )$""",
    re.VERBOSE | re.IGNORECASE,
)


def classify(path: str) -> Action:
    """Whether a change to `path` (relative to the site folder, '/'-separated) needs a rebuild."""
    parts = PurePosixPath(path).parts
    if not parts or ".." in parts or parts[0] == "/":
        return IGNORE
    if len(parts) == 1 and parts[0] in SETTINGS_FILES:
        return REBUILD
    if len(parts) < 2 or parts[0] not in WATCHED_FOLDERS:
        return IGNORE  # build/, its cache, .git/, the README, ... never feed the site
    if any(part.startswith(".") for part in parts[1:-1]):
        return IGNORE  # hidden folders are never published either
    return IGNORE if _TEMP_NAME.match(parts[-1]) else REBUILD


def _polling_asked() -> bool:
    """WATCHFILES_FORCE_POLLING, read as watchfiles.watch() reads it: for mounts that carry no events
    (some network, VM and container mounts), polling is the user's choice."""
    return os.environ.get("WATCHFILES_FORCE_POLLING", "").lower() not in ("", "false", "disable", "disabled")


_ADDED, _MODIFIED, _DELETED = 1, 2, 3  # watchfiles.Change


class Watcher:
    """Watches a site's sources; wait() returns the next batch of changed site-relative paths.

    Only the sources are watched, never the whole site folder: the output folder and its cache sit
    in it by default and hold a folder per page (300,000 at 100,000 articles), each of which would
    take an inotify watch, past the kernel's limit, and wake the watcher while `newsgen build` runs.
    So two Rust watchers: the site folder alone, not its subfolders (newsgen.yaml, taxonomies.yaml,
    a source folder coming or going), and the source folders with everything in them.
    """

    def __init__(self, site_dir: Path, step_ms: int = 25, debounce_ms: int = 2000,
                 force_polling: bool | None = None, poll_delay_ms: int = 300) -> None:
        self.site_dir = site_dir.resolve()
        self.step_ms, self.debounce_ms, self.poll_delay_ms = step_ms, debounce_ms, poll_delay_ms
        self.force_polling = _polling_asked() if force_polling is None else force_polling
        self._start_both()

    def _start_both(self) -> None:
        self._root = self._start([self.site_dir], recursive=False)
        self._sources = self._start_sources()

    def _start(self, paths: list[Path], recursive: bool) -> RustNotify:
        try:
            return RustNotify([str(path) for path in paths], False, self.force_polling, self.poll_delay_ms,
                              recursive, False)
        except FileNotFoundError:
            raise
        except OSError:
            if self.force_polling:
                raise
            # No events to be had (no inotify watches left, say): poll, as notify itself does where
            # the OS has no event API at all.
            self.force_polling = True
            return self._start(paths, recursive)

    def _start_sources(self) -> RustNotify:
        while True:
            try:
                return self._start([self.site_dir / name for name in WATCHED_FOLDERS
                                    if (self.site_dir / name).is_dir()], recursive=True)
            except FileNotFoundError:
                continue  # a source folder went away between the look and the watch: look again

    def wait(self, stop: threading.Event) -> frozenset[str] | None:
        """Block until a batch of changes that need a rebuild is due; None when `stop` is set first."""
        while not stop.is_set():
            # One thread, two watchers: both collect events all the time, on their own Rust threads,
            # so asking each in turn loses nothing. The sources are asked first and wait a step for
            # the burst to end; the site folder is asked right after, for what came in the meantime.
            try:
                batch = self._batch(self._take(self._sources, self.step_ms, stop) | self._take(self._root, 1, stop))
            except WatchfilesRustInternalError:
                # An event could not be read (a file name that is not UTF-8, no watches left for a new
                # folder), and a Rust watcher that failed stays failed. Start afresh, and have what
                # this moment's lost events may have touched read again: everything.
                self.close()
                self._start_both()
                batch = frozenset({f"{name}/" for name in WATCHED_FOLDERS if (self.site_dir / name).is_dir()}
                                  | {name for name in SETTINGS_FILES if (self.site_dir / name).is_file()})
            if batch:
                return batch
        return None

    def _take(self, notify: RustNotify, step_ms: int, stop: threading.Event | None) -> set[tuple[int, str]]:
        # timeout 1 ms: with nothing to report, the watcher hands back after one step
        found = notify.watch(self.debounce_ms, step_ms, 1, stop)
        if found == "signal":
            raise KeyboardInterrupt  # Ctrl-C or SIGTERM came while Rust held the thread: its handler ran
        return found if isinstance(found, set) else set()

    def _batch(self, changes: set[tuple[int, str]]) -> frozenset[str]:
        named = self._named(changes)
        if any(path in WATCHED_FOLDERS for _, path in named):
            # A source folder came or went: watch what is there now (the new watcher first, so that
            # no change slips between the two).
            old, self._sources = self._sources, self._start_sources()
            named |= self._named(self._take(old, 1, None))
            old.close()
        # A source folder that went took its files along unnamed: "templates/" says "read it all again".
        gone = {f"{path}/" for change, path in named if change == _DELETED and path in WATCHED_FOLDERS}
        return frozenset({path for _, path in named if classify(path) == REBUILD} | gone)

    def _named(self, changes: set[tuple[int, str]]) -> set[tuple[int, str]]:
        """The changes with site-relative paths. A folder moved in (a checkout, a `mv`) is one event, so
        its files are named too; a folder's own change is not one (a poll sees its mtime move when its
        entries change, and they are named)."""
        named = set()
        for change, path in changes:
            if change == _MODIFIED and os.path.isdir(path):
                continue
            named.add((change, self._relative(path)))
            if change == _ADDED and os.path.isdir(path):
                for folder, _, files in os.walk(path):
                    named |= {(_ADDED, f"{self._relative(folder)}/{name}") for name in files}
        return named

    def _relative(self, path: str) -> str:
        return PurePath(os.path.relpath(path, self.site_dir)).as_posix()

    def close(self) -> None:
        self._sources.close()
        self._root.close()
