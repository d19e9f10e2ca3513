"""A scratch newsroom of several articles for theme tests: pagination, sections, related stories,
a dateline, a picture, and words long enough to test narrow screens."""

from __future__ import annotations

from conftest import article

PAGE_SIZE = 7

BODY = """\
The council met on Tuesday evening and voted on the plan after a debate that ran past midnight, with
members from both blocs saying the compromise was "the best we could get" under the circumstances.

> "We did not get everything we wanted, but we got a budget that keeps the lights on," the chair said.

## What changes

The agreement changes three things:

- Funding for the harbour is **doubled** over five years;
- A new [independent review](https://example.com/review?id=1&lang=en) starts in June;
- Fees for small traders are frozen.

1. First reading in March.
2. Final vote in April.

Critics said the deal, described in a 140-page annex at
https://example.com/a/very/long/address/that/should/wrap/on/a/small/phone/screen/without/scrolling.pdf,
leaves the hardest questions for later. Officials called it 'a start' -- and nothing more.

| Item | 2024 | 2025 |
|------|------|------|
| Harbour | 12.0 | 24.0 |
| Schools | 40.5 | 41.2 |
"""

# (slug, title, date, categories, tags, extra front matter)
STORIES = [
    ("harbour-budget", "City council approves harbour budget after all-night session", "2024-03-12T23:40:00+01:00",
     ["Politics"], ["Budget", "Harbour", "City council"], {"dateline": "ROTTERDAM",
     "updated": "2024-03-13T08:15:00+01:00", "image": "/images/harbour.svg",
     "image_alt": "Cranes over the container terminal at dusk"}),
    ("harbour-strike", "Dock workers call off strike as talks resume", "2024-03-11T09:00:00+01:00",
     ["Business"], ["Harbour", "Labour"], {}),
    ("schools-funding", "Schools get a modest rise in next year's budget", "2024-03-10T12:00:00+01:00",
     ["Politics"], ["Budget", "Education"], {}),
    ("compound-words", "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz finally repealed",
     "2024-03-09T12:00:00+01:00", ["World"], ["Law"], {}),
    ("geneva-talks", "Diplomats gather in Geneva for a second round of talks", "2024-03-08T12:00:00+01:00",
     ["World"], ["Diplomacy", "Geneva"], {}),
    ("trade-figures", "Exports climb for the third month in a row", "2024-03-07T12:00:00+01:00",
     ["Business"], ["Trade", "Harbour"], {}),
    ("river-levels", "River levels fall after a week of flood warnings", "2024-03-06T12:00:00+01:00",
     ["World"], ["Weather"], {}),
    ("museum-reopens", "The maritime museum reopens with a new wing", "2024-03-05T12:00:00+01:00",
     ["Culture"], ["Harbour", "Museums"], {}),
    ("election-date", "Regional election set for the autumn", "2024-03-04T12:00:00+01:00",
     ["Politics"], ["Elections"], {}),
    ("summit-plans", "Leaders agree to meet again before the summer", "2024-03-03T12:00:00+01:00",
     ["World"], ["Diplomacy"], {}),
    ("ferry-route", "A new ferry route links the islands to the mainland", "2024-03-02T12:00:00+01:00",
     ["World"], ["Transport", "Harbour"], {}),
    ("wind-farm", "Offshore wind farm delivers its first power", "2024-03-01T12:00:00+01:00",
     ["World"], ["Energy"], {}),
    ("fish-quotas", "Fishing quotas cut again as stocks decline", "2024-02-29T12:00:00+01:00",
     ["World"], ["Fisheries"], {}),
    ("bridge-repairs", "Bridge repairs will close the east road for a month", "2024-02-28T12:00:00+01:00",
     ["World"], ["Transport"], {}),
    ("mayor-interview", "The mayor on housing, ferries and the next ten years", "2024-02-27T12:00:00+01:00",
     ["Politics"], ["Housing", "Transport"], {}),
]

HARBOUR_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="675" viewBox="0 0 1200 675">
<rect width="1200" height="675" fill="#27445c"/><rect y="470" width="1200" height="205" fill="#1a2f40"/>
<circle cx="930" cy="180" r="70" fill="#f2b45a"/>
<path d="M150 470V170h20v300zm20-290h260v18H170zm120 18v120h8V198z" fill="#d9a441"/>
<path d="M560 470V220h20v250zm20-240h220v16H580z" fill="#d9a441"/>
<rect x="120" y="400" width="520" height="70" fill="#b5483b"/><rect x="660" y="420" width="420" height="50" fill="#3b7a8f"/>
</svg>
"""


def newsroom_files(page_size: int = PAGE_SIZE) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        "newsgen.yaml": f"""\
            title: The Harbour Herald
            description: News from the port city, every day.
            base_url: https://herald.example/
            language: en
            timezone: Europe/Amsterdam
            author: Herald Staff
            page_size: {page_size}
            """,
        "static/images/harbour.svg": HARBOUR_SVG,
    }
    for slug, title, date, categories, tags, fields in STORIES:
        files[f"content/{slug}.md"] = article(
            title, date, BODY, slug=slug, categories=categories, tags=tags,
            summary=f"A short standfirst for “{title}”, with enough words to wrap onto two lines on a phone.",
            **fields)
    return files
