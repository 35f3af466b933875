"""The JPEG fast path of the derivatives: libjpeg-turbo decodes a photo's Y, Cb and Cr planes at a DCT scale, each
plane is shrunk and turned as it is, and the derivatives are encoded from planes (no colour conversion at all)."""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass

import cv2
import numpy as np
from turbojpeg import TJSAMP_420, TJSAMP_422, TJSAMP_440, TJSAMP_444, TJCS_YCbCr, TurboJPEG

from service.domain import pixels

log = logging.getLogger(__name__)
# Subsamplings whose chroma planes hold at least what 4:2:0 output needs (4:1:1 and 4:4:1 hold less on one axis:
# those photos, rare, take the RGB path).
PLANAR = {TJSAMP_444, TJSAMP_422, TJSAMP_420, TJSAMP_440}
ROW_PAD = 4  # the rows of the buffer tjCompressFromYUV reads are padded to this many bytes (PyTurboJPEG's choice)
DCT_SCALES = (8, 4, 2)  # the decode's reductions, as draft() picks them: the largest that still covers the target


def _load() -> TurboJPEG | None:
    try:
        return TurboJPEG()
    except (RuntimeError, OSError) as exc:  # the libturbojpeg shared library is not installed
        log.warning("photos take the slower RGB path: libturbojpeg cannot be loaded (%s)", exc)
        return None


# Loaded at import, in the worker: each decoding child it forks finds the library mapped already.
TURBO = _load()


@dataclass
class Planes:
    """A picture as its three planes (Y at full size; Cb and Cr at the size of its subsampling)."""

    y: np.ndarray
    cb: np.ndarray
    cr: np.ndarray

    @property
    def size(self) -> tuple[int, int]:
        return self.y.shape[1], self.y.shape[0]

    def apply(self, operation) -> Planes:
        return Planes(operation(self.y), operation(self.cb), operation(self.cr))

    def shrink(self, size: tuple[int, int], lobes: int) -> Planes:
        """At `size` (width, height) in 4:2:0: the chroma planes at half the size, rounded up, as JPEG has it.
        As pixels.shrink, these planes are overwritten."""
        half = (math.ceil(size[0] / 2), math.ceil(size[1] / 2))
        return Planes(
            pixels.shrink(self.y, size, lobes), pixels.shrink(self.cb, half, lobes), pixels.shrink(self.cr, half, lobes)
        )

    def halve(self, times: int) -> Planes:
        """New planes of the means of 2 x 2 blocks, `times` times over (a copy when none)."""
        return self.apply(lambda plane: pixels.halve(plane, times))

    def jpeg(self, quality: int, icc: bytes | None) -> bytes:
        """Baseline 4:2:0 JPEG encoded from the planes, with the colour profile, if any, and no other metadata."""
        if TURBO is None:  # planes come from decode(), which needs the library
            raise RuntimeError("libturbojpeg is not loaded")
        width, height = self.size
        buffer = np.concatenate([_padded(plane).ravel() for plane in (self.y, self.cb, self.cr)])
        encoded = TURBO.encode_from_yuv(buffer, height, width, quality=quality, jpeg_subsample=TJSAMP_420)
        return pixels.with_profile(encoded, icc)

    def rgb(self) -> np.ndarray:
        """The pixels in RGB (JPEG's full-range BT.601), chroma upsampled bilinearly: for the phash, of a thumbnail."""
        width, height = self.size
        chroma = [cv2.resize(c, (width, height), interpolation=cv2.INTER_LINEAR) for c in (self.cr, self.cb)]
        return cv2.cvtColor(cv2.merge([self.y, *chroma]), cv2.COLOR_YCrCb2RGB)


def _padded(plane: np.ndarray) -> np.ndarray:
    height, width = plane.shape
    stride = -(-width // ROW_PAD) * ROW_PAD
    if stride == width:
        return np.ascontiguousarray(plane)
    out = np.zeros((height, stride), np.uint8)
    out[:, :width] = plane
    return out


def decode(data: bytes, target: tuple[int, int]) -> Planes | None:
    """The planes at the DCT scale that still covers `target`; None when this path does not apply (no library,
    not YCbCr, a subsampling with too little chroma) or libjpeg-turbo warned or failed in any way (a truncated or
    corrupt file): the RGB path then decodes the file as it always did, and judges it."""
    if TURBO is None:
        return None
    with warnings.catch_warnings(record=True) as caught:  # PyTurboJPEG reports libjpeg's warnings only this way
        warnings.simplefilter("always")
        try:
            width, height, subsampling, colourspace = TURBO.decode_header(data)
            if colourspace != TJCS_YCbCr or subsampling not in PLANAR:
                return None
            whole = min(width // target[0], height // target[1])
            scale = next((s for s in DCT_SCALES if whole >= s), 1)
            y, cb, cr = TURBO.decode_to_yuv_planes(data, scaling_factor=(1, scale))
        except OSError as exc:  # PyTurboJPEG's error for whatever libjpeg-turbo refused
            log.info("libjpeg-turbo cannot decode the planes: %s", exc)
            return None
    if caught:
        log.info("libjpeg-turbo warned: %s", caught[0].message)
        return None
    return Planes(y, cb, cr)
