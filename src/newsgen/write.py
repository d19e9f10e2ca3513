"""Writing the site: a staging folder beside the build folder, swapped in only when complete.

A failed or killed build leaves the previous site byte for byte as it was. Files whose bytes did not
change are hard-linked from the previous build instead of written again, and newsgen never deletes a
folder it did not create (it recognises its own by the manifest it leaves inside).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import json
import os
import pickle
import shutil
import stat
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from .background import BACKGROUND, Background, libc
from .errors import CacheUnreadable, Problem, UsageError

MANIFEST = ".newsgen-manifest.json"
SOURCE_FOLDERS = ("content", "templates", "static")


def _suffixed(output: Path, suffix: str) -> Path:
    return output.parent / f".{output.name}.newsgen-{suffix}"


def check_output_dir(output: Path, site_dir: Path) -> Path:
    """Refuse output folders that could destroy something; return the resolved folder."""
    if not str(output).strip():
        raise UsageError(Problem("the output folder is empty; give a folder such as 'build'", field="--output"))
    if output.is_symlink():
        raise UsageError(Problem(f"{output} is a symbolic link; give the real folder", field="--output"))
    resolved = output.resolve()
    site = site_dir.resolve()
    home = Path.home().resolve()
    reason = None
    if resolved == Path(resolved.anchor):
        reason = "is the root of the file system"
    elif resolved == home:
        reason = "is your home folder"
    elif site.is_relative_to(resolved):
        reason = "is or contains the site's source folder"
    elif any(resolved.is_relative_to(site / name) for name in SOURCE_FOLDERS):
        reason = "lies inside the site's sources (content/, templates/ or static/)"
    elif resolved.exists() and not resolved.is_dir():
        reason = "exists and is not a folder"
    elif resolved.is_dir() and any(resolved.iterdir()) and not (resolved / MANIFEST).is_file():
        reason = "already holds files newsgen did not create; empty it, remove it, or choose another folder"
    if reason:
        raise UsageError(Problem(f"refusing to build into {resolved}: it {reason}", field="--output"))
    return resolved


Stat = tuple[int, int, int]  # a file's size, mtime_ns and inode, from one stat
# In the cache folder (Staging.cache): the spare tree, and the Stat of every file of the served tree
# and of the spare when they were written. They are kept out of the build folders themselves, whose
# manifests must stay the same bytes for the same site (reproducible builds).
SPARE, SERVED_STATS, SPARE_STATS = "spare", "served.stats", "spare.stats"


@dataclass
class Manifest:
    """What a build folder holds: each file's sha256 by its manifest, and its Stat once it was in place,
    by the stats file kept for it. A file is trusted only while one stat of it says the same
    (unchanged()): hard links share a file between the served folder and the spare tree, so a write
    into either reaches both, and the manifest alone would vouch for the old bytes."""

    files: dict[str, str] = field(default_factory=dict)  # path -> sha256
    stats: dict[str, Stat] = field(default_factory=dict)
    sealed: int = 0  # when the stats were kept, by the file system's clock: see unchanged()


def read_manifest(root: Path) -> dict[str, str]:
    """path -> sha256 by a build folder's manifest; {} when there is none, ValueError when it cannot be read."""
    try:
        data, _ = read_regular(root / MANIFEST)
        files = json.loads(data)["files"]
        if not all(type(sha) is str for sha in files.values()):
            raise TypeError("a digest that is not a string")
        return files
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{root / MANIFEST}: {exc}") from None


def read_stats(path: Path) -> tuple[dict[str, Stat], int]:
    """What write_stats() kept: the Stat of each file of a tree, and when they were kept; nothing when
    there is no such file. CacheUnreadable when it cannot be read."""
    try:
        data, _ = read_regular(path)
    except FileNotFoundError:
        return {}, 0
    except OSError as exc:
        raise CacheUnreadable(f"{path}: {exc.strerror or exc}") from None
    try:
        sealed, stats = pickle.loads(unseal(data))
        if type(sealed) is not int or type(stats) is not dict:
            raise TypeError("not stats")
    except Exception as exc:
        raise CacheUnreadable(f"{path}: {type(exc).__name__}: {exc}") from None
    return stats, sealed


def write_stats(path: Path, stats: dict[str, Stat], sealed: int | None = None) -> None:
    """Keep the Stats of a tree's files, once they are all in place. `sealed`: when they were taken,
    by the file system's own clock: by default now, as the mtime of the file made to hold them (a later
    mtime than any of theirs, or the same in the same clock tick). Records carried from an earlier
    build keep that build's time: a file written in its last tick must still have its bytes checked."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as handle:
        if sealed is None:
            sealed = os.fstat(handle.fileno()).st_mtime_ns
        handle.write(seal(pickle.dumps((sealed, stats), pickle.HIGHEST_PROTOCOL)))
    os.replace(temporary, path)


SEAL = b"newsgen cache 1\n"


def seal(data: bytes) -> bytes:
    """The bytes of a cache file: a mark, a CRC-32 of the data, the data."""
    return SEAL + zlib.crc32(data).to_bytes(4, "little") + data


def unseal(data: bytes) -> bytes:
    """The data seal() sealed; ValueError when these bytes are not sealed, or not the bytes sealed."""
    start = len(SEAL) + 4
    if not data.startswith(SEAL) or len(data) < start or zlib.crc32(data[start:]) != int.from_bytes(
            data[len(SEAL):start], "little"):
        raise ValueError("damaged, or not newsgen's")
    return data[start:]


def open_regular(path: Path | str) -> BinaryIO:
    """A regular file opened to read, unbuffered. Whatever else is there is an OSError: a symbolic link
    (which could lead anywhere), a folder, or a FIFO (which a plain open() would wait on for ever)."""
    handle = open(path, "rb", buffering=0,
                  opener=lambda name, flags: os.open(name, flags | os.O_NOFOLLOW | os.O_NONBLOCK))
    if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
        handle.close()
        raise OSError(errno.EINVAL, "not a regular file", os.fspath(path))
    return handle


def read_regular(path: Path | str) -> tuple[bytes, os.stat_result]:
    """The bytes of a regular file (see open_regular), and its stat."""
    with open_regular(path) as handle:
        return handle.read(), os.fstat(handle.fileno())


def unchanged(path: str, sha: str, recorded: Stat | None, sealed: int) -> bool:
    """Whether `path` is still the file recorded: a regular file with the recorded size, mtime and inode.
    A write in the clock tick the file was written in leaves its mtime as it was, so a file recorded no
    earlier than its record was kept (`sealed`; "racily clean", as git says) has its bytes checked too.
    Those are the few files a build writes last; every other file costs one lstat."""
    try:
        now = os.lstat(path)
    except OSError:
        return False
    if recorded is None or not stat.S_ISREG(now.st_mode) or (now.st_size, now.st_mtime_ns, now.st_ino) != recorded:
        return False
    if now.st_mtime_ns < sealed:
        return True
    try:
        return digest(read_regular(path)[0]) == sha
    except OSError:
        return False


def stat_of(result: os.stat_result) -> Stat:
    return result.st_size, result.st_mtime_ns, result.st_ino


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BuildLocked(UsageError):
    pass


@dataclass
class Staging:
    """One build's output under construction. Use as a context manager; call commit() at the end.

    The staging folder starts from the *spare*: the tree the previous swap retired, kept in the cache
    folder with its manifest. Bringing it up to date costs one operation per changed file, where a
    fresh tree costs a link per file and a folder per page; either way the finished tree is swapped
    in whole, so a failed or killed build still leaves the served site as it was.
    """

    output: Path
    keep: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)  # path -> sha256 of this build's files
    stats: dict[str, Stat] = field(default_factory=dict)  # path -> Stat of this build's files (SERVED_STATS)
    previous: Manifest = field(default_factory=Manifest)  # the build being replaced
    cache: Path | None = None  # where the retired tree and the trees' Stats are kept (None: nowhere)
    written: int = 0  # files whose bytes differ from the previous build's (or are new)

    def __post_init__(self) -> None:
        self.spare = self.cache / SPARE if self.cache is not None else None
        self._served_stats = self.cache / SERVED_STATS if self.cache is not None else None
        self._spare_stats = self.cache / SPARE_STATS if self.cache is not None else None
        self.staging = _suffixed(self.output, "staging")
        self._old = _suffixed(self.output, "old")
        self._lock = _suffixed(self.output, "lock")
        self._staging_text = os.fspath(self.staging)
        self._folders: set[str] = set()  # folders of the staging tree made (or found) by _target
        self._present: set[str] | None = None
        self._not_files: list[str] = []  # what the served folder has that is neither a file nor a folder
        self.held = Manifest()  # what the staging folder holds already (a recycled spare), each file checked
        self._linker: Background[Manifest] | None = None  # linking the served files (prepare)
        self._intact: bool | None = None  # whether every served file is as the served manifest recorded it

    def __enter__(self) -> Staging:
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        try:
            self._recover_leftovers()
            try:
                files = read_manifest(self.output)
            except ValueError:
                files = {}  # the served folder is ours (check_output_dir) but nothing in it is vouched for
            # Without its files' Stats (no cache), nothing served is trusted: every file is written.
            stats, sealed = read_stats(self._served_stats) if self._served_stats is not None else ({}, 0)
            self.previous = Manifest(files, stats, sealed)
        except BaseException:
            self._release_lock()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._linker is not None:  # a failed build, or one that found everything current
            if exc_info[0] is not None:
                self._linker.stop()
            held = self._linker.result()
            self._linker = None
            if held is not None and self.spare is not None:
                # the links are what a swap would have retired: the next changed build starts from them
                try:
                    _write_manifest(self.staging, held.files)
                    self._shelve(self.staging, held)
                except OSError:
                    pass  # a spare only saves time: the folder is dropped below instead
        if self.staging.exists():  # a failed build: what the staging folder holds is unknown, drop it
            shutil.rmtree(self.staging, ignore_errors=True)
        self._release_lock()

    def _acquire_lock(self) -> None:
        for _ in range(2):
            try:
                fd = os.open(self._lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                pid = _read_pid(self._lock)
                if pid and process_alive(pid):
                    raise BuildLocked(Problem(
                        f"another newsgen build (process {pid}) is writing {self.output}; wait for it or stop it"
                    )) from None
                self._lock.unlink(missing_ok=True)  # a build that died: its lock is stale
                continue
            with os.fdopen(fd, "w") as handle:
                handle.write(str(os.getpid()))
            return
        raise BuildLocked(Problem(f"cannot lock {self._lock}"))

    def _release_lock(self) -> None:
        if _read_pid(self._lock) == os.getpid():
            self._lock.unlink(missing_ok=True)

    def _recover_leftovers(self) -> None:
        """Undo what a killed build left: a half-made staging folder, or a swap cut in the middle."""
        if self.staging.exists():
            shutil.rmtree(self.staging)
        if self._old.exists():
            if self.output.exists():
                shutil.rmtree(self._old)
            else:
                os.rename(self._old, self.output)

    def prepare(self) -> None:
        """With no spare tree, start linking the served files into the staging folder in a forked
        process while this one works out what to write: at 10,000 articles that is 22,000 links, some
        1.5 s of the file system's time, which then costs the build nothing. open_tree() takes the result."""
        if (self._linker is not None or (self.spare is not None and self.spare.is_dir()) or not self.previous.stats
                or not self.output.is_dir() or not BACKGROUND):
            return
        self.staging.mkdir()
        self._linker = Background(self._link_served)

    def open_tree(self) -> None:
        """Start the staging folder, from the spare tree when there is one, else from links to the
        served files (made by prepare(), or here). Called once the build knows it will write: a build
        that finds everything current leaves the spare where it is."""
        if self._linker is not None:
            held = self._linker.result()
            self._linker = None
            if held is None:  # the linking process failed: what it left is unknown, start again
                shutil.rmtree(self.staging)
            else:
                self.held = held
                return
        self.held = self._take_spare()
        if not self.held.files:
            self.staging.mkdir()
            self.held = self._link_served()

    def _take_spare(self) -> Manifest:
        """Move the spare tree into the staging folder; return what it holds (nothing when there is none).

        Every file is checked first (unchanged()): the spare shares its files with the served site, and
        a file changed in place in either must not be taken for the bytes its manifest names. One that
        fails, or a manifest that cannot be read, is a damaged cache (CacheUnreadable): the build starts
        again without one. The manifest goes before the rename: should this build die while the folder
        is half updated, nothing vouches for it any more and the next build deletes it instead."""
        if self.spare is None or not self.spare.is_dir():
            return Manifest()
        assert self._spare_stats is not None
        spare = os.fspath(self.spare)
        try:
            files = read_manifest(self.spare)
        except ValueError as exc:
            raise CacheUnreadable(str(exc)) from None
        held = Manifest(files, *read_stats(self._spare_stats))
        if not held.files or not held.stats:  # a build died while updating or shelving it
            shutil.rmtree(self.spare)
            return Manifest()
        for relative, sha in held.files.items():
            if not unchanged(f"{spare}/{relative}", sha, held.stats.get(relative), held.sealed):
                raise CacheUnreadable(f"{spare}/{relative} changed after newsgen wrote it")
        (self.spare / MANIFEST).unlink()
        os.rename(self.spare, self.staging)
        return held

    def _link_served(self) -> Manifest:
        """Hard-link every file the served folder's manifest vouches for, and which is still as it
        recorded (unchanged()), into the empty staging folder; return what it now holds (nothing on a
        first build).

        With no spare (the first changed build after a cold one, or no cache) this is the spare's
        stand-in: one lean pass over the served tree, after which a build costs one operation per
        changed file, where reuse() would link each unchanged file through _target(). The served folder
        is only read, and the links are recycled files like the spare's, never written into. Only
        regular files the manifest lists are linked (never the manifest itself, a stray, a symbolic
        link or a kept entry), and a folder is made only for a file, as a clean build makes them."""
        previous = self.previous
        held = Manifest(sealed=previous.sealed)  # its records are the served files' (see write_stats)

        def visit(source: str, target: str, prefix: str) -> None:
            made = False
            with os.scandir(source) as entries:
                for entry in entries:
                    if not prefix and entry.name in self.keep:
                        continue  # the deployment's own, and may be big (.git): not ours to walk
                    relative = prefix + entry.name
                    if entry.is_dir(follow_symlinks=False):
                        visit(entry.path, f"{target}/{entry.name}", f"{relative}/")
                        continue
                    sha = previous.files.get(relative)
                    if sha is None or not entry.is_file(follow_symlinks=False):
                        continue
                    if not made:
                        os.makedirs(target, exist_ok=True)
                        made = True
                    if _link_unchanged(entry.path, f"{target}/{entry.name}", sha, previous, relative):
                        held.files[relative] = sha
                        held.stats[relative] = previous.stats[relative]
                    # else not held: write() renders it again

        if previous.stats and self.output.is_dir():  # without them, no file would pass the check
            visit(os.fspath(self.output), os.fspath(self.staging), "")
        return held

    def _target(self, relative: str) -> str:
        """Where a file goes in the staging folder, with its folder made. Plain strings: a cold build
        stages 22,000 files at 10,000 articles, and pathlib's parsing cost more than its system calls."""
        parts = relative.split("/")
        if relative.startswith("/") or "\\" in relative or "\x00" in relative or any(
                part in ("", ".", "..") for part in parts):
            raise ValueError(f"unsafe output path {relative!r}")
        target = f"{self._staging_text}/{relative}"
        if relative in self.held.files:
            # Never write into a recycled file: it may be a hard link that the served site shares.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(target)
            return target
        folder = relative.rpartition("/")[0]
        if folder not in self._folders:
            if self.held.files:
                self._make_room(Path(target))
            self._make_folders(folder)
        return target

    def _make_folders(self, folder: str) -> None:
        """Make a folder of the staging tree and its missing parents: one mkdir for each folder made,
        where mkdir(parents=True) fails once for each missing parent first."""
        missing = []
        while folder and folder not in self._folders:
            missing.append(folder)
            folder = folder.rpartition("/")[0]
        for folder in reversed(missing):
            path = f"{self._staging_text}/{folder}"
            try:
                os.mkdir(path)
            except FileExistsError:  # a recycled tree's folder, or one another worker made
                if not os.path.isdir(path):
                    raise
            self._folders.add(folder)

    def _make_room(self, target: Path) -> None:
        """A recycled tree may hold a file where this build needs a folder, or the reverse."""
        for folder in reversed(target.parents):
            if folder.is_relative_to(self.staging) and folder != self.staging and folder.is_file():
                folder.unlink()
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)

    def write(self, relative: str, data: bytes) -> str:
        """Add a file; unchanged bytes are linked from the previous build instead of rewritten.
        Returns the sha256 of the bytes."""
        sha = digest(data)
        self.files[relative] = sha
        if self.held.files.get(relative) == sha:
            self.stats[relative] = self.held.stats[relative]
            self.written += self.previous.files.get(relative) != sha
            return sha
        target = self._target(relative)
        if self.previous.files.get(relative) == sha and self._link_previous(relative, target):
            return sha
        # previous file gone, changed, replaced by a link, or on another file system: write it
        self.written += 1
        with open(target, "wb") as handle:
            handle.write(data)
            handle.flush()  # then the last write is done: its size and mtime are the file's for good
            self.stats[relative] = stat_of(os.fstat(handle.fileno()))
        return sha

    def _link_previous(self, relative: str, target: str) -> bool:
        """Link the served file into the staging folder if it is still as the served manifest recorded it."""
        if not _link_unchanged(f"{self.output}/{relative}", target, self.previous.files[relative], self.previous,
                               relative):
            return False
        self.stats[relative] = self.previous.stats[relative]
        return True

    def reuse(self, relative: str, sha: str) -> bool:
        """Take a file of the previous build whose bytes are known to be `sha`, without having them.

        False when the previous build has no such file (then render and write() it)."""
        if self.previous.files.get(relative) != sha:
            return False
        if self.held.files.get(relative) == sha:
            self.stats[relative] = self.held.stats[relative]
        elif not self._link_previous(relative, self._target(relative)):
            return False
        self.files[relative] = sha
        return True

    def present(self) -> set[str]:
        """Every file in the build folder (kept files aside), as the file system has it."""
        if self._present is None:
            self._present = _files_under(self.output, self.keep, self._not_files)
        return self._present

    def is_current(self, files: dict[str, str]) -> bool:
        """True when the build folder holds exactly these files with these digests (by its manifest),
        each still as the manifest recorded it, and nothing else but kept files: then there is nothing
        to swap in."""
        if files != self.previous.files or not self.output.is_dir() or self.present() != set(files):
            return False
        if self._intact is None:
            output, previous = os.fspath(self.output), self.previous
            self._intact = all(unchanged(f"{output}/{path}", sha, previous.stats.get(path), previous.sealed)
                               for path, sha in files.items())
        return self._intact

    def record(self, relative: str, sha: str, written: bool, stat: Stat) -> None:
        """Account for a file another process put in the staging folder (parallel rendering)."""
        self.files[relative] = sha
        self.stats[relative] = stat
        self.written += written

    def commit(self) -> None:
        """Swap the finished staging folder in place of the previous build."""
        _remove_files(self.staging, [p for p in self.held.files if p not in self.files])
        self._carry_kept_files()
        _write_manifest(self.staging, self.files)
        if self._served_stats is not None:  # first: the served tree's Stats never vouch for another tree
            self._served_stats.unlink(missing_ok=True)
        if not self.output.exists():
            os.rename(self.staging, self.output)
        else:
            if _exchange(self.staging, self.output):  # atomic: the folder is never missing
                retired = self.staging
            else:
                os.rename(self.output, self._old)
                os.rename(self.staging, self.output)
                retired = self._old
            self._retire(retired)
        if self._served_stats is not None:
            write_stats(self._served_stats, self.stats)

    def _retire(self, tree: Path) -> None:
        """Keep the replaced tree as the next build's spare when it holds exactly its manifest's files."""
        if self.spare is None or not self.previous.stats:  # nothing in it could be trusted
            shutil.rmtree(tree)
            return
        for name in self.keep:  # the deployment's own files stay with the served folder only
            kept = tree / name
            if kept.is_dir() and not kept.is_symlink():
                shutil.rmtree(kept)
            else:
                kept.unlink(missing_ok=True)
        if self._present is None:  # not scanned before the swap: scan the tree as it was served
            self._present = _files_under(tree, self.keep, self._not_files)
        present = self._present
        previous = self.previous
        # Files this build needed with the same bytes and yet did not take from the tree: they failed
        # their check (changed in place), and kept in the spare, they would fail the next build's.
        changed = {path for path, sha in previous.files.items()
                   if self.files.get(path) == sha and self.stats.get(path) != previous.stats.get(path)}
        # strays someone put there, and links: a later write would go through a link to its target
        _remove_files(tree, sorted((present - set(previous.files)) | changed) + self._not_files)
        kept = {path: sha for path, sha in previous.files.items() if path in present and path not in changed}
        if kept != previous.files:  # files someone deleted or changed: the manifest must not vouch for them
            _write_manifest(tree, kept)
        self._shelve(tree, previous)

    def _shelve(self, tree: Path, records: Manifest) -> None:
        """Make a tree that holds exactly its manifest's files the spare, with these files' Stats."""
        assert self.spare is not None and self._spare_stats is not None
        self._spare_stats.unlink(missing_ok=True)  # first: no Stats ever vouch for another tree's files
        self.spare.parent.mkdir(parents=True, exist_ok=True)
        if self.spare.exists():
            shutil.rmtree(self.spare)
        os.rename(tree, self.spare)
        write_stats(self._spare_stats, records.stats, records.sealed)

    def _carry_kept_files(self) -> None:
        for name in self.keep:
            source = self.output / name
            if name in self.files or not (source.exists() or source.is_symlink()):
                continue
            if source.is_dir() and not source.is_symlink():
                shutil.copytree(source, self.staging / name, symlinks=True, copy_function=os.link)
            else:
                os.link(source, self.staging / name, follow_symlinks=False)

    def changed_paths(self) -> list[str]:
        """Files whose bytes differ from the previous build, or which are new or gone."""
        previous = self.previous.files
        paths = [p for p, sha in self.files.items() if previous.get(p) != sha]
        return sorted(paths + [p for p in previous if p not in self.files])


def _write_manifest(root: Path, files: dict[str, str]) -> None:
    with open(root / MANIFEST, "w", encoding="utf-8") as handle:
        handle.writelines(json_object_chunks({"generator": "newsgen"}, "files", dict(sorted(files.items()))))


def json_object_chunks(head: dict[str, str], name: str, items: dict[str, str]) -> Iterator[str]:
    """head's items and then `name`: items, as one JSON object, one of the items a line, in pieces: the
    whole text at once would add to a build's peak memory, which is at its end, and json.dump would use
    the pure-Python encoder (0.2 s for a manifest of 22,000 files)."""
    dumps = json.dumps
    yield "{" + "".join(f"{dumps(key)}: {dumps(value)}, " for key, value in head.items()) + dumps(name) + ": {\n"
    entries = iter(items.items())
    separator = ""
    while batch := list(itertools.islice(entries, 1000)):
        yield separator + ",\n".join([f"{dumps(key)}: {dumps(value)}" for key, value in batch])
        separator = ",\n"
    yield "\n}}\n"


def _files_under(root: Path, keep: tuple[str, ...], not_files: list[str] | None = None) -> set[str]:
    """Relative paths of the regular files in a build folder, but for its manifest and the kept entries;
    anything else that is not a folder (a symbolic link someone put there) goes into `not_files`."""
    found: set[str] = set()

    def visit(folder: str, prefix: str) -> None:
        with os.scandir(folder) as entries:
            for entry in entries:
                if not prefix and (entry.name in keep or entry.name == MANIFEST):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    visit(entry.path, f"{prefix}{entry.name}/")
                elif entry.is_file(follow_symlinks=False):
                    found.add(prefix + entry.name)
                elif not_files is not None:
                    not_files.append(prefix + entry.name)

    visit(os.fspath(root), "")
    return found


def _link_unchanged(source: str, target: str, sha: str, manifest: Manifest, relative: str) -> bool:
    """Hard-link a served file into the staging folder if it is still the file `manifest` recorded;
    False (and no link) when it is not, or linking fails. The link is what gets checked, so the file
    cannot be swapped for another between the check and the link; a symbolic link someone put in the
    served folder is linked as itself, and fails the check, so its target never enters the site."""
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        return False
    if unchanged(target, sha, manifest.stats.get(relative), manifest.sealed):
        return True
    os.unlink(target)
    return False


def _remove_files(root: Path, relatives: list[str]) -> None:
    """Delete these files under root, then the folders that leaves empty."""
    emptied: set[Path] = set()
    for relative in relatives:
        target = root.joinpath(*PurePosixPath(relative).parts)
        target.unlink(missing_ok=True)
        emptied.add(target.parent)
    for folder in sorted(emptied, key=lambda p: len(p.parts), reverse=True):
        while folder != root and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where that is unavailable."""
    renameat2 = getattr(libc(), "renameat2", None) if sys.platform == "linux" else None
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def process_alive(pid: int) -> bool:
    """Whether a process exists (one we may not signal counts: it is someone else's, but alive)."""
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True
