"""The JPEG plane path (libjpeg-turbo's Y, Cb, Cr planes, shrunk, turned and encoded as planes): which files take
it, that its derivatives are the picture the RGB path makes, and that damaged files still go to the RGB path,
which refuses them or decodes what Pillow can, as before."""

from __future__ import annotations

import io

import imagehash
import numpy as np
import pytest
from PIL import Image, ImageOps

from service.domain import imaging, photos, planes
from tests import images


@pytest.fixture(scope="module")
def scene() -> Image.Image:
    return images.scene(4000, 3000)


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return Image.open(io.BytesIO(images.sample("jolla.jpg"))).convert("RGB")  # 3264 x 2448, a real scene


def jpeg(picture: Image.Image, **options) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90, **options)
    return out.getvalue()


def psnr(a: Image.Image, b: Image.Image) -> float:
    error = np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2)
    return 10 * np.log10(255**2 / error)


def test_libjpeg_turbo_is_there():
    assert planes.TURBO is not None, "libturbojpeg cannot be loaded: `make system-deps` installs it (libturbojpeg0)"


@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:2", "4:2:0"])
@pytest.mark.parametrize("progressive", [False, True])
def test_every_usual_subsampling_takes_the_plane_path_and_gives_the_picture(photo, subsampling, progressive):
    data = jpeg(photo, subsampling=subsampling, progressive=progressive, exif=images.camera_exif(orientation=6))
    found = planes.decode(data, (1600, 1200))
    assert found is not None and found.size == (1632, 1224), "decoded at 1/2, as draft() would"
    derived = imaging.derive(io.BytesIO(data), "image/jpeg", 10**8)
    # What Pillow makes of the same file: decoded in full, turned, Lanczos down to the display's size.
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).resize((1200, 1600), Image.Resampling.LANCZOS)
    display = images.decode(derived.display)
    assert display.size == (1200, 1600) and (derived.width, derived.height) == (2448, 3264)
    assert psnr(display, expected) > 33, "the same picture, JPEG-encoded at quality 85"
    assert abs(np.asarray(display, np.float64).mean() - np.asarray(expected, np.float64).mean()) < 1, "no colour shift"
    thumb = images.decode(derived.thumb)
    assert thumb.size == (240, 320)
    assert bin(int(derived.phash, 16) ^ int(str(imagehash.phash(expected)), 16)).count("1") <= photos.REUSE_MAX_BITS


def test_a_photo_smaller_than_the_display_is_shown_as_it_is():
    """No reduction: the display is the picture re-encoded, and making the thumbnail leaves it alone."""
    data = jpeg(Image.open(io.BytesIO(images.sample("DSCN0010.jpg"))).convert("RGB"))  # 640 x 480
    display = images.decode(imaging.derive(io.BytesIO(data), "image/jpeg", 10**8).display)
    assert display.size == (640, 480) and psnr(display, images.decode(data)) > 33


def test_odd_sizes_keep_chroma_and_luma_together():
    """A display of odd width and height: the chroma planes are half of it rounded up, as JPEG's 4:2:0 has it."""
    picture = images.scene(3203, 2001)
    data = jpeg(picture)
    derived = imaging.derive(io.BytesIO(data), "image/jpeg", 10**8)
    display = images.decode(derived.display)
    assert display.size == (1600, 1000)
    assert psnr(display, picture.resize((1600, 1000), Image.Resampling.LANCZOS)) > 33


def test_files_that_are_not_ycbcr_with_enough_chroma_take_the_rgb_path(scene):
    grey = jpeg(scene.convert("L"))
    cmyk = jpeg(scene.convert("CMYK"))
    assert planes.decode(grey, (1600, 1200)) is None and planes.decode(cmyk, (1600, 1200)) is None
    for data in (grey, cmyk):
        assert images.decode(imaging.derive(io.BytesIO(data), "image/jpeg", 10**8).display).size == (1600, 1200)


def test_a_truncated_file_leaves_the_plane_path_and_is_still_refused():
    data = images.truncated_jpeg()
    assert planes.decode(data, (1600, 1200)) is None
    with pytest.raises(imaging.Rejected, match="truncated"):
        imaging.derive(io.BytesIO(data), "image/jpeg", 10**8)


def test_a_corrupt_stretch_that_pillow_decodes_is_still_decoded(scene):
    """libjpeg-turbo warns about the damage; Pillow's decode, as before the plane path, shows what it can."""
    data = jpeg(scene)
    middle = len(data) // 2
    damaged = data[:middle] + bytes(1000) + data[middle + 1000 :]
    assert planes.decode(damaged, (1600, 1200)) is None
    assert images.decode(imaging.derive(io.BytesIO(damaged), "image/jpeg", 10**8).display).size == (1600, 1200)
