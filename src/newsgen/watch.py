"""Change detection for `newsgen serve`: which saved files matter, and when a burst of saves is over.

Polling os.scandir mtimes rather than inotify: no dependency, works the same on every OS, file system
and container mount, and a scan of a few thousand files takes milliseconds. Three pieces, the first
two pure so they can be tested without clocks or disks:

- classify(path) -> REBUILD or IGNORE for one changed site-relative path;
- Debounce: collects changed paths and says when the burst is over (quiet for a moment);
- Watcher: scans the site, feeds the debounce, returns one batch of changes per rebuild.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

Action = Literal["rebuild", "ignore"]
REBUILD: Action = "rebuild"
IGNORE: Action = "ignore"

CONFIG_FILE = "newsgen.yaml"
WATCHED_FOLDERS = ("content", "templates", "static")

# Files editors and tools write next to the real one while saving: vim swap/backup and its 4913 probe,
# emacs lock/auto-save, JetBrains safe-write, gedit/kate/nano backups, partial downloads, OS litter.
_TEMP_NAME = re.compile(
    r"""^(?:
        \..*                              # dotfiles: .foo.swp, .#lock, .DS_Store, .~lock.x#
      | \#.*\#                            # emacs auto-save
      | 4913                              # vim's write-permission probe
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
    if parts == (CONFIG_FILE,):
        return REBUILD
    if len(parts) < 2 or parts[0] not in WATCHED_FOLDERS:
        return IGNORE  # build/, .git/, the README, ... never feed the site
    if any(part.startswith(".") for part in parts[1:-1]):
        return IGNORE  # hidden folders are never published either
    return IGNORE if _TEMP_NAME.match(parts[-1]) else REBUILD


Stamp = tuple[int, int, int]  # mtime_ns, size, inode: an atomic rename-over changes the inode


def scan(site_dir: Path) -> dict[str, Stamp]:
    """Stamps of every watched file, keyed by site-relative path. Symlinked folders are not entered."""
    found: dict[str, Stamp] = {}
    try:
        stat = os.stat(site_dir / CONFIG_FILE)
        found[CONFIG_FILE] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    except OSError:
        pass
    for folder in WATCHED_FOLDERS:
        _scan_folder(site_dir / folder, folder, found)
    return found


def _scan_folder(folder: Path, relative: str, found: dict[str, Stamp]) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return  # missing, or removed while we looked: its files simply are not there
    for entry in entries:
        name = f"{relative}/{entry.name}"
        try:
            if entry.is_dir(follow_symlinks=False):
                if not entry.name.startswith("."):
                    _scan_folder(Path(entry.path), name, found)
            else:
                stat = entry.stat()  # follows a symlinked file: its target's edits count
                found[name] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except OSError:
            continue


def changed(before: dict[str, Stamp], after: dict[str, Stamp]) -> set[str]:
    """Paths added, removed or modified between two scans."""
    return {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}


@dataclass
class Debounce:
    """Gathers relevant changes; a batch is due once nothing new came for `quiet` seconds.

    `longest` caps the wait so a file rewritten forever (a log someone put in content/) still
    lets rebuilds through.
    """

    quiet: float = 0.05
    longest: float = 2.0
    pending: set[str] = field(default_factory=set)
    first: float | None = None
    last: float | None = None

    def add(self, paths: set[str] | frozenset[str], now: float) -> None:
        relevant = {path for path in paths if classify(path) == REBUILD}
        if not relevant:
            return
        self.pending |= relevant
        self.first = now if self.first is None else self.first
        self.last = now

    def due(self, now: float) -> frozenset[str] | None:
        """The finished batch (and start over), or None while the burst goes on or nothing changed."""
        if self.first is None or self.last is None:
            return None
        if now - self.last < self.quiet and now - self.first < self.longest:
            return None
        batch = frozenset(self.pending)
        self.pending, self.first, self.last = set(), None, None
        return batch


@dataclass
class Watcher:
    """Polls a site folder; wait() returns the next debounced batch of changed source paths."""

    site_dir: Path
    interval: float = 0.025
    debounce: Debounce = field(default_factory=Debounce)
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._seen = scan(self.site_dir)

    def wait(self, stop: threading.Event) -> frozenset[str] | None:
        """Block until a batch is due; None when `stop` is set first."""
        while not stop.wait(self.interval):
            now_seen = scan(self.site_dir)
            self.debounce.add(changed(self._seen, now_seen), self.clock())
            self._seen = now_seen
            batch = self.debounce.due(self.clock())
            if batch:
                return batch
        return None
