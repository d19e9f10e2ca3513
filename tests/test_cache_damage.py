"""A damaged cache costs time, never correctness: whatever is in the cache folder, and whatever
happened to the files newsgen wrote, the next build gives exactly the bytes of a clean build."""

from __future__ import annotations

import functools
import os
import pickle
import random
import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newsgen.build import BuildOptions, BuildResult, build
from newsgen.cache import BuildMemo, cache_dir
from newsgen.write import MANIFEST, SERVED_STATS, SPARE_STATS, read_stats, write_stats

from conftest import article, run_newsgen, write_tree

NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)
# search off: Pagefind takes a second a build; test_search covers the search index's files
SITE = {"newsgen.yaml": "title: Damage Times\nbase_url: https://example.org/\ntimezone: UTC\nsearch: false\n"} | {
    f"content/story-{n}.md": article(f"Story {n}", f"2024-0{1 + n % 5}-1{n}T10:00:00+00:00",
                                     f"Paragraph *{n}*.\n\n## More\n\n- point {n}\n",
                                     categories=[["World", "Science"][n % 2]], tags=[["Rail", "Space", "AI"][n % 3]])
    for n in range(6)}
EDITED = "content/story-2.md"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def edit(site: Path) -> None:
    (site / EDITED).write_text(article("Story 2, rewritten", "2024-03-12T10:00:00+00:00", "A new body.\n",
                                       categories=["World"], tags=["Rail"]))


def built(site: Path, output: Path) -> BuildResult:
    return build(site, BuildOptions(output=output, now=NOW))


def with_spare(root: Path) -> tuple[Path, Path]:
    """A site built, edited and built again: its cache folder holds every store and the spare tree
    (the first build's files, hard-linked with the served files the edit left alone)."""
    site = write_tree(root / "site", SITE)
    output = root / "out" / "build"
    built(site, output)
    (site / "content" / "story-0.md").write_text(article("Story 0", "2024-01-10T10:00:00+00:00", "Changed.\n",
                                                         categories=["World"], tags=["Rail"]))
    built(site, output)
    assert (cache_dir(output) / "spare").is_dir()
    return site, output


def pattern(relative: Path) -> str:
    """A glob standing for a kind of cache file: its name at the top or where it has a name of its own
    (a manifest), else its folder. Every file of the spare tree is of one kind: a page of the site."""
    if len(relative.parts) == 1:
        return relative.as_posix()
    if relative.name.startswith("."):
        return f"{relative.parts[0]}/{relative.name}"
    return f"{relative.parts[0]}/**/*" if relative.parts[0] == "spare" else f"{relative.parts[0]}/**/*{relative.suffix}"


@functools.cache
def cache_kinds() -> list[str]:
    """Every kind of file a real build leaves in the cache folder: a new store is covered by itself."""
    with tempfile.TemporaryDirectory() as folder:
        _, output = with_spare(Path(folder))
        cache = cache_dir(output)
        return sorted({pattern(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file()})


def in_place(data: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    """Damage written into the file itself, as a crash or a disk does: a hard link sees it too."""
    def damage(path: Path) -> None:
        new = data(path.read_bytes())
        with open(path, "r+b") as handle:
            handle.write(new)
            handle.truncate(len(new))
    return damage


def replaced(make: Callable[[Path], None]) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        path.unlink()
        make(path)
    return damage


def older_build_memo() -> bytes:
    """A BuildMemo as an older newsgen pickled it: no `valid` field."""
    memo = object.__new__(BuildMemo)
    object.__setattr__(memo, "__dict__", {"fingerprint": "f" * 64, "files": "0" * 64})
    return pickle.dumps(memo)


DAMAGES: dict[str, Callable[[Path], None]] = {
    "truncated": in_place(lambda data: data[: len(data) // 2]),
    "emptied": in_place(lambda data: b""),
    "random bytes": in_place(lambda data: random.Random(len(data)).randbytes(max(len(data), 64))),
    "one byte flipped": in_place(lambda data: data[:-1] + bytes([data[-1] ^ 1]) if data else b"\x01"),
    "a pickle of another shape": replaced(lambda path: path.write_bytes(older_build_memo())),
    "a folder": replaced(lambda path: (path / "inside").mkdir(parents=True)),
    "a symbolic link": replaced(lambda path: path.symlink_to("/etc/hostname")),
    "a FIFO": replaced(lambda path: os.mkfifo(path)),
}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Clean builds (no cache) of the site as with_spare() leaves it, and after edit()."""
    root = tmp_path_factory.mktemp("clean")
    site, _ = with_spare(root)
    output = root / "clean"
    build(site, BuildOptions(output=output, now=NOW, cache=False))
    before = snapshot(output)
    edit(site)
    build(site, BuildOptions(output=output, now=NOW, cache=False))
    return before, snapshot(output)


@pytest.mark.parametrize("kind", cache_kinds())
def test_any_damaged_cache_file_means_a_clean_build_and_one_line(tmp_path: Path, kind: str,
                                                                  clean: tuple[dict, dict]) -> None:
    for damage, apply in DAMAGES.items():  # each on a site of its own
        site, output = with_spare(tmp_path / damage.replace(" ", "-"))
        apply(next(p for p in sorted(cache_dir(output).glob(kind))
                   if p.is_file() and (p.name != MANIFEST or kind.endswith(MANIFEST))))
        notes = []
        for step, expected in zip(("no change", "an edit"), clean):  # each build reads what it needs of the cache
            result = built(site, output)
            notes += result.notes
            assert snapshot(output) == expected, f"{damage}: after {step}, not what a clean build makes"
            edit(site)
        assert len(notes) == 1 and "cache" in notes[0] and "clean build" in notes[0], (damage, notes)
        again = built(site, output)  # the cache made anew is good
        assert again.notes == [] and (again.parsed, again.written) == (0, 0), damage


def test_an_older_build_memo_is_one_line_in_the_log_not_an_internal_error(tmp_path: Path) -> None:
    site, output = with_spare(tmp_path)
    (cache_dir(output) / "build.pickle").write_bytes(older_build_memo())
    run = run_newsgen("build", site, "--output", output)
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stderr.splitlines() if "cache" in line]
    assert len(lines) == 1 and "clean build" in lines[0], run.stderr
    assert "internal error" not in run.stderr


def test_files_truncated_in_the_cache_folder_never_empty_the_served_site(tmp_path: Path,
                                                                         clean: tuple[dict, dict]) -> None:
    """The spare tree shares its files with the served site (hard links): damage to one is damage to
    both, and the next build must find it and write those files again."""
    site, output = with_spare(tmp_path)
    for path in cache_dir(output).rglob("*"):
        if path.is_file():
            os.truncate(path, 0)
    assert any(not p.read_bytes() for p in output.rglob("*.html"))  # the served pages were emptied
    for expected in clean:
        built(site, output)
        assert snapshot(output) == expected
        edit(site)


@pytest.mark.parametrize("same_tick", [False, True], ids=["changed in place", "changed in the same clock tick"])
def test_a_served_file_changed_in_place_is_written_again_by_the_next_build(tmp_path: Path, same_tick: bool,
                                                                           clean: tuple[dict, dict]) -> None:
    """A deploy tool or an editor may write into a served file (r+b) rather than replace it; that file
    is shared with the spare tree, so the change must not survive the next build that changes something."""
    site, output = with_spare(tmp_path)
    # a page the edit below leaves as it is, shared with the spare tree
    served = next(output / path for path, data in clean[0].items() if path.endswith(".html")
                  and clean[1].get(path) == data and (output / path).stat().st_nlink > 1)
    data, before = served.read_bytes(), served.stat()
    with open(served, "r+b") as handle:  # the same length: only the mtime or the bytes can tell
        handle.write(data.replace(b"Damage Times", b"Damage Tlmes", 1))
    assert served.read_bytes() != data
    if same_tick:
        # As if the file had been written, and then changed, in the clock tick in which the build kept
        # its records: the mtime stays as it was, and only its bytes can tell.
        os.utime(served, ns=(before.st_atime_ns, before.st_mtime_ns))
        for name in (SERVED_STATS, SPARE_STATS):
            stats, _ = read_stats(cache_dir(output) / name)
            write_stats(cache_dir(output) / name, stats, sealed=before.st_mtime_ns)
    built(site, output)  # nothing changed: the served folder is made right all the same
    assert snapshot(output) == clean[0]
    with open(output / "index.html", "r+b") as handle:  # and once more, a file the edit changes
        handle.write(b"X")
    edit(site)
    built(site, output)
    assert snapshot(output) == clean[1]


def test_a_served_file_changed_in_place_before_there_is_a_spare_is_not_kept_in_it(
        tmp_path: Path, clean: tuple[dict, dict]) -> None:
    """With no spare tree yet, the served files are checked as they are linked: the changed one is
    written again, and the tree retired by that build must not keep it for the next."""
    site, output = with_spare(tmp_path)
    shutil.rmtree(cache_dir(output) / "spare")
    served = next(output / path for path, data in clean[0].items() if path.endswith(".html")
                  and clean[1].get(path) == data)
    with open(served, "r+b") as handle:
        handle.write(b"X")
    first = built(site, output)
    assert snapshot(output) == clean[0] and first.notes == [] and first.written == 1
    edit(site)
    second = built(site, output)  # from the spare tree the first one retired
    assert snapshot(output) == clean[1] and second.notes == [] and second.parsed == 1
