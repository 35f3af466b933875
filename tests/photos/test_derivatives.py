"""The derivatives themselves: sizes, upright for all eight EXIF orientations, the colour profile kept, no EXIF or
XMP, and the perceptual hash equal to imagehash's."""

from __future__ import annotations

import io

import imagehash
import numpy as np
import pytest
from PIL import Image, ImageCms

from service.domain import imaging, photos
from tests import images

# The inverse of each turn in pixels.UPRIGHT: what turned the upright picture into the stored pixels.
STORED = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}
QUADRANTS = {(0, 0): (220, 30, 30), (1, 0): (30, 200, 30), (0, 1): (30, 30, 220), (1, 1): (240, 240, 240)}


def upright_picture(width: int, height: int) -> Image.Image:
    """Four coloured quadrants: red top left, green top right, blue bottom left, white bottom right."""
    picture = Image.new("RGB", (width, height))
    for (column, row), colour in QUADRANTS.items():
        box = (column * width // 2, row * height // 2, (column + 1) * width // 2, (row + 1) * height // 2)
        picture.paste(colour, box)
    return picture


def jpeg_bytes(picture: Image.Image, **options) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90, **options)
    return out.getvalue()


def assert_upright(data: bytes, size: tuple[int, int]) -> None:
    shown = images.decode(data)
    assert shown.size == size
    for (column, row), colour in QUADRANTS.items():
        centre = ((2 * column + 1) * size[0] // 4, (2 * row + 1) * size[1] // 4)
        assert np.abs(np.subtract(shown.getpixel(centre), colour)).max() < 12, (centre, shown.getpixel(centre))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_gives_upright_derivatives_of_the_right_size(orientation):
    """A 12 MP landscape photo, stored as a camera held in any of the eight ways would store it (draft() path)."""
    stored = upright_picture(4000, 3000)
    if STORED[orientation] is not None:
        stored = stored.transpose(STORED[orientation])
    data = jpeg_bytes(stored, exif=images.camera_exif(orientation=orientation))
    derived = imaging.derive(io.BytesIO(data), "image/jpeg", 10**8)
    assert (derived.width, derived.height) == (4000, 3000)
    assert_upright(derived.display, (1600, 1200))
    assert_upright(derived.thumb, (320, 240))


@pytest.mark.parametrize(
    "size,display,thumb",
    [
        ((3000, 4000), (1200, 1600), (240, 320)),
        ((4032, 3024), (1600, 1200), (320, 240)),
        ((3264, 2448), (1600, 1200), (320, 240)),
        ((2000, 1125), (1600, 900), (320, 180)),
        ((1600, 1200), (1600, 1200), (320, 240)),
        ((800, 600), (800, 600), (320, 240)),
        ((200, 100), (200, 100), (200, 100)),
    ],
)
def test_derivative_sizes_keep_the_proportions_and_never_enlarge(size, display, thumb):
    derived = imaging.derive(io.BytesIO(jpeg_bytes(upright_picture(*size))), "image/jpeg", 10**8)
    assert images.decode(derived.display).size == display and images.decode(derived.thumb).size == thumb


@pytest.mark.parametrize("make,media_type", [(jpeg_bytes, "image/jpeg"), (images.webp, "image/webp")])
def test_the_derivatives_keep_an_rgb_colour_profile_and_lose_exif_and_xmp(make, media_type):
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = images.camera_exif(lat=-7.95571, lon=113.08765, orientation=6)
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    picture = upright_picture(2400, 1800)
    if media_type == "image/jpeg":
        data = jpeg_bytes(picture, exif=exif, icc_profile=profile, xmp=xmp)
    else:
        out = io.BytesIO()
        picture.save(out, "WEBP", exif=exif, icc_profile=profile, xmp=xmp)
        data = out.getvalue()
    derived = imaging.derive(io.BytesIO(data), media_type, 10**8)
    assert derived.evidence.lat == pytest.approx(-7.95571), "the evidence is read before the metadata goes"
    for blob in (derived.display, derived.thumb):
        shown = images.decode(blob)
        assert shown.info.get("icc_profile") == profile
        assert not shown.getexif() and "exif" not in shown.info
        assert "xmp" not in shown.info and b"xmpmeta" not in blob and b"Exif\x00\x00" not in blob


def test_the_phash_is_imagehash_phash():
    pictures = [Image.open(io.BytesIO(images.sample(name))) for name in ("jolla.jpg", "DSCN0010.jpg", "portrait_6.jpg")]
    pictures += [images.scene(320, 240, seed) for seed in range(1, 6)]
    pictures += [upright_picture(320, 240), Image.open(io.BytesIO(images.png_with_alpha())).convert("RGB")]
    noise = np.random.default_rng(5)
    pictures += [Image.fromarray(noise.integers(0, 256, (240, 320, 3), dtype=np.uint8)) for _ in range(20)]
    for picture in pictures:
        assert imaging.phash(picture) == str(imagehash.phash(picture))
    # A flat picture: every coefficient but the first is exactly zero (imagehash's bits there are float noise).
    assert imaging.phash(Image.new("RGB", (320, 240), (90, 120, 150))) == "8000000000000000"


def test_a_resized_reencoded_copy_keeps_the_phash_of_a_real_photo():
    original = images.sample("jolla.jpg")
    copy = images.reencoded(original, quality=60, scale=0.5)
    first, second = (imaging.derive(io.BytesIO(data), "image/jpeg", 10**8).phash for data in (original, copy))
    assert bin(int(first, 16) ^ int(second, 16)).count("1") <= photos.REUSE_MAX_BITS
