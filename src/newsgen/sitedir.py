"""Which folder is a site: one with `newsgen.yaml` or a `content/` folder, or a Jekyll project's own
`_posts/` or `_drafts/` (README: such a project builds as it is).

Checked before anything is read, so that a command run in the wrong folder stops instead of building
an empty site, or reading another project's `_posts/` one folder down (formats.jekyll_roots).
"""

from __future__ import annotations

import os
from pathlib import Path

from .config import CONFIG_FILE
from .content import CONTENT_DIR
from .errors import Problem, UsageError
from .formats import JEKYLL_FOLDERS


def is_site(folder: Path) -> bool:
    return (folder / CONFIG_FILE).is_file() or any((folder / name).is_dir() for name in (CONTENT_DIR, *JEKYLL_FOLDERS))


def _enclosing_site(folder: Path) -> Path | None:
    """The nearest folder at or above `folder` that is a site, as git finds a repository."""
    for candidate in (folder, *folder.parents):
        if is_site(candidate):
            return candidate
    return None


def not_a_site(folder: Path) -> UsageError:
    resolved = folder.resolve()
    above = _enclosing_site(resolved.parent)
    # content/ itself, or a folder in it: the mistake is the folder given, not a missing site
    advice = (f"it lies inside the site {above}: give that folder instead" if above
              else f"run `newsgen init {os.fspath(folder)}`")
    return UsageError(Problem(f"not a newsgen site (no {CONFIG_FILE} or {CONTENT_DIR}/ in {resolved}); {advice}"))


def require_site(folder: Path) -> Path:
    """The resolved site folder, or a UsageError saying why `folder` is none."""
    if not folder.is_dir():
        raise UsageError(Problem(f"{folder} is not a folder", field="SITE_DIR"))
    if not is_site(folder):
        raise not_a_site(folder)
    return folder.resolve()


def find_site(start: Path) -> Path:
    """The site `start` is in, itself or the nearest folder above it (for `newsgen new`)."""
    if not start.is_dir():
        raise UsageError(Problem(f"{start} is not a folder", field="SITE_DIR"))
    found = _enclosing_site(start.resolve())
    if found is None:
        raise not_a_site(start)
    return found
