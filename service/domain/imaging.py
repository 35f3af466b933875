"""The photo pipeline without a database: type from the bytes, safe decoding, EXIF evidence, derivatives, phash."""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass
from typing import BinaryIO

import imagehash
import numpy as np
import pillow_heif
from PIL import ExifTags, Image, ImageCms, UnidentifiedImageError

from service.domain.calendar import WIB

log = logging.getLogger(__name__)
pillow_heif.register_heif_opener()
# derive() checks the configured pixel limit itself, from the header, before anything is decoded; Pillow's own
# process-wide guard (a warning, then an error at twice its default) would apply a different, fixed limit.
Image.MAX_IMAGE_PIXELS = None

# Media type -> the only Pillow decoder allowed for it.
DECODERS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/heic": "HEIF"}
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
SNIFF_BYTES = 16
DISPLAY_EDGE, THUMB_EDGE = 1600, 320
DISPLAY_QUALITY, THUMB_QUALITY = 85, 80
# EXIF orientation -> the transpose that makes the picture upright (the table of the EXIF 2.3 standard).
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON, GPS_TIME, GPS_DATE = 1, 2, 3, 4, 7, 29
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL, ORIENTATION = 0x9003, 0x9011, 0x0112


class Rejected(Exception):
    """The file is not a photo we can use; the message says why, for the uploader."""


def sniff(head: bytes) -> str | None:
    """The media type from the first bytes (magic numbers), whatever the name or Content-Type said."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "image/heic"
    return None


@dataclass(frozen=True)
class Evidence:
    lat: float | None
    lon: float | None
    taken_at: dt.datetime | None  # aware, UTC


@dataclass(frozen=True)
class Derived:
    width: int  # of the upright original
    height: int
    display: bytes  # JPEG, long edge at most DISPLAY_EDGE, upright, no metadata
    thumb: bytes
    phash: str  # 16 hex digits
    evidence: Evidence


def derive(fp: BinaryIO, media_type: str, max_pixels: int) -> Derived:
    """Decode fully (a truncated file fails here), then make the upright derivatives the fast way: JPEG DCT
    scaling via draft() with the photo's own proportions, resize, and only then rotate the small image."""
    image = _open(fp, media_type, max_pixels)
    width, height = image.size
    if image.format in ("JPEG", "MPO") and max(width, height) > DISPLAY_EDGE:  # MPO: JPEG with a gain map
        image.draft("RGB", _fit(image.size, DISPLAY_EDGE))
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        log.info("cannot decode: %s", exc)
        raise Rejected("The image cannot be decoded completely; the file may be truncated.") from None
    exif = _exif(image)
    orientation = exif.get(ORIENTATION, 1)
    display = _flatten(_shrink(_rgb_or_rgba(image), DISPLAY_EDGE))
    thumb = _shrink(display, THUMB_EDGE)
    if orientation in UPRIGHT:
        display, thumb = display.transpose(UPRIGHT[orientation]), thumb.transpose(UPRIGHT[orientation])
        if orientation >= 5:
            width, height = height, width
    icc = image.info.get("icc_profile")
    icc = icc if icc and icc[16:20] == b"RGB " else None  # a CMYK or grey profile does not describe RGB output
    return Derived(
        width=width,
        height=height,
        display=_jpeg(display, DISPLAY_QUALITY, icc),
        thumb=_jpeg(thumb, THUMB_QUALITY, icc),
        phash=str(imagehash.phash(thumb)),
        evidence=_safe_evidence(exif),
    )


def _exif(image: Image.Image) -> Image.Exif:
    """The EXIF block, or an empty one when it is malformed: a bad tag is no reason to refuse the picture."""
    try:
        return image.getexif()
    except Exception as exc:  # Pillow raises SyntaxError, OSError, ValueError... for broken TIFF structures
        log.info("ignoring malformed EXIF: %s", exc)
        return Image.Exif()


def _safe_evidence(exif: Image.Exif) -> Evidence:
    try:
        return evidence(exif)
    except Exception as exc:  # absurd dates and rationals: treat as no evidence, which is flagged
        log.info("ignoring unusable EXIF evidence: %s", exc)
        return Evidence(lat=None, lon=None, taken_at=None)


def _open(fp: BinaryIO, media_type: str, max_pixels: int) -> Image.Image:
    if media_type not in DECODERS:
        raise Rejected(f"Unsupported type {media_type!r}.")
    try:
        image = Image.open(fp, formats=[DECODERS[media_type]])  # reads the header only
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        log.info("unreadable %s: %s", media_type, exc)
        raise Rejected(f"Not a readable {media_type} file.") from None
    if image.width * image.height > max_pixels:
        raise Rejected(f"The image has more than {max_pixels // 1_000_000} million pixels.")
    return image


def _fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    """The size with the same proportions whose long edge is `edge` (or the size itself when smaller)."""
    width, height = size
    scale = edge / max(width, height)
    if scale >= 1:
        return size
    return max(1, round(width * scale)), max(1, round(height * scale))


def _shrink(image: Image.Image, edge: int) -> Image.Image:
    target = _fit(image.size, edge)
    # reducing_gap: a cheap box reduction to about 3x the target first, then LANCZOS; visually the same.
    return image if target == image.size else image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _rgb_or_rgba(image: Image.Image) -> Image.Image:
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):  # 16-bit grey: keep the top 8 bits, do not clip
        image = Image.fromarray((np.asarray(image, dtype=np.uint32) >> 8).astype(np.uint8), "L")
    if image.mode == "CMYK" and image.info.get("icc_profile"):  # print-ready JPEGs: colour-managed to sRGB
        profile = ImageCms.ImageCmsProfile(io.BytesIO(image.info["icc_profile"]))
        return ImageCms.profileToProfile(image, profile, ImageCms.createProfile("sRGB"), outputMode="RGB")
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    mode = "RGBA" if transparent else "RGB"
    return image if image.mode == mode else image.convert(mode)


def _flatten(image: Image.Image) -> Image.Image:
    """Transparent pixels (PNG, WebP) become white, as on a printed page, since JPEG has no alpha."""
    if image.mode != "RGBA":
        return image
    background = Image.new("RGB", image.size, "white")
    background.paste(image, mask=image.getchannel("A"))
    return background


def _jpeg(image: Image.Image, quality: int, icc: bytes | None) -> bytes:
    out = io.BytesIO()
    # No exif= and no xmp=: the derivative carries no location, camera or time.
    image.save(out, "JPEG", quality=quality, icc_profile=icc)
    return out.getvalue()


def evidence(exif: Image.Exif) -> Evidence:
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    lat, lon = _coordinate(gps, GPS_LAT, GPS_LAT_REF, "S", 90), _coordinate(gps, GPS_LON, GPS_LON_REF, "W", 180)
    if lat is None or lon is None or (lat == 0 and lon == 0):  # 0,0 is what a phone writes without a fix
        lat = lon = None
    return Evidence(lat=lat, lon=lon, taken_at=_taken_at(exif, gps))


def _coordinate(gps: dict, tag: int, ref_tag: int, negative: str, limit: float) -> float | None:
    try:
        degrees, minutes, seconds = (float(v) for v in gps[tag])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    value = degrees + minutes / 60 + seconds / 3600
    if str(gps.get(ref_tag, "")).strip().upper() == negative:
        value = -value
    return round(value, 7) if abs(value) <= limit else None


def _taken_at(exif: Image.Exif, gps: dict) -> dt.datetime | None:
    """DateTimeOriginal with its offset; without one, the camera's clock is taken as WIB (Probolinggo's time).
    Without DateTimeOriginal, the GPS time, which is UTC."""
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    try:
        local = dt.datetime.strptime(str(sub[DATETIME_ORIGINAL]).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except (KeyError, ValueError):
        return _gps_time(gps)
    try:
        offset = dt.datetime.strptime(str(sub[OFFSET_TIME_ORIGINAL]).strip("\x00 "), "%z").tzinfo
    except (KeyError, ValueError):
        offset = WIB
    return local.replace(tzinfo=offset).astimezone(dt.UTC)


def _gps_time(gps: dict) -> dt.datetime | None:
    try:
        day = dt.datetime.strptime(str(gps[GPS_DATE]).strip("\x00 "), "%Y:%m:%d")
        hours, minutes, seconds = (float(v) for v in gps[GPS_TIME])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    return day.replace(tzinfo=dt.UTC) + dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)
