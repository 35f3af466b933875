"""The derivatives' pixel work on OpenCV's SIMD kernels: antialiased downscaling, upright turns, JPEG encoding."""

from __future__ import annotations

import ctypes
import functools
import struct
from collections.abc import Callable

import cv2
import numpy as np
from PIL import Image

# One thread: a photo's CPU time is then what it costs (a second core would only hide it), and OpenCV starts no
# thread pool that a forked decoding child would inherit in whatever state the fork found it.
cv2.setNumThreads(0)
BORDER = cv2.BORDER_REFLECT  # edge pixels mirrored (down to a one-pixel side, unlike BORDER_REFLECT_101)
# EXIF orientation -> the OpenCV operation that makes the picture upright (the table of the EXIF 2.3 standard).
UPRIGHT: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    2: lambda a: cv2.flip(a, 1),
    3: lambda a: cv2.rotate(a, cv2.ROTATE_180),
    4: lambda a: cv2.flip(a, 0),
    5: lambda a: cv2.transpose(a),
    6: lambda a: cv2.rotate(a, cv2.ROTATE_90_CLOCKWISE),
    7: lambda a: cv2.rotate(cv2.transpose(a), cv2.ROTATE_180),
    8: lambda a: cv2.rotate(a, cv2.ROTATE_90_COUNTERCLOCKWISE),
}
ICC_MARKER, ICC_TAG, ICC_CHUNK = b"\xff\xe2", b"ICC_PROFILE\x00", 65519  # APP2 segments of ICC.1 Annex B


class _ArrowArray(ctypes.Structure):
    """struct ArrowArray of the Arrow C data interface (a stable ABI): where an exported buffer lies."""


_ArrowArray._fields_ = [
    ("length", ctypes.c_int64),
    ("null_count", ctypes.c_int64),
    ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("buffers", ctypes.POINTER(ctypes.c_void_p)),
    ("children", ctypes.POINTER(ctypes.POINTER(_ArrowArray))),
    ("dictionary", ctypes.POINTER(_ArrowArray)),
    ("release", ctypes.c_void_p),
    ("private_data", ctypes.c_void_p),
]
_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


def bgr(image: Image.Image) -> np.ndarray:
    """An RGB image's pixels as a new height x width x 3 array in OpenCV's channel order (blue first). numpy's
    own way, through tobytes(), costs a third of the decode (two copies, the first into pages the kernel faults in
    one by one); Pillow's Arrow export gives the pixels where they lie, four bytes each, and one SIMD pass copies
    them. An image Pillow keeps in more than one block (over 16 MB) has no Arrow export: numpy's way then."""
    try:
        _, exported = image.__arrow_c_array__()
    except ValueError:  # "Image rows are not contiguous in memory"
        return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)
    pixel_array = _ArrowArray.from_address(_capsule_pointer(exported, b"arrow_array"))
    count = image.width * image.height
    band = pixel_array.children[0].contents if pixel_array.n_children == 1 else None
    if band is None or pixel_array.length != count or band.length != 4 * count or band.offset or band.n_buffers != 2:
        return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)  # not the layout Pillow documents
    stored = np.ctypeslib.as_array(ctypes.cast(band.buffers[1], ctypes.POINTER(ctypes.c_uint8)), (count * 4,))
    out = np.empty((image.height, image.width, 3), np.uint8)
    # While `exported` lives, the image's memory does: the copy is done before it goes.
    cv2.cvtColor(stored.reshape(image.height, image.width, 4), cv2.COLOR_RGBA2BGR, dst=out)
    return out


def image(pixels: np.ndarray) -> Image.Image:
    """The pixels as an RGB Pillow image (a copy)."""
    return Image.fromarray(cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB))


def shrink(pixels: np.ndarray, size: tuple[int, int], lobes: int) -> np.ndarray:
    """The picture at `size` (width, height), no larger than it is on either axis. On each axis, first a low-pass
    at the reduction's own scale (a Lanczos kernel widened by it, as Pillow's resize widens its kernel), which
    removes what the smaller grid cannot hold: fine lines and textures would otherwise come out as moire. Then
    bicubic sampling at the new pixel centres. The low-pass runs in place: `pixels` is overwritten."""
    height, width = pixels.shape[:2]
    if (width, height) == size:
        return pixels
    kernels = _lowpass(width / size[0], lobes), _lowpass(height / size[1], lobes)
    cv2.sepFilter2D(pixels, -1, *kernels, dst=pixels, borderType=BORDER)
    return cv2.resize(pixels, size, interpolation=cv2.INTER_CUBIC)


@functools.lru_cache(maxsize=256)
def _lowpass(scale: float, lobes: int) -> np.ndarray:
    """The Lanczos kernel widened by `scale`, sampled at whole pixels and normalised ([1.0] for no reduction)."""
    reach = int(lobes * scale) if scale > 1 else 0
    x = np.arange(-reach, reach + 1) / scale
    weights = np.sinc(x) * np.sinc(x / lobes)
    return (weights / weights.sum()).astype(np.float32)


def halve(pixels: np.ndarray, times: int) -> np.ndarray:
    """A new array of the means of 2 x 2 blocks, `times` times over: the cheap first steps of a large reduction
    (OpenCV has SIMD for exactly this). A last row or column that fills no whole block is left out."""
    if times <= 0:
        return pixels.copy()
    for _ in range(times):
        height, width = pixels.shape[:2]
        whole = pixels[: height - height % 2, : width - width % 2]
        pixels = cv2.resize(whole, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    return pixels


def upright(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """The picture turned as its EXIF orientation says."""
    turn = UPRIGHT.get(orientation)
    return turn(pixels) if turn else pixels


def jpeg(pixels: np.ndarray, quality: int, icc: bytes | None) -> bytes:
    """Baseline JPEG (4:2:0, as Pillow's default) with the colour profile, if any, and no other metadata: no
    EXIF or XMP, so no location, camera or time."""
    return with_profile(cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes(), icc)


def with_profile(encoded: bytes, icc: bytes | None) -> bytes:
    """A JPEG with the colour profile's APP2 segments added (none when there is no profile)."""
    if not icc:
        return encoded
    chunks = [icc[i : i + ICC_CHUNK] for i in range(0, len(icc), ICC_CHUNK)]
    segments = b"".join(
        ICC_MARKER + struct.pack(">H", 2 + len(ICC_TAG) + 2 + len(chunk)) + ICC_TAG + bytes((n, len(chunks))) + chunk
        for n, chunk in enumerate(chunks, 1)
    )
    # After the start of image and the encoder's JFIF segment (APP0), where the ICC standard places them.
    head = 2 + 2 + struct.unpack(">H", encoded[4:6])[0] if encoded[2:4] == b"\xff\xe0" else 2
    return encoded[:head] + segments + encoded[head:]
