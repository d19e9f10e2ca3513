"""Pagefind's index put in one order, so the same documents always give the same bytes.

Pagefind 1.5 keeps filters in hash maps (Rust's, randomly seeded per run) and writes them in whatever
order the map yields (Pagefind issue #638; its source says "TODO: Change filter indexes to BTree to
give them a stable hash"). So each run writes each filter file's values, and the metadata file's list
of filters, in another order, names those files by a hash of their bytes, and names the metadata file in
`pagefind-entry.json` by its hash. Everything else it writes is already in a stable order.

This module sorts those lists and names the files again as Pagefind names them. It reads Pagefind's
file format, which is Pagefind's own and not a public API: `pyproject.toml` pins the release it was
written for, and tests/test_search.py builds an index twice and compares the bytes, so a release that
changes the format fails a test instead of publishing a broken index.

The format (pagefind/src/output/mod.rs, index/index_filter.rs, index/index_metadata.rs): each file is
gzip of b"pagefind_dcd" + CBOR; a filter file is [filter, [[value, [page, …]], …]]; the metadata is
[version, pages, index_chunks, [[filter, file hash], …], sorts].
"""

from __future__ import annotations

import gzip
import hashlib
import json

import cbor2

from .errors import Problem, UsageError

MARK = b"pagefind_dcd"  # what Pagefind puts before the CBOR of each file it compresses


def in_order(files: dict[str, bytes]) -> dict[str, bytes]:
    """Pagefind's files (by path in the site) with the filters sorted and renamed; the other files as
    they are. Raises UsageError when a file is not in the format this release of newsgen reads."""
    try:
        return _sorted(files)
    except (ValueError, KeyError, TypeError, IndexError, EOFError, OSError, cbor2.CBORDecodeError) as exc:
        raise UsageError(Problem(f"Pagefind wrote an index in a format newsgen does not know ({exc})",
                                 field="search", hint="install the Pagefind release pyproject.toml names"))


def _sorted(files: dict[str, bytes]) -> dict[str, bytes]:
    out = dict(files)
    entry = json.loads(files["pagefind/pagefind-entry.json"])
    for language, facts in entry["languages"].items():
        meta_path = f"pagefind/pagefind.{facts['hash']}.pf_meta"
        meta = _read(out.pop(meta_path))
        named = []
        for name, old_hash in sorted(meta[3], key=lambda pair: pair[0]):
            values = _read(out.pop(f"pagefind/filter/{old_hash}.pf_filter"))
            values[1] = sorted(([value, sorted(pages)] for value, pages in values[1]), key=lambda pair: pair[0])
            data = cbor2.dumps(values)
            new_hash = _short_hash(language, data, 7, taken={h for _, h in named})
            out[f"pagefind/filter/{new_hash}.pf_filter"] = _write(data)
            named.append([name, new_hash])
        meta[3] = named
        data = cbor2.dumps(meta)
        facts["hash"] = f"{language}_{_full_hash(data)[:len(language) + 8]}"
        out[f"pagefind/pagefind.{facts['hash']}.pf_meta"] = _write(data)
    # Pagefind writes the entry as serde_json does: compact, keys in the order of its structs
    out["pagefind/pagefind-entry.json"] = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode()
    return dict(sorted(out.items()))


def _read(data: bytes) -> list:
    raw = gzip.decompress(data)
    if not raw.startswith(MARK):
        raise ValueError("a file without Pagefind's mark")
    value = cbor2.loads(raw[len(MARK):])
    if not isinstance(value, list):
        raise ValueError("a file that holds no list")
    return value


def _write(data: bytes) -> bytes:
    return gzip.compress(MARK + data, compresslevel=9, mtime=0)


def _full_hash(data: bytes) -> str:
    # Pagefind's utils::full_hash: SHA-1, each byte in hex without its leading zero
    return "".join(f"{byte:x}" for byte in hashlib.sha1(data).digest())


def _short_hash(language: str, data: bytes, digits: int, taken: set[str]) -> str:
    """`language_` and the first `digits` of the hash, longer while another file has that name."""
    full = f"{language}_{_full_hash(data)}"
    end = len(language) + 1 + digits
    while full[:end] in taken and end < len(full):
        end += 1
    return full[:end]
