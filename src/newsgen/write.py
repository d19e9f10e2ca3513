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
import shutil
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .background import BACKGROUND, Background, libc
from .errors import Problem, UsageError

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


def read_manifest(output: Path) -> dict[str, str]:
    try:
        data = json.loads((output / MANIFEST).read_text(encoding="utf-8"))
        files = data["files"]
        return {str(k): str(v) for k, v in files.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


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
    previous: dict[str, str] = field(default_factory=dict)  # the same for the build being replaced
    spare: Path | None = None  # where the retired tree is kept for the next build (None: delete it)
    written: int = 0  # files whose bytes differ from the previous build's (or are new)

    def __post_init__(self) -> None:
        self.staging = _suffixed(self.output, "staging")
        self._old = _suffixed(self.output, "old")
        self._lock = _suffixed(self.output, "lock")
        self._staging_text = os.fspath(self.staging)
        self._folders: set[str] = set()  # folders of the staging tree made (or found) by _target
        self._present: set[str] | None = None
        self._not_files: list[str] = []  # what the served folder has that is neither a file nor a folder
        self.held: dict[str, str] = {}  # what the staging folder holds already (a recycled spare)
        self._linker: Background[dict[str, str]] | None = None  # linking the served files (prepare)

    def __enter__(self) -> Staging:
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        try:
            self._recover_leftovers()
            self.previous = read_manifest(self.output)
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
                    _write_manifest(self.staging, held)
                    self._shelve(self.staging)
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
        if (self._linker is not None or (self.spare is not None and self.spare.is_dir()) or not self.previous
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
        if not self.held:
            self.staging.mkdir()
            self.held = self._link_served()

    def _take_spare(self) -> dict[str, str]:
        """Move the spare tree into the staging folder; return what it holds ({} when there is none).

        Its manifest goes first: should this build die while the folder is half updated, nothing
        vouches for it any more and the next build deletes it instead of reusing it."""
        if self.spare is None or not self.spare.is_dir():
            return {}
        held = read_manifest(self.spare)
        if held:
            (self.spare / MANIFEST).unlink()
            os.rename(self.spare, self.staging)
        else:
            shutil.rmtree(self.spare)
        return held

    def _link_served(self) -> dict[str, str]:
        """Hard-link every file the served folder's manifest vouches for into the empty staging folder;
        return what it now holds ({} on a first build).

        With no spare (the first changed build after a cold one, or no cache) this is the spare's
        stand-in: one lean pass over the served tree, after which a build costs one operation per
        changed file, where reuse() would link each unchanged file through _target(). The served folder
        is only read, and the links are recycled files like the spare's, never written into. Only
        regular files the manifest lists are linked (never the manifest itself, a stray, a symbolic
        link or a kept entry), and a folder is made only for a file, as a clean build makes them."""
        held: dict[str, str] = {}

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
                    sha = self.previous.get(relative)
                    if sha is None or not entry.is_file(follow_symlinks=False):
                        continue
                    if not made:
                        os.makedirs(target, exist_ok=True)
                        made = True
                    try:
                        os.link(entry.path, f"{target}/{entry.name}", follow_symlinks=False)
                    except OSError:
                        continue  # not held: reuse() or write() will try again, and fail loudly
                    held[relative] = sha

        if self.previous and self.output.is_dir():
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
        if relative in self.held:
            # Never write into a recycled file: it may be a hard link that the served site shares.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(target)
            return target
        folder = relative.rpartition("/")[0]
        if folder not in self._folders:
            if self.held:
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
        if self.held.get(relative) == sha:
            self.written += self.previous.get(relative) != sha
            return sha
        target = self._target(relative)
        if self.previous.get(relative) == sha and _link_file(f"{self.output}/{relative}", target):
            return sha
        # previous file gone, replaced by a link, or on another file system: write it
        self.written += 1
        with open(target, "wb") as handle:
            handle.write(data)
        return sha

    def reuse(self, relative: str, sha: str) -> bool:
        """Take a file of the previous build whose bytes are known to be `sha`, without having them.

        False when the previous build has no such file (then render and write() it)."""
        if self.previous.get(relative) != sha:
            return False
        if self.held.get(relative) != sha and not _link_file(f"{self.output}/{relative}", self._target(relative)):
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
        and nothing else but kept files: then there is nothing to swap in."""
        if files != self.previous or not self.output.is_dir():
            return False
        return self.present() == set(files)

    def record(self, relative: str, sha: str, written: bool) -> None:
        """Account for a file another process put in the staging folder (parallel rendering)."""
        self.files[relative] = sha
        self.written += written

    def commit(self) -> None:
        """Swap the finished staging folder in place of the previous build."""
        _remove_files(self.staging, [p for p in self.held if p not in self.files])
        self._carry_kept_files()
        _write_manifest(self.staging, self.files)
        if not self.output.exists():
            os.rename(self.staging, self.output)
            return
        if _exchange(self.staging, self.output):  # atomic: the folder is never missing
            retired = self.staging
        else:
            os.rename(self.output, self._old)
            os.rename(self.staging, self.output)
            retired = self._old
        self._retire(retired)

    def _retire(self, tree: Path) -> None:
        """Keep the replaced tree as the next build's spare when it holds exactly its manifest's files."""
        if self.spare is None or not self.previous:
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
        # strays someone put there, and links: a later write would go through a link to its target
        _remove_files(tree, sorted(present - set(self.previous)) + self._not_files)
        if not present >= set(self.previous):  # files someone deleted: the manifest must not vouch for them
            _write_manifest(tree, {path: sha for path, sha in self.previous.items() if path in present})
        self._shelve(tree)

    def _shelve(self, tree: Path) -> None:
        """Make a tree that holds exactly its manifest's files the spare."""
        assert self.spare is not None
        self.spare.parent.mkdir(parents=True, exist_ok=True)
        if self.spare.exists():
            shutil.rmtree(self.spare)
        os.rename(tree, self.spare)

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
        paths = [p for p, sha in self.files.items() if self.previous.get(p) != sha]
        return sorted(paths + [p for p in self.previous if p not in self.files])


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


def _link_file(source: str, target: str) -> bool:
    """Hard-link a served file into the staging folder; False when that fails or it is not a regular
    file: a symbolic link someone put in the served folder must not bring its target into the site."""
    try:
        if not stat.S_ISREG(os.lstat(source).st_mode):
            return False
        os.link(source, target, follow_symlinks=False)  # should it become a link meanwhile: the link itself
        return True
    except OSError:
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
