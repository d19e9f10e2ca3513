"""News photos: from a picture file of the site and the theme's widths, the files to publish.

Two halves. `plan_picture` decides, from the source's header facts alone (upright size, whether it has
transparency), every variant as plain data: width, height, format and an output path that carries a
digest of the source bytes and the settings, so a host may cache it forever. `encode` makes those
files with Pillow: EXIF orientation applied, colour converted to sRGB, and nothing of the source's
metadata written (no EXIF, no GPS, no XMP, no ICC profile, no PNG text): the bytes published are pixels.

Pure but for Pillow: bytes in, bytes out. The encoded files are kept in the build's cache folder under
the job's key (cache.PictureStore), so a photo whose bytes and settings did not change is never decoded again.
"""

from __future__ import annotations

import functools
import hashlib
import io
import posixpath
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The theme's column: the article's lead photo is at most 48rem wide (768 px, 1536 px on a 2x screen);
# 2000 serves 3x phones and wide screens. Never larger than the original.
WIDTHS = (480, 800, 1200, 1600, 2000)
# `sizes` for the theme's column (style.css: .story 39rem, the lead photo 9rem wider from 56rem; the
# page gutter is 1 to 2rem each side).
LEAD_SIZES = "(min-width: 56rem) 48rem, (min-width: 43rem) 39rem, calc(100vw - 2rem)"
BODY_SIZES = "(min-width: 43rem) 39rem, calc(100vw - 2rem)"
# Google's article image ratios (https://developers.google.com/search/docs/appearance/structured-data/article)
CROPS = ((16, 9), (4, 3), (1, 1))
CROP_WIDTH = 1200
SOCIAL = (1200, 630)  # og:image / twitter:image
# Encoder settings, measured on a 3000 px photo (its five widths, on the shared 2-core machine):
# AVIF speed 9 took 0.63 s against 2.5 s at speed 8 (the default, 6, is slower still) for files 10%
# larger; one thread each, as the build runs one encoder per core in its worker processes (and the
# bytes do not depend on how threads were scheduled). WebP method 2 took 0.44 s against 1.07 s at
# method 4 for 5% more bytes: only browsers without AVIF fetch it.
AVIF = {"quality": 55, "speed": 9, "max_threads": 1}
WEBP = {"quality": 78, "method": 2}
JPEG = {"quality": 82, "optimize": True, "progressive": True}
PNG = {"optimize": False, "compress_level": 7}
FORMATS = ("avif", "webp")  # in the <picture>, before the fallback (jpeg, or png for transparency)
RASTER_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")  # what is resized; GIF (animation) and SVG stay as they are
SETTINGS = repr((WIDTHS, CROPS, CROP_WIDTH, SOCIAL, AVIF, WEBP, JPEG, PNG))
MIME = {"avif": "image/avif", "webp": "image/webp", "jpeg": "image/jpeg", "png": "image/png"}
EXTENSIONS = {"avif": "avif", "webp": "webp", "jpeg": "jpg", "png": "png"}


class PictureError(Exception):
    """A picture file that cannot be published: not a picture, truncated, too many pixels."""


@dataclass(frozen=True)
class Variant:
    path: str  # in the build folder
    width: int
    height: int
    format: str  # avif, webp, jpeg, png
    crop: tuple[int, int, int, int] | None = None  # the box of the upright source it shows, None: all of it

    @property
    def mime(self) -> str:
        return MIME[self.format]


@dataclass(frozen=True)
class Picture:
    """One source picture as a page shows it: the facts templates need, as plain data."""

    source: str  # the file, relative to the site folder
    digest: str  # sha256 of its bytes
    width: int  # upright (EXIF orientation applied)
    height: int
    fallback: str  # jpeg, or png for a picture with transparency
    variants: tuple[Variant, ...]  # the responsive ones, narrowest first, every format
    crops: tuple[Variant, ...] = ()  # a lead photo's 16:9, 4:3 and 1:1 crops for JSON-LD
    social: Variant | None = None  # a lead photo's 1200x630 JPEG for og:image
    focus: tuple[float, float] = (0.5, 0.5)

    def of(self, fmt: str) -> tuple[Variant, ...]:
        return tuple(v for v in self.variants if v.format == fmt)

    @property
    def formats(self) -> tuple[str, ...]:
        return (*FORMATS, self.fallback)

    @property
    def src(self) -> Variant:
        """The fallback `<img src>`: the fallback format at 1200 px, or the widest below that."""
        fallback = self.of(self.fallback)
        return next((v for v in reversed(fallback) if v.width <= 1200), fallback[0])

    @property
    def files(self) -> tuple[Variant, ...]:
        return (*self.variants, *self.crops, *((self.social,) if self.social else ()))


@dataclass(frozen=True)
class Header:
    """What the planning reads of a source: its upright size and whether it has transparency."""

    width: int
    height: int
    alpha: bool


@functools.cache  # the code a process runs cannot change under it
def recipe() -> str:
    """What makes the bytes besides the source: the settings, this module's code, and Pillow (whose
    wheel carries its AVIF, WebP and JPEG codecs). Not the rest of newsgen: a template edit or a new
    newsgen that encodes the same way does not make every photo again."""
    import PIL

    return hashlib.sha256(f"{SETTINGS}\0{PIL.__version__}\0".encode() + Path(__file__).read_bytes()).hexdigest()


def job_key(digest_: str, lead: bool, focus: tuple[float, float]) -> str:
    """The key of one source's set of files: its bytes, the recipe, and for a lead its crops' centre."""
    return hashlib.sha256(f"{digest_}\0{recipe()}\0{lead}\0{focus!r}".encode()).hexdigest()


def plan_picture(source: str, digest_: str, header: Header, lead: bool, focus: tuple[float, float],
                 published: str) -> Picture:
    """Every file one source gives, decided before any is made. `published`: the build-folder path the
    source would have (`images/geneva.jpg`): the variants are beside it, named by width and digest."""
    key = job_key(f"{digest_}:{published}", lead, focus)[:12]
    stem, _ = posixpath.splitext(published)
    fallback = "png" if header.alpha else "jpeg"
    widths = [w for w in WIDTHS if w < header.width] + [min(header.width, WIDTHS[-1])]
    variants = []
    for fmt in (*FORMATS, fallback):
        for width in dict.fromkeys(widths):
            height = max(1, round(header.height * width / header.width))
            variants.append(Variant(f"{stem}-{width}.{key}.{EXTENSIONS[fmt]}", width, height, fmt))
    crops: list[Variant] = []
    social = None
    if lead:
        for ratio in CROPS:
            box = crop_box(header.width, header.height, ratio, focus)
            width, height = _fit(box, CROP_WIDTH, ratio)
            crops.append(Variant(f"{stem}-{ratio[0]}x{ratio[1]}.{key}.jpg", width, height, "jpeg", box))
        box = crop_box(header.width, header.height, SOCIAL, focus)
        width, height = _fit(box, SOCIAL[0], SOCIAL)
        social = Variant(f"{stem}-social.{key}.jpg", width, height, "jpeg", box)
    return Picture(source, digest_, header.width, header.height, fallback, tuple(variants), tuple(crops), social, focus)


def crop_box(width: int, height: int, ratio: tuple[int, int], focus: tuple[float, float]) -> tuple[int, int, int, int]:
    """The largest box of this ratio in the picture, centred on the focus as far as the edges allow."""
    box_w, box_h = width, round(width * ratio[1] / ratio[0])
    if box_h > height:
        box_w, box_h = round(height * ratio[0] / ratio[1]), height
    left = min(max(0, round(focus[0] * width - box_w / 2)), width - box_w)
    top = min(max(0, round(focus[1] * height - box_h / 2)), height - box_h)
    return left, top, left + box_w, top + box_h


def _fit(box: tuple[int, int, int, int], width: int, ratio: tuple[int, int]) -> tuple[int, int]:
    """The output size of a crop: `width` wide, or the box's own width when it is narrower (never enlarged)."""
    width = min(width, box[2] - box[0])
    return width, max(1, round(width * ratio[1] / ratio[0]))


def _checked_open(data: bytes, name: str):  # -> Image.Image
    """The picture opened with Pillow's decompression-bomb limit on, as an error rather than a warning."""
    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data))
        except UnidentifiedImageError:
            raise PictureError(f"{name} is not a picture newsgen can read (JPEG, PNG or WebP)") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise PictureError(f"{name} has more pixels than Pillow's decompression-bomb limit "
                               f"({Image.MAX_IMAGE_PIXELS:,}): {exc}") from None


def read_header(data: bytes, name: str) -> Header:
    """The upright size and transparency of a picture, from its header: nothing is decoded."""
    image = _checked_open(data, name)
    with image:
        width, height = image.size
        try:
            orientation = image.getexif().get(0x0112, 1)
        except Exception:  # a damaged EXIF block: the pixels may still be fine, shown as stored
            orientation = 1
        if orientation in (5, 6, 7, 8):  # rotated a quarter turn
            width, height = height, width
        alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    return Header(width, height, alpha)


def _upright_srgb(data: bytes, name: str):  # -> Image.Image
    """The whole picture decoded, turned upright, in sRGB, and with no metadata left on it."""
    from PIL import Image, ImageCms, ImageOps

    image = _checked_open(data, name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image.load()
        except OSError as exc:  # Pillow: "image file is truncated", "broken data stream"
            raise PictureError(f"{name} cannot be decoded, it may be truncated or damaged: {exc}") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise PictureError(f"{name} has more pixels than Pillow's decompression-bomb limit: {exc}") from None
    upright = ImageOps.exif_transpose(image)
    alpha = upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info)
    icc = upright.info.get("icc_profile")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if upright.mode not in ("RGB", "RGBA", "CMYK", "L"):
                upright = upright.convert("RGBA" if alpha else "RGB")
            out_mode = "RGBA" if upright.mode == "RGBA" else "RGB"
            upright = ImageCms.profileToProfile(upright, source, ImageCms.createProfile("sRGB"), outputMode=out_mode)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: the pixels as stored, read as sRGB, as browsers do
    upright = upright.convert("RGBA" if alpha else "RGB")
    upright.info = {}  # nothing of the source's EXIF, XMP, ICC or text travels to what is saved
    return upright


def _save(image, variant: Variant) -> bytes:  # image: Image.Image
    options = {"avif": AVIF, "webp": WEBP, "jpeg": JPEG, "png": PNG}[variant.format]
    out = io.BytesIO()
    image.save(out, variant.format.upper(), **options)
    return out.getvalue()


def encode(data: bytes, picture: Picture) -> dict[str, bytes]:
    """Every file of `picture` (path -> bytes), from the source's bytes."""
    from PIL import Image

    image = _upright_srgb(data, picture.source)
    if image.size != (picture.width, picture.height):
        raise PictureError(f"{picture.source} decodes to {image.size[0]}x{image.size[1]}, "
                           f"not the {picture.width}x{picture.height} its header gives")
    out: dict[str, bytes] = {}
    # Each width from the next wider one: a chain of small Lanczos steps costs a third of resizing
    # every width from the full picture, and looks the same.
    resized: dict[tuple[int, int], Any] = {}
    step = image
    for size in sorted({(v.width, v.height) for v in picture.variants}, reverse=True):
        step = resized[size] = step if size == step.size else step.resize(size, Image.Resampling.LANCZOS)
    for variant in picture.variants:
        out[variant.path] = _save(resized[(variant.width, variant.height)], variant)
    # The crops are cut from the widest variant where it has pixels enough: from the full picture they
    # cost a camera photo's build twice as much.
    base = resized[max(resized)]
    scale = base.width / image.width
    for variant in (*picture.crops, *((picture.social,) if picture.social else ())):
        assert variant.crop is not None
        left, top, right, bottom = variant.crop
        source, box = image, variant.crop
        if (right - left) * scale >= variant.width:
            source, box = base, (left * scale, top * scale, min(right * scale, base.width),
                                 min(bottom * scale, base.height))
        cropped = source.resize((variant.width, variant.height), Image.Resampling.LANCZOS, box=box)
        out[variant.path] = _save(cropped.convert("RGB"), variant)
    return out
