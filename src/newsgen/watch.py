"""Change detection for `newsgen serve`: which saved files matter, and when a burst of saves is over.

Scanning os.scandir stamps is the ground truth: no dependency, the same on every OS, file system and
container mount. But a scan of 10,000 articles costs ~40 ms of CPU, too much to repeat every 25 ms, so
on Linux the kernel's inotify (through ctypes, no dependency either) says which files to look at, and
a full scan runs only every few seconds as a safety net (a symlinked file's target, a full event
queue) or when a folder came or went. Three pieces, the first two pure so they can be tested without
clocks or disks:

- classify(path) -> REBUILD or IGNORE for one changed site-relative path;
- Debounce: collects changed paths and says when the burst is over (quiet for a moment);
- Watcher: watches the site, feeds the debounce, returns one batch of changes per rebuild.
"""

from __future__ import annotations

import ctypes
import os
import re
import select
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from .taxonomy import TAXONOMY_FILE

Action = Literal["rebuild", "ignore"]
REBUILD: Action = "rebuild"
IGNORE: Action = "ignore"

CONFIG_FILE = "newsgen.yaml"
SETTINGS_FILES = (CONFIG_FILE, TAXONOMY_FILE)
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
    if len(parts) == 1 and parts[0] in SETTINGS_FILES:
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
    for name in SETTINGS_FILES:
        stamp = _stamp(site_dir / name)
        if stamp is not None:
            found[name] = stamp
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


def _stamp(path: Path) -> Stamp | None:
    try:
        stat = os.stat(path)  # follows a symlinked file, as scan does
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino) if not os.path.isdir(path) else None


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


# inotify(7) constants
_IN_MODIFY, _IN_ATTRIB, _IN_CLOSE_WRITE = 0x2, 0x4, 0x8
_IN_MOVED_FROM, _IN_MOVED_TO, _IN_CREATE, _IN_DELETE = 0x40, 0x80, 0x100, 0x200
_IN_DELETE_SELF, _IN_MOVE_SELF, _IN_Q_OVERFLOW, _IN_IGNORED = 0x400, 0x800, 0x4000, 0x8000
_IN_ONLYDIR, _IN_DONT_FOLLOW, _IN_ISDIR = 0x1000000, 0x2000000, 0x40000000
_MASK = (_IN_MODIFY | _IN_ATTRIB | _IN_CLOSE_WRITE | _IN_MOVED_FROM | _IN_MOVED_TO | _IN_CREATE | _IN_DELETE
         | _IN_DELETE_SELF | _IN_MOVE_SELF | _IN_ONLYDIR)
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, length of the name that follows


class Notify:
    """Which watched paths the kernel saw change (Linux inotify). `open` returns None where there is
    no inotify (another OS, no watches left): the Watcher then polls."""

    def __init__(self, site_dir: Path, libc: ctypes.CDLL, fd: int):
        self.site_dir = site_dir
        self._libc = libc
        self.fd = fd
        self._folders: dict[int, str] = {}  # watch descriptor -> site-relative folder ("" for the site)
        self.failed = False  # a new folder could not be watched: the Watcher goes back to polling

    @classmethod
    def open(cls, site_dir: Path) -> Notify | None:
        if not sys.platform.startswith("linux"):
            return None
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        except (OSError, AttributeError):
            return None
        if fd < 0:
            return None
        notify = cls(site_dir, libc, fd)
        if not (notify._add("", _MASK) and all(notify.add_tree(folder) for folder in WATCHED_FOLDERS)):
            notify.close()  # out of watches (fs.inotify.max_user_watches), say: poll instead
            return None
        return notify

    def _add(self, relative: str, mask: int) -> bool:
        path = os.fsencode(self.site_dir / relative if relative else self.site_dir)
        wd = self._libc.inotify_add_watch(self.fd, path, mask)
        if wd < 0:
            return ctypes.get_errno() in (2, 20)  # gone, or not a folder: nothing to watch, no failure
        self._folders[wd] = relative
        return True

    def add_tree(self, relative: str) -> bool:
        """Watch a folder and the folders in it (not hidden ones, not symlinked ones, as scan)."""
        if not self._add(relative, _MASK | (_IN_DONT_FOLLOW if "/" in relative else 0)):
            return False
        try:
            entries = list(os.scandir(self.site_dir / relative))
        except OSError:
            return True
        return all(self.add_tree(f"{relative}/{entry.name}") for entry in entries
                   if not entry.name.startswith(".") and entry.is_dir(follow_symlinks=False))

    def read(self, timeout: float) -> tuple[set[str], bool]:
        """(paths that may have changed, whether to scan everything) after waiting up to `timeout`."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        paths: set[str] = set()
        rescan = False
        while ready:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            offset = 0
            while offset < len(data):
                wd, mask, _, length = _EVENT.unpack_from(data, offset)
                name = os.fsdecode(data[offset + _EVENT.size : offset + _EVENT.size + length].rstrip(b"\0"))
                offset += _EVENT.size + length
                if mask & _IN_Q_OVERFLOW:
                    rescan = True
                    continue
                if mask & _IN_IGNORED:
                    self._folders.pop(wd, None)
                    continue
                folder = self._folders.get(wd)
                if folder is None or not name:
                    rescan = rescan or bool(mask & (_IN_DELETE_SELF | _IN_MOVE_SELF))
                    continue
                path = f"{folder}/{name}" if folder else name
                if mask & _IN_ISDIR:
                    if not folder and name not in WATCHED_FOLDERS or name.startswith("."):
                        continue  # build/, .git/, a hidden folder: never read
                    # a folder came or went: watch what came, and let a scan find the files it carried
                    if mask & (_IN_CREATE | _IN_MOVED_TO) and not self.add_tree(path):
                        self.failed = True
                    rescan = True
                    continue
                paths.add(path)
        return paths, rescan

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


@dataclass
class Watcher:
    """Watches a site folder; wait() returns the next debounced batch of changed source paths."""

    site_dir: Path
    interval: float = 0.025
    debounce: Debounce = field(default_factory=Debounce)
    clock: Callable[[], float] = time.monotonic
    notify: bool = True  # use inotify where there is one (else, or if False: a scan every interval)
    full_scan: float = 5.0  # with inotify, a scan this often anyway: a symlinked file's target can change

    def __post_init__(self) -> None:
        self._notify = Notify.open(self.site_dir) if self.notify else None  # first: no change slips between
        self._seen = scan(self.site_dir)
        self._scanned = self.clock()

    def wait(self, stop: threading.Event) -> frozenset[str] | None:
        """Block until a batch is due; None when `stop` is set first."""
        while not stop.is_set():
            if self._notify is None:
                if stop.wait(self.interval):
                    break
                self._rescan()
            else:
                paths, rescan = self._notify.read(self.interval)
                if self._notify.failed:
                    self.close()
                    self._notify = None
                if rescan or self.clock() - self._scanned >= self.full_scan:
                    self._rescan()
                else:
                    self._look_at(paths)
            batch = self.debounce.due(self.clock())
            if batch:
                return batch
        return None

    def _rescan(self) -> None:
        now_seen = scan(self.site_dir)
        self.debounce.add(changed(self._seen, now_seen), self.clock())
        self._seen = now_seen
        self._scanned = self.clock()

    def _look_at(self, paths: set[str]) -> None:
        """Stamp just the paths the kernel named (what the next scan would find for them)."""
        found = set()
        for path in paths:
            if classify(path) != REBUILD:
                continue
            stamp = _stamp(self.site_dir / path)
            if stamp != self._seen.get(path):
                found.add(path)
                if stamp is None:
                    self._seen.pop(path, None)
                else:
                    self._seen[path] = stamp
        self.debounce.add(found, self.clock())

    def close(self) -> None:
        if self._notify is not None:
            self._notify.close()
