"""Embeds: a video, post, map or chart from another site, shown as a click-to-load placeholder.

An editor writes a provider's URL on a line of its own, a shortcode for options (Hugo's own names,
`{{< youtube ID >}}`, `{{< tweet user="x" id="1" >}}`, and `{{< embed URL caption="…" >}}`), or pastes the
provider's embed code (`<iframe …>`, `<blockquote class="twitter-tweet">…`). Each is read into an `Embed`:
the URL is parsed, its host matched exactly against the provider's, and the URL readers follow and the
iframe's src are rebuilt from the parts the provider's pattern allows. Nothing of the text written, the
pasted HTML least of all, reaches the page but those rebuilt URLs and escaped text.

The page shows a link to the original, sized like the frame it stands for; the theme's small script
(assets/embed.js) turns it into the sandboxed iframe when pressed. Until then nothing is requested from the
provider. Pure but for `picture_size`, which reads a poster's pixel size (the build passes it in).
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, quote, unquote, urlencode, urlsplit

from .errors import did_you_mean

MAX_URL = 1024  # longer is no provider's URL: refused before it is parsed
MAX_TEXT = 300  # a title or a caption
# What a URL of an embed may be made of: printable ASCII, no quotes, angle brackets, backslashes or spaces.
_URL_CHARS = re.compile(r"[!#-&(-;=?-\[\]-~]+")
# Boxes the placeholder and the frame share: an aspect ratio, or a fixed height for audio players.
RATIOS = ("16:9", "4:3", "3:2", "21:9", "1:1", "4:5", "9:16")
_BOXES = {ratio: "r" + ratio.replace(":", "x") for ratio in RATIOS}
PLAYER = "allow-scripts allow-same-origin allow-presentation allow-popups allow-popups-to-escape-sandbox"
WIDGET = "allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox"


class EmbedError(Exception):
    """An embed that cannot be shown safely; `line` is the body line it starts on."""

    def __init__(self, message: str, line: int = 0, hint: str | None = None):
        super().__init__(message)
        self.message, self.line, self.hint = message, line, hint


class NotEmbeddable(Exception):
    """A well-formed URL that no provider (or not this provider's pattern) can embed: a plain link.
    `unknown_host`: no provider has the host, which the site may list under embed_domains."""

    def __init__(self, message: str, unknown_host: bool = False):
        super().__init__(message)
        self.unknown_host = unknown_host


@dataclass(frozen=True)
class Embed:
    provider: str  # key of PROVIDERS, or "iframe" for a domain the site lists
    label: str  # the provider's name for readers: "YouTube"
    kind: str  # video, post, audio, map, chart, document, page
    url: str  # the original, which readers follow (and the placeholder links to)
    src: str  # the iframe's src, loaded only when the reader presses the placeholder
    sandbox: str
    allow: str
    box: str  # CSS class of the reserved box: r16x9, …, or h152 (a fixed height)
    title: str = ""
    caption: str = ""
    poster: str = ""  # a picture of the site, as written (`images/x.jpg`)
    poster_size: tuple[int, int] | None = None
    date: str = ""  # the video's upload date, YYYY-MM-DD, when the editor gives it
    line: int = 0  # body line

    @property
    def name(self) -> str:
        return self.title or f"{self.label} {self.kind}"


@dataclass(frozen=True)
class Provider:
    key: str
    label: str
    kind: str
    hosts: frozenset[str]
    # (host, path, query, fragment, start seconds or None) -> (url, src, box), or None: not this provider's pattern
    match: Callable[[str, str, dict[str, str], str, int | None], tuple[str, str, str] | None]
    sandbox: str = WIDGET
    allow: str = ""
    starts: bool = False  # takes a start time

    @property
    def noun(self) -> str:
        return {"post": "post", "audio": "player", "map": "map", "chart": "chart",
                "document": "document"}.get(self.kind, self.kind)


def _query(query: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(query, keep_blank_values=True).items()}


def _seconds(text: str) -> int | None:
    """90, 90s, 1m30s, 1h2m3s, 1:30 or 1:02:03 -> seconds; None when it is none of these."""
    text = text.strip()
    if re.fullmatch(r"\d{1,6}s?", text):
        return int(text.rstrip("s"))
    units = re.fullmatch(r"(?:(\d{1,3})h)?(?:(\d{1,4})m)?(?:(\d{1,6})s)?", text)
    if units and any(units.groups()):
        hours, minutes, seconds = (int(part or 0) for part in units.groups())
        return hours * 3600 + minutes * 60 + seconds
    clock = re.fullmatch(r"(?:(\d{1,3}):)?(\d{1,2}):(\d{2})", text)
    if clock:
        hours, minutes, seconds = (int(part or 0) for part in clock.groups())
        return hours * 3600 + minutes * 60 + seconds
    return None


def _start(query: dict[str, str], start: int | None, *names: str) -> int | None:
    if start is not None:
        return start
    for name in names:
        if name in query:
            return _seconds(query[name])
    return None


_YOUTUBE_ID = r"[A-Za-z0-9_-]{11}"


def _youtube(host: str, path: str, query: dict[str, str], fragment: str, start: int | None):
    box = "r16x9"
    if host == "youtu.be":
        found = re.fullmatch(rf"/({_YOUTUBE_ID})/?", path)
    elif path in ("/watch", "/watch/"):
        found = re.fullmatch(rf"({_YOUTUBE_ID})", query.get("v", ""))
    else:
        found = re.fullmatch(rf"/(?:embed|shorts|live|v)/({_YOUTUBE_ID})/?", path)
        box = "r9x16" if path.startswith("/shorts/") else box
    if not found:
        return None
    video = found.group(1)
    start = _start(query, start, "t", "start")
    url = f"https://www.youtube.com/watch?v={video}" + (f"&t={start}s" if start else "")
    src = f"https://www.youtube-nocookie.com/embed/{video}?autoplay=1" + (f"&start={start}" if start else "")
    return url, src, box


def _vimeo(host: str, path: str, query: dict[str, str], fragment: str, start: int | None):
    pattern = r"/video/(\d{1,12})/?" if host == "player.vimeo.com" else r"/(?:channels/[\w-]{1,60}/)?(\d{1,12})/?"
    found = re.fullmatch(pattern, path)
    if not found:
        return None
    start = start if start is not None else _seconds(fragment.removeprefix("t=")) if fragment.startswith("t=") else None
    at = f"#t={start}s" if start else ""
    return (f"https://vimeo.com/{found.group(1)}{at}",
            f"https://player.vimeo.com/video/{found.group(1)}?dnt=1&autoplay=1{at}", "r16x9")


def _dailymotion(host: str, path: str, query: dict[str, str], fragment: str, start: int | None):
    pattern = (r"/([a-zA-Z0-9]{5,12})/?" if host == "dai.ly"
               else r"/(?:embed/)?video/([a-zA-Z0-9]{5,12})(?:_[\w-]{0,200})?/?")
    found = re.fullmatch(pattern, path)
    if not found:
        return None
    video = found.group(1)
    start = _start(query, start, "start")
    return (f"https://www.dailymotion.com/video/{video}",
            f"https://www.dailymotion.com/embed/video/{video}?autoplay=1" + (f"&start={start}" if start else ""),
            "r16x9")


def _x(host: str, path: str, query: dict[str, str], fragment: str, start: int | None):
    if host == "platform.twitter.com":
        post = query.get("id", "") if path == "/embed/Tweet.html" else ""
        if not re.fullmatch(r"\d{1,20}", post):
            return None
        url = f"https://x.com/i/status/{post}"
    else:
        found = re.fullmatch(r"/([A-Za-z0-9_]{1,15})/status(?:es)?/(\d{1,20})(?:/photo/\d)?/?", path)
        if not found:
            return None
        post = found.group(2)
        url = f"https://x.com/{found.group(1)}/status/{post}"
    return url, f"https://platform.twitter.com/embed/Tweet.html?id={post}&dnt=true", "r1x1"


def _instagram(host: str, path: str, query: dict[str, str], fragment: str, start: int | None):
    found = re.fullmatch(r"(?:/[A-Za-z0-9_.]{1,30})?/(p|reel|tv)/([A-Za-z0-9_-]{5,64})(?:/embed(?:/captioned)?)?/?",
                         path)
    if not found:
        return None
    kind, code = found.groups()
    return (f"https://www.instagram.com/{kind}/{code}/", f"https://www.instagram.com/{kind}/{code}/embed/", "r4x5")


def _tiktok(host: str, path: str, query: dict[str, str], fragment: str, start: int | None):
    found = re.fullmatch(r"/(@[A-Za-z0-9_.]{1,32})/video/(\d{1,25})/?", path)
    if found:
        url = f"https://www.tiktok.com/{found.group(1)}/video/{found.group(2)}"
        video = found.group(2)
    else:
        found = re.fullmatch(r"/embed(?:/v2)?/(\d{1,25})/?", path)
        if not found:
            return None
        video = found.group(1)
        url = f"https://www.tiktok.com/embed/v2/{video}"
    return url, f"https://www.tiktok.com/embed/v2/{video}", "r9x16"


_DID = r"did:(?:plc:[a-z2-7]{24}|web:[a-z0-9.-]{1,253})"


def _bluesky(host: str, path: str, query: dict[str, str], fragment: str, start: int | None):
    if host == "embed.bsky.app":
        found = re.fullmatch(rf"/embed/({_DID})/app\.bsky\.feed\.post/([A-Za-z0-9]{{1,64}})/?", path)
    else:
        found = re.fullmatch(rf"/profile/({_DID})/post/([A-Za-z0-9]{{1,64}})/?", path)
        if not found and re.fullmatch(r"/profile/[A-Za-z0-9.-]{1,253}/post/[A-Za-z0-9]{1,64}/?", path):
            raise NotEmbeddable("Bluesky embeds a post by its account's DID, which a build that never goes "
                                "online cannot look up from a handle; paste the post's embed code "
                                "(… > Embed post) instead")
    if not found:
        return None
    did, key = found.groups()
    return (f"https://bsky.app/profile/{did}/post/{key}",
            f"https://embed.bsky.app/embed/{did}/app.bsky.feed.post/{key}", "r1x1")


def _mastodon(host: str, path: str, query: dict[str, str], fragment: str, start: int | None):
    found = re.fullmatch(r"/@([A-Za-z0-9_]{1,30})/(\d{1,20})(?:/embed)?/?", path)
    if not found:
        return None
    user, post = found.groups()
    return f"https://{host}/@{user}/{post}", f"https://{host}/@{user}/{post}/embed", "r1x1"


def _soundcloud(host: str, path: str, query: dict[str, str], fragment: str, start: int | None):
    if host == "w.soundcloud.com":  # the player: the track is its `url`
        inner = urlsplit(query.get("url", "")) if path in ("/player", "/player/") else None
        if inner is None or inner.scheme not in ("http", "https") or inner.port is not None or inner.username:
            return None
        host, path = inner.hostname or "", inner.path
    if host == "api.soundcloud.com":
        found = re.fullmatch(r"/(tracks|playlists)/(\d{1,20})/?", path)
        name = f"{found.group(1)}/{found.group(2)}" if found else ""
    elif host in ("soundcloud.com", "www.soundcloud.com", "m.soundcloud.com"):
        found = re.fullmatch(r"/([a-z0-9_-]{1,100})/((?:sets/)?[a-z0-9_-]{1,200})/?", path, re.IGNORECASE)
        name = f"{found.group(1)}/{found.group(2)}" if found else ""
    else:
        found = None
    if not found:
        return None
    url = f"https://{'api.' if host == 'api.soundcloud.com' else ''}soundcloud.com/{name}"
    box = "h352" if "sets/" in name or name.startswith("playlists/") else "h166"
    return url, f"https://w.soundcloud.com/player/?url={quote(url, safe='')}&auto_play=true", box


def _spotify(host: str, path: str, query: dict[str, str], fragment: str, start: int | None):
    found = re.fullmatch(r"(?:/intl-[a-z]{2}(?:-[A-Za-z]{2})?)?(?:/embed)?/(track|album|playlist|episode|show|artist)/"
                         r"([A-Za-z0-9]{22})/?", path)
    if not found:
        return None
    kind, item = found.groups()
    return (f"https://open.spotify.com/{kind}/{item}", f"https://open.spotify.com/embed/{kind}/{item}",
            "h152" if kind in ("track", "episode") else "h352")


_NUMBER = r"-?\d{1,3}(?:\.\d{1,10})?"


def _openstreetmap(host: str, path: str, query: dict[str, str], fragment: str, start: int | None):
    """A view (`#map=zoom/lat/lon`, with `mlat`/`mlon` for a marker) or the embed's bbox, both rebuilt
    from numbers: the embed shows a box around the view, the link the view around the box."""
    marker = None
    if path == "/export/embed.html":
        box = re.fullmatch(",".join([f"({_NUMBER})"] * 4), query.get("bbox", ""))
        if not box:
            return None
        west, south, east, north = (float(value) for value in box.groups())
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            return None
        lat, lon = (south + north) / 2, (west + east) / 2
        zoom = max(0, min(19, round(math.log2(360 * 1.4 * 2 / (east - west)))))
        found = re.fullmatch(f"({_NUMBER}),({_NUMBER})", query.get("marker", ""))
        marker = (float(found.group(1)), float(found.group(2))) if found else None
    else:
        view = re.fullmatch(rf"map=(\d{{1,2}})/({_NUMBER})/({_NUMBER})(?:&.*)?", fragment)
        if path not in ("", "/") or not view:
            return None
        zoom, lat, lon = int(view.group(1)), float(view.group(2)), float(view.group(3))
        if re.fullmatch(_NUMBER, query.get("mlat", "")) and re.fullmatch(_NUMBER, query.get("mlon", "")):
            marker = (float(query["mlat"]), float(query["mlon"]))
        half = 360 / 2 ** zoom * 1.4
        west, east = max(-180.0, lon - half), min(180.0, lon + half)
        tall = half * 0.75 * math.cos(math.radians(max(-85.0, min(85.0, lat))))
        south, north = max(-90.0, lat - tall), min(90.0, lat + tall)
    if not (zoom <= 19 and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if marker is not None and not (-90 <= marker[0] <= 90 and -180 <= marker[1] <= 180):
        marker = None

    def number(value: float) -> str:
        return f"{value:.5f}".rstrip("0").rstrip(".")

    bbox = ",".join(number(value) for value in (west, south, east, north))
    pin = f"&marker={number(marker[0])},{number(marker[1])}" if marker else ""
    pinned = f"?mlat={number(marker[0])}&mlon={number(marker[1])}" if marker else ""
    return (f"https://www.openstreetmap.org/{pinned}#map={zoom}/{number(lat)}/{number(lon)}",
            f"https://www.openstreetmap.org/export/embed.html?bbox={bbox}&layer=mapnik{pin}", "r4x3")


def _datawrapper(host: str, path: str, query: dict[str, str], fragment: str, start: int | None):
    pattern = (r"/_/([A-Za-z0-9]{5})/?" if host == "www.datawrapper.de"
               else r"/([A-Za-z0-9]{5})/(?:(\d{1,4})/)?(?:index\.html)?")
    found = re.fullmatch(pattern, path)
    if not found:
        return None
    chart = found.group(1)
    version = found.group(2) if found.lastindex and found.lastindex > 1 and found.group(2) else ""
    url = f"https://datawrapper.dwcdn.net/{chart}/" + (f"{version}/" if version else "")
    return url, url, "r4x3"


def _flourish(host: str, path: str, query: dict[str, str], fragment: str, start: int | None):
    found = re.fullmatch(r"/(visualisation|story)/(\d{1,12})/?(?:embed)?", path)
    if not found:
        return None
    kind, item = found.groups()
    return (f"https://public.flourish.studio/{kind}/{item}/", f"https://flo.uri.sh/{kind}/{item}/embed", "r4x3")


def _documentcloud(host: str, path: str, query: dict[str, str], fragment: str, start: int | None):
    found = re.fullmatch(r"/documents/(\d{1,12}(?:-[a-z0-9-]{1,200})?)(?:\.html|/)?", path)
    if not found:
        return None
    document = found.group(1)
    return (f"https://www.documentcloud.org/documents/{document}",
            f"https://embed.documentcloud.org/documents/{document}/?embed=1&responsive=1", "r4x5")


MASTODON_HOSTS = frozenset({"mastodon.social", "mastodon.online", "mstdn.social", "mas.to", "mastodon.world",
                            "journa.host", "newsie.social", "mastodon.green", "fosstodon.org"})
PROVIDERS = (
    Provider("youtube", "YouTube", "video", frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be",
             "youtube-nocookie.com", "www.youtube-nocookie.com"}), _youtube, PLAYER,
             "autoplay; encrypted-media; picture-in-picture; fullscreen", starts=True),
    Provider("vimeo", "Vimeo", "video", frozenset({"vimeo.com", "www.vimeo.com", "player.vimeo.com"}), _vimeo, PLAYER,
             "autoplay; picture-in-picture; fullscreen", starts=True),
    Provider("dailymotion", "Dailymotion", "video", frozenset({"dailymotion.com", "www.dailymotion.com", "dai.ly"}),
             _dailymotion, PLAYER, "autoplay; picture-in-picture; fullscreen", starts=True),
    Provider("x", "X", "post", frozenset({"x.com", "www.x.com", "twitter.com", "www.twitter.com", "mobile.twitter.com",
             "platform.twitter.com"}), _x),
    Provider("instagram", "Instagram", "post", frozenset({"instagram.com", "www.instagram.com"}), _instagram),
    Provider("tiktok", "TikTok", "video", frozenset({"tiktok.com", "www.tiktok.com"}), _tiktok, PLAYER,
             "autoplay; fullscreen"),
    Provider("bluesky", "Bluesky", "post", frozenset({"bsky.app", "embed.bsky.app"}), _bluesky),
    Provider("mastodon", "Mastodon", "post", MASTODON_HOSTS, _mastodon),
    Provider("soundcloud", "SoundCloud", "audio", frozenset({"soundcloud.com", "www.soundcloud.com", "m.soundcloud.com",
             "w.soundcloud.com"}), _soundcloud, WIDGET, "autoplay"),
    Provider("spotify", "Spotify", "audio", frozenset({"open.spotify.com"}), _spotify, WIDGET,
             "autoplay; clipboard-write; encrypted-media; fullscreen; picture-in-picture"),
    # A map of tiles and Leaflet: scripts, no storage, so no same-origin.
    Provider("openstreetmap", "OpenStreetMap", "map", frozenset({"openstreetmap.org", "www.openstreetmap.org"}),
             _openstreetmap, "allow-scripts allow-popups allow-popups-to-escape-sandbox"),
    Provider("datawrapper", "Datawrapper", "chart", frozenset({"datawrapper.dwcdn.net", "www.datawrapper.de"}),
             _datawrapper, WIDGET, "fullscreen"),
    Provider("flourish", "Flourish", "chart", frozenset({"public.flourish.studio", "flo.uri.sh"}), _flourish, WIDGET,
             "fullscreen"),
    Provider("documentcloud", "DocumentCloud", "document", frozenset({"www.documentcloud.org", "documentcloud.org",
             "embed.documentcloud.org"}), _documentcloud, WIDGET, "fullscreen"),
)
_BY_HOST = {host: provider for provider in PROVIDERS for host in provider.hosts}
GENERIC = Provider("iframe", "", "page", frozenset(), lambda *_: None)


def parse_url(text: str) -> tuple[str, str, str, str, str]:
    """(scheme, host, path, query, fragment) of an http(s) URL fit to be embedded; EmbedError names what is
    wrong with any other: no other scheme, no user name or password, no port, no quotes or spaces."""
    if len(text) > MAX_URL:
        raise EmbedError(f"the URL is {len(text)} characters long; an embed's URL has at most {MAX_URL}")
    if not _URL_CHARS.fullmatch(text):
        raise EmbedError("the URL has spaces, quotes, angle brackets or other characters no URL has",
                         hint="copy the address from the browser's address bar")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise EmbedError(f"{text!r} is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise EmbedError(f"an embed's URL starts with https://, not {parts.scheme or text[:20]!r}")
    if parts.username is not None or parts.password is not None:
        raise EmbedError("an embed's URL names no user or password (`user@` before the host)")
    if port is not None:
        raise EmbedError(f"an embed's URL names no port (`:{port}`)")
    host = parts.hostname or ""
    if not re.fullmatch(r"[a-z0-9.-]{1,253}", host):
        raise EmbedError(f"{text!r} names no host")
    return parts.scheme.lower(), host, parts.path, parts.query, parts.fragment


def resolve(text: str, domains: frozenset[str] = frozenset(), start: int | None = None) -> Embed:
    """The embed for a URL; EmbedError when the URL is malformed or hostile, NotEmbeddable when it is a
    good URL that no provider (or no domain the site lists) embeds."""
    scheme, host, path, query, fragment = parse_url(text)
    provider = _BY_HOST.get(host)
    if provider is None and host in domains:
        provider = next(p for p in PROVIDERS if p.key == "mastodon") if re.fullmatch(
            r"/@[A-Za-z0-9_]{1,30}/\d{1,20}(?:/embed)?/?", path) else GENERIC
    if provider is None:
        raise NotEmbeddable(f"{host} is no embed provider newsgen knows", unknown_host=True)
    if start is not None and not provider.starts:
        raise EmbedError(f"start: {provider.label or host} embeds take no start time")
    if provider is GENERIC:
        if scheme != "https":
            raise EmbedError(f"{host} is embedded over https:// only")
        # rebuilt from its parts: the path and query re-quoted, so nothing but a URL can come out
        rebuilt = (f"https://{host}{quote(unquote(path), safe='/:@!$()*+,;=-._~')}"
                   + (f"?{urlencode(parse_qsl(query, keep_blank_values=True))}" if query else ""))
        return Embed("iframe", host, "page", rebuilt, rebuilt, WIDGET, "fullscreen", "r16x9")
    found = provider.match(host, path, _query(query), fragment, start)
    if found is None:
        raise NotEmbeddable(f"this {provider.label} address is not one newsgen can embed")
    url, src, box = found
    return Embed(provider.key, provider.label, provider.kind, url, src, provider.sandbox, provider.allow, box)


# --- how editors write them ------------------------------------------------------------------------
OPTIONS = ("start", "caption", "ratio", "poster", "title", "date")
# Hugo's own shortcode names and the arguments it reads: the URL each stands for.
SHORTCODES: dict[str, Callable[[dict[str, str], list[str]], str]] = {
    "youtube": lambda named, args: f"https://www.youtube.com/watch?v={named.get('id') or _first(args)}",
    "vimeo": lambda named, args: f"https://vimeo.com/{named.get('id') or _first(args)}",
    "dailymotion": lambda named, args: f"https://www.dailymotion.com/video/{named.get('id') or _first(args)}",
    "tweet": lambda named, args: _post(named, args),
    "x": lambda named, args: _post(named, args),
    "instagram": lambda named, args: f"https://www.instagram.com/p/{named.get('id') or _first(args)}/",
    "embed": lambda named, args: named.get("url") or _first(args),
}
# Hugo's presentation arguments: how its own player looked, which the placeholder decides here.
_HUGO_ONLY = {"id", "user", "url", "autoplay", "class", "loading", "controls", "mute", "end", "allowfullscreen",
              "dnt", "hash", "hidecaption", "lang", "theme", "align"}
_SHORTCODE = re.compile(r"\{\{([<%])\s*(\w+)(.*?)\s*[>%]\}\}\s*", re.DOTALL)
_ARGUMENT = re.compile(r"""\s*(?:(\w+)\s*=\s*)?("(?:[^"\\]|\\.)*"|`[^`]*`|'[^']*'|[^\s"'`]+)""", re.DOTALL)
_BARE = re.compile(r" {0,3}<?(https?://\S+?)>?\s*")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_PASTED = re.compile(r" {0,3}<(iframe|blockquote|div)[\s>]", re.IGNORECASE)


def _post(named: dict[str, str], args: list[str]) -> str:
    """Hugo's tweet/x shortcode: `user` and `id`, or both positional, or (older Hugo) the id alone."""
    if not named and len(args) == 1:
        return f"https://x.com/i/status/{args[0]}"
    return f"https://x.com/{named.get('user') or _first(args)}/status/{named.get('id') or _first(args[1:])}"


def _first(args: list[str]) -> str:
    return args[0] if args else ""


def _unquote(value: str) -> str:
    if value[:1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    if value[:1] in ("`", "'"):
        return value[1:-1]
    return value


def _options(named: dict[str, str], line: int) -> dict[str, object]:
    """The block form's options, checked; EmbedError for a bad value or an unknown name."""
    found: dict[str, object] = {}
    for name, value in named.items():
        key = name.lower()
        if key in _HUGO_ONLY:
            continue
        if key not in OPTIONS:
            raise EmbedError(f"unknown embed option {name!r}", line,
                             did_you_mean(key, OPTIONS) or f"the options are {', '.join(OPTIONS)}")
        if key == "start":
            seconds = _seconds(value)
            if seconds is None:
                raise EmbedError(f"start: expected a time such as 90, 1:30 or 1m30s, not {value!r}", line)
            found[key] = seconds
        elif key == "ratio":
            if value not in _BOXES:
                raise EmbedError(f"ratio: expected one of {', '.join(RATIOS)}, not {value!r}", line)
            found[key] = _BOXES[value]
        elif key == "date":
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise EmbedError(f"date: expected the upload date as YYYY-MM-DD, not {value!r}", line)
            found[key] = value
        elif key == "poster":
            parts = urlsplit(value)
            if (parts.scheme or parts.netloc or parts.query or parts.fragment or not parts.path.strip("/")
                    or {".", ".."} & set(parts.path.split("/"))):
                raise EmbedError(f"poster: expected a picture of this site such as images/still.jpg, not {value!r}",
                                 line, "a poster is a file under static/, so no request leaves the site")
            found[key] = value.lstrip("/")
        else:
            text = " ".join(value.split())
            if len(text) > MAX_TEXT:
                raise EmbedError(f"{key}: at most {MAX_TEXT} characters", line)
            found[key] = text
    return found


class _Pasted(HTMLParser):
    """What a pasted embed code says, read as data: its first element, and the links a post's quote holds.
    `shape` is False when the block is anything but one such element followed by scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tag = ""
        self.attributes: dict[str, str] = {}
        self.links: list[str] = []
        self.depth = 0
        self.done = False
        self.shape = True
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        if not self.tag:
            self.tag, self.attributes, self.depth = tag, values, 0 if tag == "iframe" else 1
            return
        if self.done:
            self._script = tag == "script"
            self.shape = self.shape and self._script
        elif tag == "a" and values.get("href"):
            self.links.append(values["href"])
        if tag == self.tag and not self.done:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == self.tag and not self.done:
            self.depth -= 1
            if self.depth <= 0:
                self.done = True
        elif self.done:
            self.shape = self.shape and tag == "script"
            self._script = False

    def handle_data(self, data: str) -> None:
        if self.done and not self._script and data.strip():
            self.shape = False


_POST_CLASSES = ("twitter-tweet", "instagram-media", "tiktok-embed", "bluesky-embed", "mastodon-embed")


def _pasted(block: str, line: int, domains: frozenset[str]) -> tuple[str | None, str]:
    """(URL, title) read from pasted embed code; (None, "") when it is no embed code (left as written)."""
    parser = _Pasted()
    parser.feed(block)
    parser.close()
    attributes = parser.attributes
    if not parser.shape or not parser.tag:
        return None, ""
    if parser.tag == "iframe":
        handlers = sorted(name for name in attributes if name.startswith("on") or name == "srcdoc")
        if handlers:
            raise EmbedError(f"the pasted <iframe> has {', '.join(handlers)}, which newsgen never copies", line,
                             "paste the provider's own embed code or the address of what it shows")
        if not attributes.get("src"):
            raise EmbedError("the pasted <iframe> has no src", line)
        return attributes["src"].strip(), " ".join(attributes.get("title", "").split())[:MAX_TEXT]
    classes = attributes.get("class", "").split()
    if parser.tag == "div":  # Flourish's script embed: <div class="flourish-embed" data-src="visualisation/1">
        source = attributes.get("data-src", "")
        if "flourish-embed" in classes and re.fullmatch(r"(visualisation|story)/\d{1,12}", source):
            return f"https://public.flourish.studio/{source}/", ""
        return None, ""
    if not any(name in classes for name in _POST_CLASSES):
        return None, ""
    candidates = []
    uri = re.fullmatch(rf"at://({_DID})/app\.bsky\.feed\.post/([A-Za-z0-9]{{1,64}})",
                       attributes.get("data-bluesky-uri", ""))
    if uri:
        candidates.append(f"https://bsky.app/profile/{uri.group(1)}/post/{uri.group(2)}")
    candidates += [attributes.get("cite", ""), attributes.get("data-instgrm-permalink", ""), *reversed(parser.links)]
    for candidate in candidates:
        try:
            resolve(candidate.strip(), domains)
        except (EmbedError, NotEmbeddable):
            continue
        return candidate.strip(), ""
    raise EmbedError(f"the pasted <blockquote class=\"{' '.join(classes)}\"> links to no post newsgen can embed",
                     line, "write the post's address on a line of its own")


@dataclass(frozen=True)
class Prepared:
    """A body with each embed (and each link made from a URL that is no embed) replaced by a token, a word
    Markdown leaves alone; `finish` puts their HTML in place after Markdown and sanitising are done."""

    source: str
    blocks: dict[str, str] = field(default_factory=dict)  # token -> HTML
    embeds: tuple[Embed, ...] = ()
    warnings: tuple[tuple[str, int], ...] = ()  # (message, body line)

    def finish(self, body_html: str) -> str:
        for token, markup in self.blocks.items():
            body_html = body_html.replace(f"<p>{token}</p>", markup).replace(token, markup)
        return body_html

    def without_tokens(self, body_html: str) -> str:
        for token in self.blocks:
            body_html = body_html.replace(f"<p>{token}</p>", "").replace(token, "")
        return body_html


PosterSize = Callable[[str], "tuple[int, int] | None"]


def prepare(source: str, domains: frozenset[str], base_path: str, poster_size: PosterSize | None,
            typography: Callable[[str], str] = lambda text: text) -> Prepared:
    """Find the embeds of a Markdown body: a provider URL on a line of its own, a shortcode, pasted embed
    code, each a block of its own (blank lines around it), outside fenced code. Raises EmbedError."""
    if "://" not in source and "{{" not in source and "<" not in source:  # most bodies: nothing to look at
        return Prepared(source)
    nonce = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:16]  # no body holds its own digest
    lines = source.split("\n")
    out: list[str] = []
    blocks: dict[str, str] = {}
    embeds: list[Embed] = []
    warnings: list[tuple[str, int]] = []
    fence = ""
    index = 0
    while index < len(lines):
        text = lines[index]
        fenced = _FENCE.match(text)
        if fence:
            closing = fenced and fenced.group(1)[0] == fence[0] and len(fenced.group(1)) >= len(fence)
            if closing and not text[fenced.end():].strip():  # type: ignore[union-attr]
                fence = ""
            out.append(text)
            index += 1
            continue
        if fenced:
            fence = fenced.group(1)
            out.append(text)
            index += 1
            continue
        if index and lines[index - 1].strip():  # not the first line of a block
            out.append(text)
            index += 1
            continue
        end = index
        while end + 1 < len(lines) and lines[end + 1].strip():
            end += 1
        block = "\n".join(lines[index:end + 1])
        line = index + 1
        made = _block(block, line, domains, base_path, poster_size, typography)
        if made is None:
            out.append(text)
            index += 1
            continue
        markup, embed, warning = made
        token = f"newsgenembed{len(blocks)}z{nonce}"
        blocks[token] = markup
        if embed is not None:
            embeds.append(embed)
        if warning:
            warnings.append((warning, line))
        out.extend([token] + [""] * (end - index))
        index = end + 1
    if not blocks:
        return Prepared(source)
    return Prepared("\n".join(out), blocks, tuple(embeds), tuple(warnings))


def _block(block: str, line: int, domains: frozenset[str], base_path: str, poster_size: PosterSize | None,
           typography: Callable[[str], str]) -> tuple[str, Embed | None, str] | None:
    """(HTML, embed or None for a plain link, warning) for a block that is an embed; None for any other."""
    options: dict[str, object] = {}
    title = ""
    shortcode = _SHORTCODE.fullmatch(block.strip())
    if shortcode:
        name = shortcode.group(2).lower()
        if name not in SHORTCODES:
            return None  # another shortcode (figure, ref…): shown as written, as before
        named: dict[str, str] = {}
        args: list[str] = []
        rest = shortcode.group(3)
        position = 0
        while position < len(rest.rstrip()):
            argument = _ARGUMENT.match(rest, position)
            if argument is None or argument.end() == position:
                raise EmbedError(f"cannot read the {name} shortcode's arguments from {rest[position:][:40]!r}", line,
                                 'write them as name="value"')
            if argument.group(1):
                named[argument.group(1).lower()] = _unquote(argument.group(2))
            else:
                args.append(_unquote(argument.group(2)))
            position = argument.end()
        if not (named.get("url") or named.get("id") or args):
            raise EmbedError(f"the {name} shortcode names no {'URL' if name == 'embed' else 'id'}", line)
        url = SHORTCODES[name](named, args)
        options = _options(named, line)
    elif _PASTED.match(block):
        url, title = _pasted(block, line, domains)
        if url is None:
            return None
    else:
        bare = _BARE.fullmatch(block)
        if not bare:
            return None
        url = bare.group(1)
    try:
        embed = resolve(url, domains, options.get("start"))  # type: ignore[arg-type]
    except EmbedError as exc:
        raise EmbedError(exc.message, line, exc.hint) from None
    except NotEmbeddable as exc:
        if shortcode and shortcode.group(2).lower() != "embed":
            raise EmbedError(f"{exc} (from the {shortcode.group(2)} shortcode)", line, "check its id") from None
        href = html.escape(url, quote=True)
        listed = " (a site's own iframe hosts go under embed_domains in newsgen.yaml)" if exc.unknown_host else ""
        return f'<p><a href="{href}">{href}</a></p>', None, f"{exc}; shown as a link{listed}"
    if options.get("ratio"):
        embed = replace(embed, box=str(options["ratio"]))
    poster = str(options.get("poster", ""))
    size = None
    if poster and poster_size is not None:
        try:
            size = poster_size(poster)
        except ValueError as exc:
            raise EmbedError(f"poster: {exc}", line) from None
    embed = replace(embed, title=str(options.get("title") or title), caption=str(options.get("caption", "")),
                    poster=poster, poster_size=size, date=str(options.get("date", "")), line=line)
    return placeholder(embed, base_path, typography), embed, ""


# --- what readers get ------------------------------------------------------------------------------
_LINK_WORDS = {"video": "Watch on", "post": "View on", "audio": "Listen on", "map": "View on", "chart": "Open on",
               "document": "Read on", "page": "Open on"}


def poster_html(src: str, size: tuple[int, int] | None) -> str:
    """The poster's picture, at its true size. One function, so responsive pictures can take it over."""
    dimensions = f' width="{size[0]}" height="{size[1]}"' if size else ""
    return (f'<img class="embed-poster" src="{html.escape(src, quote=True)}"{dimensions} alt="" loading="lazy" '
            'decoding="async">')


def placeholder(embed: Embed, base_path: str, typography: Callable[[str], str] = lambda text: text) -> str:
    """The click-to-load placeholder: without JavaScript a link to the original, in the box the frame will take."""
    def attribute(value: str) -> str:
        return html.escape(value, quote=True)

    label = embed.label
    allow = f' data-allow="{embed.allow}"' if embed.allow else ""
    kind = {"page": "Embedded page"}.get(embed.kind, embed.kind.capitalize())
    loads_from = urlsplit(embed.src).hostname or ""
    poster = (poster_html(f"{base_path.rstrip('/')}/{quote(embed.poster, safe='/%')}", embed.poster_size)
              if embed.poster else "")
    title = typography(html.escape(embed.name, quote=False))
    caption = typography(html.escape(embed.caption, quote=False)) + " " if embed.caption else ""
    return (f'<figure class="embed embed-{embed.kind}">'
            f'<a class="embed-frame {embed.box}" href="{attribute(embed.url)}" data-embed="{attribute(embed.src)}" '
            f'data-sandbox="{embed.sandbox}"{allow} '
            f'data-title="{attribute(embed.name)}">'
            f'{poster}<span class="embed-cover"><span class="embed-kind">{kind} · {html.escape(label)}</span> '
            f'<span class="embed-title">{title}</span> '
            f'<span class="embed-press">Load it here (connects to {html.escape(loads_from)})</span></span></a>'
            f'<figcaption>{caption}<a href="{attribute(embed.url)}">{_LINK_WORDS[embed.kind]} {html.escape(label)}</a>'
            f'</figcaption></figure>')


def picture_size(static_dir: Path, path: str) -> tuple[int, int] | None:
    """A poster's pixel size, read with Pillow from the site's static/ folder; None when there is no such
    file (the build's reference check names it); ValueError when it is no picture Pillow can read."""
    from PIL import Image, UnidentifiedImageError

    file = static_dir / unquote(path)
    try:
        if not file.resolve().is_relative_to(static_dir.resolve()) or not file.is_file():
            return None
        with Image.open(file) as picture:
            return picture.size
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"cannot read {path} as a picture ({exc.__class__.__name__})") from None


def posters_current(embeds: tuple[Embed, ...], poster_size: PosterSize) -> bool:
    """Whether each poster still has the size a memoised body was rendered with (a picture replaced
    under the same name changes the page but not the article's file)."""
    for embed in embeds:
        if embed.poster:
            try:
                if poster_size(embed.poster) != embed.poster_size:
                    return False
            except ValueError:
                return False
    return True
