"""Images the photo tests make: large camera-like JPEGs with EXIF, PNG with alpha, HEIC, broken files, a bomb."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import ExifTags, Image

SAMPLES = Path(__file__).parent / "samples" / "photos"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def scene(width: int, height: int, seed: int = 1) -> Image.Image:
    """A photo-like picture: smooth gradients, shapes and a little sensor noise (compresses like a photo)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    red = 128 + 90 * np.sin(x / (width / (3 + seed % 5)))
    green = 128 + 90 * np.cos(y / (height / 4))
    blue = 255 * (x + y) / (width + height)
    pixels = np.stack([red, green, blue], axis=-1) + rng.normal(0, 6, (height, width, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def camera_exif(lat=None, lon=None, taken="2026:11:20 09:14:00", orientation=1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    if taken:
        exif.get_ifd(ExifTags.IFD.Exif)[0x9003] = taken
    if lat is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[1], gps[2] = ("S" if lat < 0 else "N"), _dms(abs(lat))
        gps[3], gps[4] = ("W" if lon < 0 else "E"), _dms(abs(lon))
    return exif


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 4)


def jpeg(width=4000, height=3000, exif: Image.Exif | None = None, quality=90, seed=1) -> bytes:
    out = io.BytesIO()
    scene(width, height, seed).save(out, "JPEG", quality=quality, exif=exif or Image.Exif())
    return out.getvalue()


def png_with_alpha() -> bytes:
    """A red disc on a transparent square."""
    image = Image.new("RGBA", (800, 600), (0, 0, 0, 0))
    yy, xx = np.mgrid[0:600, 0:800]
    alpha = (((xx - 400) ** 2 + (yy - 300) ** 2) < 200**2).astype(np.uint8) * 255
    image.putalpha(Image.fromarray(alpha))
    image.paste((220, 20, 20), mask=image.getchannel("A"))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def webp() -> bytes:
    out = io.BytesIO()
    scene(1000, 750).save(out, "WEBP", quality=80)
    return out.getvalue()


def heic(orientation: int = 6) -> bytes:
    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    # x265's fastest preset: the tests read HEIC, and the default preset takes seconds to make it.
    exif = camera_exif(orientation=orientation).tobytes()
    scene(1200, 900).save(out, "HEIF", quality=80, exif=exif, enc_params={"preset": "ultrafast"})
    return out.getvalue()


def truncated_jpeg() -> bytes:
    data = jpeg(1600, 1200)
    return data[: len(data) // 2]


def bomb_png(side: int = 40_000) -> bytes:
    """A valid PNG header for side x side pixels (1.6 gigapixels) with almost no data: what a bomb looks like."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def random_bytes(size: int = 100_000) -> bytes:
    return np.random.default_rng(7).bytes(size)


def reencoded(data: bytes, quality: int = 70, scale: float = 1.0) -> bytes:
    """The same picture saved again (as a forwarded or re-used photo would be)."""
    image = Image.open(io.BytesIO(data))
    if scale != 1.0:
        image = image.resize((int(image.width * scale), int(image.height * scale)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def blank_png(width: int, height: int) -> bytes:
    """A real, fully decodable grey PNG of width x height pixels that compresses to almost nothing: a
    1 x 100,000,000 one is 194 KB, a 10000 x 11000 one 107 KB (memory bombs under the pixel limit)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    compressor, row, parts = zlib.compressobj(9), b"\x00" * (width + 1), []  # filter byte 0, then black pixels
    rows_per_piece = max(1, (1 << 22) // len(row))
    for start in range(0, height, rows_per_piece):
        parts.append(compressor.compress(row * min(rows_per_piece, height - start)))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")


def cmyk_jpeg_with_broken_profile() -> bytes:
    """A print-ready CMYK JPEG whose embedded ICC profile is garbage (LittleCMS cannot open it)."""
    out = io.BytesIO()
    scene(800, 600).convert("CMYK").save(out, "JPEG", quality=85, icc_profile=b"garbage, not an ICC profile" * 8)
    return out.getvalue()
