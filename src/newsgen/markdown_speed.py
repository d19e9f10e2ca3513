"""Python-Markdown, without the regex searches that cannot find anything.

Python-Markdown tries each of its regular expressions wherever one might apply: every inline pattern (code spans,
escapes, links, images, autolinks, entities, line breaks, emphasis, footnote marks...) on every run of text, some
230 searches per news article, and every block processor's test (headings, quotes, rules, lists, references,
footnotes...) on every block. Nearly all of them fail. Yet each expression needs some literal text to match: `[`
for a link, `&` for an entity, `*` or `_` for emphasis, `>` for a quote, `#` for a heading. Where none of that
text occurs in what is to be searched, the search would find nothing and change nothing, so not running it gives
the same result, byte for byte.

`needles` reads that text from the expression itself, so a pattern changed by a new Markdown release is handled
by the same rule, and an expression it does not understand is always run. The inline pass's loop is a private
method of `InlineProcessor`; `accelerate` checks that it still has the shape this module was written against
and keeps the stock pass when it does not.

Private APIs read here, and what guards each: Python-Markdown's `InlineProcessor.__handleInline` and
`__applyPattern` (pyproject.toml bounds `markdown` to the releases checked; test_markup fails when the loop is not
accelerated or its output differs from the stock one), and `re._parser`/`re._constants`, the standard library's
regex parser (imported under `try`: without it nothing is skipped; test_markup fails when it reads no needles).
"""

from __future__ import annotations

import inspect
import re
import sys
from typing import Any

import markdown
from markdown import inlinepatterns, util
from markdown.extensions.toc import TocTreeprocessor
from markdown.treeprocessors import InlineProcessor

try:
    from re import _parser as _sre  # the regex parser: private, hence the fallback below
    from re._constants import (ASSERT, ATOMIC_GROUP, BRANCH, IN, LITERAL, MAX_REPEAT, MIN_REPEAT,
                               POSSESSIVE_REPEAT, SUBPATTERN)
except ImportError:  # pragma: no cover - another Python: no needles, every pattern is searched
    _sre = None

Needles = tuple[tuple[str, ...], ...]
_MOST_GROUPS = 3  # the most selective few: each costs a `str.find` wherever the expression might be run
_REPEATS = {MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT} if _sre else set()


def needles(compiled: re.Pattern[str]) -> Needles | None:
    """Groups of strings such that every match of `compiled` contains, at or after where the match starts, one
    string of each group; None when nothing can be told (case-insensitive, or built only of constructs this
    reading does not know, which it takes to need nothing)."""
    if _sre is None or not isinstance(compiled.pattern, str) or compiled.flags & re.IGNORECASE:
        return None
    try:
        parsed = _sre.parse(compiled.pattern, compiled.flags)
    except Exception:  # pragma: no cover - an expression Python compiled but its parser now rejects
        return None
    if parsed.state.flags & re.IGNORECASE:  # (?i) at the start
        return None
    found = set(_sequence(list(parsed)))
    groups = [group for group in found if not any(other < group for other in found)]  # a subset says more
    ordered = sorted((tuple(sorted(group)) for group in groups), key=lambda group: (*_selectivity(group), group))
    return tuple(ordered[:_MOST_GROUPS]) or None


def _selectivity(group: frozenset[str] | tuple[str, ...]) -> tuple[int, int]:
    """Fewest strings first, then the longest shortest string: the likeliest to be absent from a text."""
    return len(group), -min(map(len, group))


def _best(candidates: list[frozenset[str]]) -> frozenset[str]:
    return min(candidates, key=_selectivity)


def _sequence(items: list[tuple[Any, Any]]) -> list[frozenset[str]]:
    """Needle groups that a match of this sequence satisfies, every one of them."""
    candidates: list[frozenset[str]] = []
    run = ""  # consecutive literal characters match consecutive text
    for op, av in items:
        if op is LITERAL:
            run += chr(av)
            continue
        if run:
            candidates.append(frozenset([run]))
            run = ""
        candidates.extend(_item(op, av))
    if run:
        candidates.append(frozenset([run]))
    return candidates


def _item(op: Any, av: Any) -> list[frozenset[str]]:
    if op is SUBPATTERN:
        _group, add_flags, _del_flags, body = av
        return [] if add_flags & re.IGNORECASE else _sequence(list(body))
    if op is ATOMIC_GROUP:
        return _sequence(list(av))
    if op in _REPEATS:
        low, _high, body = av
        if low >= 1 and len(body) == 1 and body[0][0] is LITERAL:  # `{3,}: three in a row
            return [frozenset([chr(body[0][1]) * min(low, 8)])]
        return _sequence(list(body)) if low >= 1 else []
    if op is ASSERT:
        direction, body = av
        return _sequence(list(body)) if direction == 1 else []  # a lookbehind may look before the start
    if op is IN:
        if all(kind is LITERAL for kind, _ in av):
            return [frozenset(chr(code) for _, code in av)]
        return []
    if op is BRANCH:
        alternatives = [_sequence(list(alternative)) for alternative in av[1]]
        if not all(alternatives):
            return []  # an alternative that needs nothing: the branch needs nothing
        # A group that, for every alternative, covers one of that alternative's groups holds for the branch;
        # so does the union of one group from each alternative.
        shared = [c for c in alternatives[0] if all(any(o <= c for o in other) for other in alternatives[1:])]
        union = frozenset().union(*(_best(a) for a in alternatives))  # type: ignore[arg-type]
        return shared or [union]
    return []


class SkippingInlineProcessor(InlineProcessor):
    """The stock inline pass; a pattern is searched only where its needles occur in the text left to search."""

    def __init__(self, md: markdown.Markdown):
        super().__init__(md)
        self._needle_cache: dict[re.Pattern[str], Needles | None] = {}
        self._plan: list[tuple[Any, Needles | None]] = []

    def run(self, tree: Any, ancestors: list[str] | None = None) -> Any:
        # Patterns do not change during a conversion; reading their needles once per article keeps the
        # per-text-run cost to a few `str.find` calls.
        self._plan = [(pattern, self._needles_of(pattern)) for pattern in self.inlinePatterns]
        return super().run(tree, ancestors)

    def _needles_of(self, pattern: Any) -> Needles | None:
        if not isinstance(pattern, inlinepatterns.InlineProcessor):
            return None  # an old-style Pattern: matched differently, always tried
        if type(pattern).getCompiledRegExp is not inlinepatterns.Pattern.getCompiledRegExp:
            return None  # its expression may change from one search to the next: always tried
        compiled = pattern.getCompiledRegExp()
        cache = self._needle_cache
        if compiled not in cache:
            cache[compiled] = needles(compiled)
        return cache[compiled]

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802, N803
        """`InlineProcessor.__handleInline` (which the stock `run` and `__applyPattern` call by its mangled
        name), with the fruitless searches left out."""
        if isinstance(data, util.AtomicString):
            return data
        apply = self._InlineProcessor__applyPattern  # type: ignore[attr-defined]
        plan = self._plan
        count = len(plan)
        start = 0
        while patternIndex < count:
            pattern, wanted = plan[patternIndex]
            if wanted is not None:
                for group in wanted:  # (inline rather than a function: this runs ~230 times an article)
                    for needle in group:
                        if data.find(needle, start) >= 0:
                            break
                    else:  # the search would fail, and a failed search leaves the text as it was and
                        start = -1  # resets the start for the next pattern
                        break
                if start < 0:
                    start = 0
                    patternIndex += 1
                    continue
            data, matched, start = apply(pattern, data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data


# What the stock private methods look like in the Markdown releases this was checked against (3.5 to 3.11).
_HANDLE_INLINE_NAMES = {"isinstance", "util", "AtomicString", "len", "inlinePatterns",
                        "_InlineProcessor__applyPattern"}


def _stock_loop_is_known() -> bool:
    handle = getattr(InlineProcessor, "_InlineProcessor__handleInline", None)
    apply = getattr(InlineProcessor, "_InlineProcessor__applyPattern", None)
    if not (inspect.isfunction(handle) and inspect.isfunction(apply)):
        return False
    return (list(inspect.signature(handle).parameters) == ["self", "data", "patternIndex"]
            and list(inspect.signature(apply).parameters) == ["self", "pattern", "data", "patternIndex", "startIndex"]
            and set(handle.__code__.co_names) == _HANDLE_INLINE_NAMES)


class GatedExpression:
    """A compiled expression whose search, match and fullmatch answer None without running where the text lacks
    its needles; anything else is the expression's own."""

    __slots__ = ("expression", "needles")

    def __init__(self, expression: re.Pattern[str], wanted: Needles):
        self.expression = expression
        self.needles = wanted

    def _cannot_match(self, string: object, pos: int, endpos: int) -> bool:
        if not isinstance(string, str):
            return False  # let the expression itself say what is wrong
        if pos > 0 or endpos < len(string):  # the part the expression reads (slicing clamps as `re` does)
            string = string[max(pos, 0) : max(endpos, 0)]
        for group in self.needles:
            for needle in group:
                if needle in string:
                    break
            else:
                return True
        return False

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return None if self._cannot_match(string, pos, endpos) else self.expression.search(string, pos, endpos)

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return None if self._cannot_match(string, pos, endpos) else self.expression.match(string, pos, endpos)

    def fullmatch(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return None if self._cannot_match(string, pos, endpos) else self.expression.fullmatch(string, pos, endpos)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.expression, name)


def gate_expressions(processor: object) -> int:
    """Put a GatedExpression in place of each compiled expression a Python-Markdown processor holds (on the
    instance: its class keeps the real one); returns how many."""
    if not type(processor).__module__.startswith("markdown."):
        return 0  # another package's processor: its code might hand the expression to `re` functions
    gated = 0
    seen: set[str] = set()
    # Attributes as Python looks them up (the instance's own first, then its classes'), read without running
    # any descriptor; only plain values can be compiled expressions.
    for namespace in [getattr(processor, "__dict__", {}), *(vars(cls) for cls in type(processor).__mro__)]:
        for name, value in list(namespace.items()):
            if name in seen:
                continue
            seen.add(name)
            if isinstance(value, re.Pattern) and (wanted := needles(value)) is not None:
                try:
                    setattr(processor, name, GatedExpression(value, wanted))
                except AttributeError:  # pragma: no cover - a slot or a read-only property
                    continue
                gated += 1
    return gated


def accelerate(md: markdown.Markdown) -> bool:
    """Gate the expressions of `md`'s preprocessors and block processors, and put a SkippingInlineProcessor in
    place of its stock inline pass; False (and the stock inline pass kept) when this Markdown release's inline
    loop is not the one SkippingInlineProcessor was written against."""
    for processor in [*md.preprocessors, *md.parser.blockprocessors]:
        gate_expressions(processor)
    for processor in md.treeprocessors:
        if isinstance(processor, TocTreeprocessor):
            _look_for_the_marker_first(processor)
    return _replace_inline_pass(md)


def _look_for_the_marker_first(toc: TocTreeprocessor) -> None:
    """The toc extension walks the whole tree, joining the text of every element, to find a paragraph that is
    its marker (`[TOC]`), in every article; where the marker is nowhere in the text, that walk finds nothing."""
    replace_marker = toc.replace_marker

    def replace_marker_if_present(root: Any, elem: Any) -> None:
        if toc.marker in "".join(root.itertext()):
            replace_marker(root, elem)

    toc.replace_marker = replace_marker_if_present  # type: ignore[method-assign]


def _replace_inline_pass(md: markdown.Markdown) -> bool:
    registry = md.treeprocessors
    if _sre is None or not _stock_loop_is_known() or type(registry["inline"]) is not InlineProcessor:
        return False
    stock = registry["inline"]
    replacement = SkippingInlineProcessor(md)
    trial = registry[:]  # a copy: registering by name puts the item by priority, not where the old one was
    trial.register(replacement, "inline", 20)  # 20: the stock inline pass's priority
    if list(trial) != [replacement if processor is stock else processor for processor in registry]:
        return False  # pragma: no cover - the inline pass has another priority here
    registry.register(replacement, "inline", 20)
    return True
