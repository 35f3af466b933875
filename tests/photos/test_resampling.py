"""The display's resize (pixels.shrink, on OpenCV) keeps Pillow's quality: close to its LANCZOS on a real photo,
fine lines blurred away instead of turned into moire, detail below the new grid's limit kept; and the derivatives
it makes keep their contract (size, upright, only the colour profile)."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms

from service.domain import imaging, pixels
from tests import images

SOURCE, DISPLAY = (2000, 1500), (1600, 1200)  # what draft() leaves of a 12 MP JPEG, and the display: a 1.25x step


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)))


def shrunk(picture: Image.Image, size=DISPLAY) -> np.ndarray:
    """pixels.shrink's result, in RGB like Pillow's."""
    return cv2.cvtColor(pixels.shrink(pixels.bgr(picture), size, imaging.DISPLAY_LOBES), cv2.COLOR_BGR2RGB)


def lines(period: float, vertical: bool = False, size=SOURCE) -> Image.Image:
    """Full-contrast grey lines, `period` pixels apart, across the picture (or down it)."""
    width, height = size
    along = np.arange(height if vertical else width)
    wave = 127.5 + 127.5 * np.cos(2 * np.pi * along / period)
    plane = np.tile(wave[:, None], (1, width)) if vertical else np.tile(wave, (height, 1))
    return Image.fromarray(np.repeat(plane[..., None], 3, axis=2).round().astype(np.uint8))


def contrast(shown: np.ndarray) -> float:
    """What is left of the lines' full contrast (1.0) away from the edges: 0 for flat grey."""
    inner = shown[50:-50, 50:-50, 1].astype(np.float64)
    return float(inner.std() * np.sqrt(2) / 127.5)


def test_a_real_photo_comes_out_as_pillow_lanczos_makes_it():
    """A 2000 x 1500 crop of a real phone photo at its own resolution: the display differs from Pillow's LANCZOS
    by less than what a coarser resampler leaves (NEAREST: 49.7 dB, BOX: 50.8 dB; this one: 54.7 dB, Pillow's
    BICUBIC, the display's resampler before: 58.2 dB)."""
    photo = images.decode(images.sample("jolla.jpg")).crop((600, 400, 600 + SOURCE[0], 400 + SOURCE[1]))
    reference = np.asarray(photo.resize(DISPLAY, Image.Resampling.LANCZOS))
    assert psnr(shrunk(photo), reference) > 53
    assert psnr(np.asarray(photo.resize(DISPLAY, Image.Resampling.NEAREST)), reference) < 53  # the bound bites


@pytest.mark.parametrize("vertical", [False, True])
def test_lines_finer_than_the_display_can_hold_fade_to_grey_instead_of_moire(vertical):
    """Lines 2.2 px apart are finer than 1600 px can show (2.75 px there): an antialiased resize fades them
    (Pillow: LANCZOS leaves 0.27 of their contrast, BICUBIC 0.37; this one 0.33); sampling without a low-pass
    turns them into coarse false stripes at most of their contrast (NEAREST 1.0, OpenCV's own bicubic 0.72,
    bilinear 0.57, area 0.47)."""
    assert contrast(shrunk(lines(2.2, vertical))) < 0.4
    naive = cv2.resize(np.asarray(lines(2.2, vertical)), DISPLAY, interpolation=cv2.INTER_CUBIC)
    assert contrast(naive) > 0.6


@pytest.mark.parametrize("vertical", [False, True])
def test_detail_the_display_can_hold_keeps_its_contrast(vertical):
    """Lines 5 px apart (4 px on the display) stay sharp: 0.94 of their contrast (Pillow's BICUBIC 0.94, LANCZOS
    1.0); a resize that just blurs everything to avoid moire keeps less (Pillow's BILINEAR 0.81, area 0.84)."""
    assert contrast(shrunk(lines(5, vertical))) > 0.9


def test_the_display_of_fine_lines_is_antialiased_end_to_end():
    """The same through derive(): the display JPEG of a picture of fine lines, and of lines it can hold."""
    for period, low, high in ((2.2, 0, 0.4), (5, 0.9, 1.1)):
        data = io.BytesIO()
        lines(period).save(data, "JPEG", quality=95)
        derived = imaging.derive(io.BytesIO(data.getvalue()), "image/jpeg", 10**8)
        shown = np.asarray(images.decode(derived.display))
        assert shown.shape[:2] == (DISPLAY[1], DISPLAY[0])
        assert low < contrast(shown) < high, period


def test_a_flat_picture_stays_flat_and_the_edges_keep_their_colour():
    """The low-pass mirrors the picture at its edges: no dark or light border, no drift of the colour."""
    flat = Image.new("RGB", SOURCE, (200, 120, 40))
    assert np.array_equal(np.unique(shrunk(flat).reshape(-1, 3), axis=0), [[200, 120, 40]])


@pytest.mark.parametrize(
    "size,display,thumb",
    [((3000, 2), (1600, 1), (320, 1)), ((2, 3000), (1, 1600), (1, 320)), ((1601, 1), (1600, 1), (320, 1))],
)
def test_pictures_one_or_two_pixels_thin_are_shrunk_too(size, display, thumb):
    data = io.BytesIO()
    images.scene(*size).save(data, "PNG")
    derived = imaging.derive(io.BytesIO(data.getvalue()), "image/png", 10**8)
    assert images.decode(derived.display).size == display and images.decode(derived.thumb).size == thumb


def test_a_colour_profile_longer_than_one_jpeg_segment_is_kept_whole():
    """An ICC profile over 64 KB is split over several APP2 segments, as the ICC standard says."""
    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    profile += bytes(150_000)  # padding after the tag data: still the same RGB profile to a reader
    profile[:4] = len(profile).to_bytes(4, "big")
    picture = images.scene(1200, 900)
    data = io.BytesIO()
    picture.save(data, "JPEG", quality=90, icc_profile=bytes(profile))
    derived = imaging.derive(io.BytesIO(data.getvalue()), "image/jpeg", 10**8)
    for blob in (derived.display, derived.thumb):
        assert images.decode(blob).info["icc_profile"] == bytes(profile)
        assert blob.count(b"ICC_PROFILE\x00") == 3


def test_the_colours_come_through_in_their_places():
    """OpenCV keeps blue first; the derivatives must not swap red and blue."""
    data = io.BytesIO()
    Image.new("RGB", SOURCE, (220, 30, 30)).save(data, "JPEG", quality=95)
    derived = imaging.derive(io.BytesIO(data.getvalue()), "image/jpeg", 10**8)
    for blob in (derived.display, derived.thumb):
        assert np.abs(np.subtract(images.decode(blob).getpixel((10, 10)), (220, 30, 30))).max() < 6


@pytest.mark.parametrize("size", [(2000, 1500), (3000, 2000)])
def test_the_pixels_are_read_alike_from_one_block_of_memory_or_several(size):
    """Pillow keeps an image of up to 16 MB in one block (read through its Arrow export), a larger one in several
    (read through numpy): the same pixels either way, blue first for OpenCV."""
    rgb = np.random.default_rng(3).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    read = pixels.bgr(Image.fromarray(rgb))
    assert read.flags.writeable and np.array_equal(read, rgb[..., ::-1])
