"""Near-misses of known names: the typo check shared by front-matter fields and Pelican's metadata keys."""

from __future__ import annotations


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours
    (`titel` is one swap from `title`)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


def typo_of(key: str, names: tuple[str, ...]) -> str | None:
    """The known field a key is a near-miss of: one edit for names of up to four letters (`tag`), two
    for longer ones (`catgories`, `summmary`); anything further is somebody's own key."""
    lower = key.lower()
    limit = 1 if len(lower) <= 4 else 2
    # names whose length alone is further than the limit are not compared, so a hostile 100,000-letter
    # key costs nothing
    found = sorted((edit_distance(lower, name), name) for name in names
                   if name != lower and abs(len(name) - len(lower)) <= limit)
    return found[0][1] if found and found[0][0] <= limit else None
