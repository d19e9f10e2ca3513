"""One exception family for everything a user can get wrong.

Only the CLI prints these and turns them into exit codes; every other module raises them with as
much context (file, line, field, hint) as it has.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

EXIT_CONTENT = 1  # content or template errors: the site's text is wrong
EXIT_USAGE = 2  # usage, configuration or environment errors: the way newsgen was run is wrong


@dataclass(frozen=True)
class Problem:
    """One thing wrong, located as precisely as we know: `path:line: field: message (hint)`."""

    message: str
    path: str | None = None
    line: int | None = None
    field: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path + (f":{self.line}" if self.line else "") + ": "
        field = f"{self.field}: " if self.field else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{field}{self.message}{hint}"


class NewsgenError(Exception):
    """A failure the user can fix. Carries every problem found, not just the first."""

    exit_code = EXIT_CONTENT

    def __init__(self, problems: Problem | str | Iterable[Problem], exit_code: int | None = None):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        if exit_code is not None:
            self.exit_code = exit_code
        super().__init__("\n".join(str(p) for p in self.problems))


class ContentError(NewsgenError):
    exit_code = EXIT_CONTENT


class ConfigError(NewsgenError):
    exit_code = EXIT_USAGE


class UsageError(NewsgenError):
    exit_code = EXIT_USAGE


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The "did you mean" hint for a mistyped key or command, or None when nothing is close."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


class CacheUnreadable(Exception):
    """A file of the cache folder that cannot be read, has the wrong shape, or changed after newsgen
    wrote it. Never shown as an error: build() starts again without the cache and says so in one line."""
