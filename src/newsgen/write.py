"""Writing the site: a staging folder beside the build folder, swapped in only when complete.

A failed or killed build leaves the previous site byte for byte as it was. Files whose bytes did not
change are hard-linked from the previous build instead of written again, and newsgen never deletes a
folder it did not create (it recognises its own by the manifest it leaves inside).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

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
    """One build's output under construction. Use as a context manager; call commit() at the end."""

    output: Path
    keep: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)  # path -> sha256 of what this build wrote
    previous: dict[str, str] = field(default_factory=dict)
    # Where unchanged files are linked from: the previous build in `output` unless told otherwise
    # (the preview server builds each generation into a new folder and links from the one it serves).
    reuse_from: Path | None = None
    written: int = 0  # files whose bytes changed (or are new)

    def __post_init__(self) -> None:
        self.staging = _suffixed(self.output, "staging")
        self._old = _suffixed(self.output, "old")
        self._lock = _suffixed(self.output, "lock")
        self._source = self.reuse_from or self.output
        self._folders: set[Path] = set()

    def __enter__(self) -> Staging:
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        try:
            self._recover_leftovers()
            self.previous = read_manifest(self._source)
            self.staging.mkdir()
        except BaseException:
            self._release_lock()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.staging.exists():
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

    def _target(self, relative: str) -> Path:
        pure = PurePosixPath(relative)
        if pure.is_absolute() or ".." in pure.parts or "\\" in relative or "\x00" in relative or not pure.parts:
            raise ValueError(f"unsafe output path {relative!r}")
        target = self.staging.joinpath(*pure.parts)
        if target.parent not in self._folders:  # one mkdir per folder, not per file
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        return target

    def write(self, relative: str, data: bytes) -> None:
        """Add a file; unchanged bytes are linked from the previous build instead of rewritten."""
        sha = digest(data)
        self.files[relative] = sha
        target = self._target(relative)
        if self.previous.get(relative) == sha:
            try:
                os.link(self._source / relative, target)
                return
            except OSError:
                pass  # previous file gone or another file system: write it
        self.written += 1
        with open(target, "wb") as handle:
            handle.write(data)

    def reuse(self, relative: str, sha: str) -> bool:
        """Link a file from the previous build whose bytes are known to be `sha`, without having them.

        False when the previous build has no such file (then render and write() it)."""
        if self.previous.get(relative) != sha:
            return False
        try:
            os.link(self._source / relative, self._target(relative))
        except OSError:
            return False
        self.files[relative] = sha
        return True

    def is_current(self, files: dict[str, str]) -> bool:
        """True when the build folder holds exactly these files with these digests (by its manifest),
        and nothing else but kept files: then there is nothing to swap in."""
        if files != self.previous or not self.output.is_dir():
            return False
        present = set()
        for folder, subfolders, names in os.walk(self.output):
            relative = os.path.relpath(folder, self.output)
            prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
            if not prefix:
                subfolders[:] = [name for name in subfolders if name not in self.keep]
                names = [name for name in names if name not in self.keep and name != MANIFEST]
            present.update(prefix + name for name in names)
        return present == set(files)

    def record(self, relative: str, sha: str, written: bool) -> None:
        """Account for a file another process put in the staging folder (parallel rendering)."""
        self.files[relative] = sha
        self.written += written

    def commit(self) -> None:
        """Swap the finished staging folder in place of the previous build."""
        self._carry_kept_files()
        (self.staging / MANIFEST).write_text(
            json.dumps({"generator": "newsgen", "files": dict(sorted(self.files.items()))}, indent=0) + "\n",
            encoding="utf-8",
        )
        if self.output.exists():
            os.rename(self.output, self._old)
            os.rename(self.staging, self.output)
            shutil.rmtree(self._old)
        else:
            os.rename(self.staging, self.output)

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
        paths = {p for p, sha in self.files.items() if self.previous.get(p) != sha}
        paths |= set(self.previous) - set(self.files)
        return sorted(paths)


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
