"""News photos: a site picture -> the resized, cropped, metadata-free files that are published for it.

Pure apart from Pillow: `photo_key` names a picture's files from its bytes before anything is decoded,
`encode` makes every file of one picture, `picture_html` rewrites a body's <img> into <picture>.
Nothing here reads or writes the disk; the build (build.py) and the preview (live.py) decide where
bytes come from and go, and cache what `encode` returns by `Job.key`.
"""

from __future__ import annotations

import hashlib
import html
import io
import posixpath
import re
import warnings
from urllib.parse import quote
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

# Published widths. The theme's widest picture is the lead photo at 48rem (768 CSS px, README "The
# default theme"): 1600 covers it on a 2x screen, 1200 a 390 px phone at 3x. A 2000 px step would
# serve no reader of the default theme and was the dearest encode of all (AVIF 0.3 s of CPU each).
WIDTHS = (480, 800, 1200, 1600)
RASTER = (".jpg", ".jpeg", ".png", ".webp")
# Encoder settings, chosen by measuring a 3000×2250 photo on this project's 2-core machine (CPU s per file
# at 1600 px; bytes): AVIF speed 8 costs 0.17 s against 0.63 s at speed 6 for the same size within 2 %;
# WebP method 2 0.10 s against 0.26 s at method 4, sizes within 3 %; progressive optimised JPEG 0.03 s.
AVIF = {"quality": 50, "speed": 8}
WEBP = {"quality": 75, "method": 2}
JPEG = {"quality": 80, "optimize": True, "progressive": True}
PNG = {"optimize": False, "compress_level": 6}
# Google's article image ratios, made at this width when the photo is as wide (else as wide as it is).
CROPS = {"16x9": (16, 9), "4x3": (4, 3), "1x1": (1, 1)}
CROP_WIDTH = 1200
SOCIAL = (1200, 630)  # og:image / twitter:image
CENTRE = (0.5, 0.5)
# Part of every key: a change of widths or encoder settings names new files, and the cache misses.
SETTINGS = f"photos-1|{WIDTHS}|{AVIF}|{WEBP}|{JPEG}|{PNG}|{CROPS}|{CROP_WIDTH}|{SOCIAL}"
MIME = {"avif": "image/avif", "webp": "image/webp", "jpg": "image/jpeg", "png": "image/png"}
KEY_LENGTH = 10


class PhotoError(ValueError):
    """A picture that cannot be published: not an image, truncated, too many pixels."""


def is_photo(path: str) -> bool:
    """A picture newsgen resizes (not SVG, not GIF, not a remote one)."""
    return path.lower().endswith(RASTER) and "://" not in path


def photo_key(data_digest: str) -> str:
    """The name part of a picture's files: its bytes' sha256 and the settings, so hosts may cache forever."""
    return hashlib.sha256(f"{SETTINGS}|{data_digest}".encode()).hexdigest()[:KEY_LENGTH]


def focus_key(key: str, focus: tuple[float, float]) -> str:
    return hashlib.sha256(f"{key}|{focus[0]:.4f},{focus[1]:.4f}".encode()).hexdigest()[:KEY_LENGTH]


def href(url: Callable[[str], str], path: str) -> str:
    """A picture file's URL, percent-encoded: a srcset separates its candidates by spaces and commas, so
    `images/Team photo, 2024.jpg` must reach it as `images/Team%20photo%2C%202024.jpg` (and no quote or
    angle bracket of a file name can reach the markup)."""
    return quote(url(path), safe="/:")


@dataclass(frozen=True)
class Photo:
    """What a page needs to know of a published picture. `path` is where the original was published
    (`images/geneva.jpg`); it now holds the picture at its largest published width, metadata stripped."""

    path: str
    key: str
    width: int  # upright (EXIF orientation applied), as published at `path`
    height: int
    alpha: bool  # uses transparency: the fallback is PNG, else JPEG

    @property
    def fallback(self) -> str:
        return "png" if self.alpha else "jpg"

    @property
    def widths(self) -> tuple[int, ...]:
        """Never wider than the original."""
        largest = min(self.width, WIDTHS[-1])
        return tuple(w for w in WIDTHS if w < largest) + (largest,)

    def size(self, width: int) -> tuple[int, int]:
        return width, max(1, round(self.height * width / self.width))

    @property
    def published_size(self) -> tuple[int, int]:
        """The size of the file at `path`: the largest width."""
        return self.size(self.widths[-1])

    def _stem(self) -> str:
        return self.path.rsplit(".", 1)[0]

    def file(self, width: int, fmt: str) -> str:
        return f"{self._stem()}-{self.key}-{width}.{fmt}"

    def srcset(self, fmt: str, url: Callable[[str], str]) -> str:
        return ", ".join(f"{href(url, self.file(w, fmt))} {w}w" for w in self.widths)

    def crop_size(self, name: str) -> tuple[int, int]:
        """The crop's pixels: the largest box of that ratio, scaled down to CROP_WIDTH (SOCIAL for og)."""
        if name == "og":
            box = _box(self.width, self.height, SOCIAL, CENTRE)
            width = min(SOCIAL[0], box[2] - box[0])
            return width, round(width * SOCIAL[1] / SOCIAL[0])
        ratio = CROPS[name]
        box = _box(self.width, self.height, ratio, CENTRE)
        width = min(CROP_WIDTH, box[2] - box[0])
        return width, round(width * ratio[1] / ratio[0])

    def crop_file(self, name: str, focus: tuple[float, float]) -> str:
        return f"{self._stem()}-{focus_key(self.key, focus)}-{name}.jpg"

    def files(self, focuses: Iterable[tuple[float, float]] = ()) -> list[str]:
        """Every file published for this picture, for these crop centres."""
        found = [self.path] + [self.file(w, fmt) for w in self.widths for fmt in ("avif", "webp", self.fallback)]
        for focus in focuses:
            found += [self.crop_file(name, focus) for name in (*CROPS, "og")]
        return found


@dataclass(frozen=True)
class Job:
    """One picture to publish, with the crop centres its articles ask for."""

    path: str  # published path of the original
    digest: str  # sha256 of its bytes
    focuses: tuple[tuple[float, float], ...] = ()

    @property
    def key(self) -> str:
        """What a cache of this job's files is keyed by: the bytes, the settings and the crops."""
        return hashlib.sha256(f"{photo_key(self.digest)}|{self.path}|{self.focuses}".encode()).hexdigest()


def _box(width: int, height: int, ratio: tuple[int, int], focus: tuple[float, float]) -> tuple[int, int, int, int]:
    """The largest box of `ratio` in the picture, centred on `focus` (0–1 each way) as far as the edges allow."""
    if width * ratio[1] >= height * ratio[0]:
        box_w, box_h = max(1, round(height * ratio[0] / ratio[1])), height
    else:
        box_w, box_h = width, max(1, round(width * ratio[1] / ratio[0]))
    left = min(max(0, round(focus[0] * width - box_w / 2)), width - box_w)
    top = min(max(0, round(focus[1] * height - box_h / 2)), height - box_h)
    return left, top, left + box_w, top + box_h


def upright(data: bytes):  # type: ignore[no-untyped-def]  # -> PIL.Image.Image
    """The picture decoded, turned as its EXIF orientation says, in sRGB, with no metadata left.

    Pillow's own bomb check stays on (Image.MAX_IMAGE_PIXELS): its warning, for pictures between the
    limit and twice it, is an error here too, as a picture that large is no news photo."""
    from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.load()
    except UnidentifiedImageError:
        raise PhotoError("is not a picture newsgen can read (JPEG, PNG or WebP)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoError(f"has too many pixels to be a photo ({exc})") from None
    except (OSError, SyntaxError, ValueError) as exc:  # truncated, corrupt
        raise PhotoError(f"cannot be read: {exc}; is the file complete?") from None
    # a library, not our own table of the eight orientations
    image = ImageOps.exif_transpose(image)
    icc = image.info.get("icc_profile")
    alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    mode = "RGBA" if alpha else "RGB"
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if image.mode not in ("RGB", "RGBA", "CMYK", "L"):
                image = image.convert(mode)
            image = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"),
                                              outputMode=mode if image.mode != "L" else "RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: the pixels as they are, read as sRGB
    if image.mode != mode:
        image = image.convert(mode)
    if alpha and image.getchannel("A").getextrema()[0] == 255:
        image = image.convert("RGB")  # an alpha channel nothing shows through: a photo, published as JPEG
    image.info = {}  # EXIF (GPS, serials), XMP (editing history), ICC: none of it is published
    return image


def _save(image, fmt: str) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    image.info = {}
    if fmt == "avif":
        image.save(out, "AVIF", **AVIF)
    elif fmt == "webp":
        image.save(out, "WEBP", **WEBP)
    elif fmt == "png":
        image.save(out, "PNG", **PNG)
    else:
        image.save(out, "JPEG", **JPEG)
    return out.getvalue()


def describe(path: str, digest: str, image) -> Photo:  # type: ignore[no-untyped-def]
    return Photo(path, photo_key(digest), image.width, image.height, image.mode == "RGBA")


def encode(path: str, data: bytes, focuses: Iterable[tuple[float, float]] = ()) -> tuple[Photo, dict[str, bytes]]:
    """Every file of one picture: each width in AVIF, WebP and the fallback, the original's path at the
    largest width in its own format, and for each crop centre the three crops and the social card."""
    from PIL import Image

    image = upright(data)
    photo = describe(path, hashlib.sha256(data).hexdigest(), image)
    files: dict[str, bytes] = {}
    current = image
    for width in reversed(photo.widths):  # each from the next larger: cheaper, and as sharp at these steps
        if width != current.width:
            current = current.resize(photo.size(width), Image.Resampling.LANCZOS, reducing_gap=2.0)
        for fmt in ("avif", "webp", photo.fallback):
            files[photo.file(width, fmt)] = _save(current, fmt)
        if width == photo.widths[-1]:
            own = {".jpg": "jpg", ".jpeg": "jpg", ".png": "png", ".webp": "webp"}[path[path.rfind("."):].lower()]
            if own == "jpg" and photo.alpha:
                own = "png"  # cannot happen for a real JPEG; keeps the type right for a mislabelled PNG
            files[path] = files.get(photo.file(width, own)) or _save(current, own)
    for focus in focuses:
        for name, ratio in (*CROPS.items(), ("og", SOCIAL)):
            crop = image.crop(_box(image.width, image.height, ratio, focus)).convert("RGB")
            size = photo.crop_size(name)
            if crop.size != size:
                # reducing_gap: a box reduction to within 2x first, then Lanczos: a quarter of the CPU of
                # Lanczos over a whole 3000 px crop (0.07 s -> 0.02 s), no difference to see at these sizes
                crop = crop.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
            files[photo.crop_file(name, focus)] = _save(crop, "jpg")
    return photo, files


# --- pages: body pictures -------------------------------------------------------------------------
_IMG = re.compile(r"<img\b([^>]*?)\s*/?>")
_ATTRIBUTE = re.compile(r'([^\s=/]+)(?:="([^"]*)")?')


def picture_markup(photo: Photo, url: Callable[[str], str], attributes: Mapping[str, str], sizes: str,
                   lead: bool) -> str:
    """<picture> with AVIF and WebP sources and an <img> that keeps every attribute it was given
    (class, alt, title…): an embed poster's `class="embed-poster"` is what its CSS finds."""
    width, height = photo.published_size
    img = dict(attributes)
    img["src"] = href(url, photo.file(photo.widths[min(1, len(photo.widths) - 1)], photo.fallback))
    img["srcset"] = photo.srcset(photo.fallback, url)
    img["sizes"] = sizes
    img["width"], img["height"] = str(width), str(height)
    if lead:
        img["fetchpriority"] = "high"
        img.pop("loading", None)
    else:
        img.setdefault("loading", "lazy")
        img.setdefault("decoding", "async")
    shown = " ".join(f'{name}="{html.escape(value, quote=True)}"' for name, value in img.items())
    sources = "".join(f'<source type="{MIME[fmt]}" srcset="{photo.srcset(fmt, url)}" sizes="{sizes}">'
                      for fmt in ("avif", "webp"))
    return f"<picture>{sources}<img {shown}></picture>"


def body_pictures(body: str, photos: Mapping[str, Photo], base_path: str, url: Callable[[str], str],
                  sizes: str, page_url: str = "") -> str:
    """Every <img> of a rendered body whose src is a photo of the site, as a <picture>. `page_url`: the
    page's site-relative URL, which `./x.jpg` (a page bundle's picture) is read from."""
    if "<img" not in body or not photos:
        return body
    prefix = base_path.rstrip("/") + "/"
    folder = page_url if page_url.endswith("/") else posixpath.dirname(page_url) + "/"

    def replace(match: re.Match[str]) -> str:
        attributes = {name: html.unescape(value or "") for name, value in _ATTRIBUTE.findall(match.group(1))}
        src = attributes.get("src", "")
        if src.startswith(("./", "../")):
            path = posixpath.normpath(posixpath.join("/" + folder, src)).lstrip("/")
        elif src.startswith(prefix):
            path = src[len(prefix):]
        else:
            return match.group(0)
        photo = photos.get(path)
        if photo is None:
            return match.group(0)
        return picture_markup(photo, url, attributes, sizes, lead=False)

    return _IMG.sub(replace, body)
