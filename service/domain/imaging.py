"""The photo pipeline without a database: type from the bytes, safe decoding, EXIF evidence, derivatives, phash."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import importlib
import io
import logging
import math
import os
import pickle
import resource
import select
import signal
import threading
import time
import warnings
from dataclasses import dataclass
from typing import IO

import numpy as np
import pillow_heif
from PIL import ExifTags, Image, ImageCms, UnidentifiedImageError

from service.domain import pixels, planes
from service.domain.calendar import WIB
from service.settings import Settings

log = logging.getLogger(__name__)
pillow_heif.register_heif_opener()
# Pillow imports its plugins on first use (TIFF for EXIF; all of them to open a WebP). Imported here, they are
# imported once in the worker, and every decoding child it forks finds them there (20 to 60 ms a photo otherwise).
Image.preinit()  # JPEG, PNG, and the three others Image.open() would import
for _plugin in ("WebPImagePlugin", "TiffImagePlugin"):
    importlib.import_module(f"PIL.{_plugin}")
# derive() checks the configured pixel limit itself, from the header, before anything is decoded; Pillow's own
# process-wide guard (a warning, then an error at twice its default) would apply a different, fixed limit.
Image.MAX_IMAGE_PIXELS = None

# Media type -> the only Pillow decoder allowed for it.
DECODERS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/heic": "HEIF"}
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
SNIFF_BYTES = 16
DISPLAY_EDGE, THUMB_EDGE = 1600, 320
DISPLAY_QUALITY, THUMB_QUALITY = 85, 80
# The resizes' kernels (pixels.shrink). Lanczos-2 for the display: at its step from what draft() leaves (1.25x
# for 12 MP) it fades moire and keeps detail as Pillow's BICUBIC did there (tests/photos/test_resampling.py).
# Lanczos-3 for the thumbnail, after 2 x 2 box steps down to no less than THUMB_GAP times its size: Pillow's
# LANCZOS with reducing_gap=2, as before.
DISPLAY_LOBES, THUMB_LOBES, THUMB_GAP = 2, 3, 2.0
# The phash (imagehash.phash's algorithm): the signs, against their median, of the 8 x 8 lowest frequencies of the
# DCT-II of the picture in grey at 32 x 32. These are the basis's first 8 rows (its factor 2 changes no sign).
PHASH_SIDE, PHASH_BITS = 32, 8
_DCT_ROWS = np.cos(np.pi * np.outer(np.arange(PHASH_BITS), 2 * np.arange(PHASH_SIDE) + 1) / (2 * PHASH_SIDE))
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON, GPS_TIME, GPS_DATE = 1, 2, 3, 4, 7, 29
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL, ORIENTATION = 0x9003, 0x9011, 0x0112
CPU_SECONDS = 60  # a decoding child is killed past this (within the photo job's 120 s timeout)
WALL_SECONDS = 90  # ...and past this much real time, which a child blocked off the CPU never accumulates as CPU
# How a decoding child dies when it hits its memory limit: the OOM killer, or a C decoder whose allocation failed
# (a segfault on the NULL, or an abort from C++'s bad_alloc). The file's fault, like a MemoryError.
EXHAUSTED_SIGNALS = {signal.SIGKILL, signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT}
_EXIT_EXHAUSTED, _EXIT_FAILED = 2, 3  # a decoding child's exit codes other than 0
_FORKING = threading.Lock()
PROC_STATUS = "/proc/self/status"
TOO_LARGE = "The image is too large to decode within the server's memory limit."
TOO_SLOW = "The image takes too long to decode."


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


def derive_isolated(
    fp: IO[bytes],
    media_type: str,
    max_pixels: int,
    max_edge: int,
    memory_bytes: int,
    cpu_seconds: int = CPU_SECONDS,
    wall_seconds: float = WALL_SECONDS,
) -> Derived:
    """derive() in a forked child whose address space may grow by `memory_bytes` at most: a file that needs more
    ends as Rejected, and the caller (an RQ work horse, or the API process itself when jobs run in process)
    neither grows nor dies. The child inherits `fp`, so nothing is copied to it; its result comes back pickled."""
    return run_isolated(lambda: derive(fp, media_type, max_pixels, max_edge), memory_bytes, cpu_seconds, wall_seconds)


def run_isolated(work, memory_bytes: int, cpu_seconds: int = CPU_SECONDS, wall_seconds: float = WALL_SECONDS):
    """work() in a forked, confined child; its result, or its Rejected. Running out of memory or CPU time, or past
    `wall_seconds`, is a Rejected (the file's fault); any other failure of the child is a RuntimeError (ours:
    the job is retried). The caller is never left waiting longer than `wall_seconds`, nor with a zombie."""
    limit_memory = _can_limit_address_space()
    with _FORKING:  # no other decode's child is forked while this write end is open here, so none inherits it
        read_end, write_end = os.pipe()  # close-on-exec (PEP 446)
        try:
            pid = os.fork()
        except BaseException:
            os.close(read_end)
            os.close(write_end)
            raise
        if pid == 0:  # pragma: no cover  (the child: it never returns, and never runs the parent's cleanup)
            os.close(read_end)
            _run_confined(write_end, memory_bytes if limit_memory else None, cpu_seconds, work)
        os.close(write_end)
    reaped = False
    try:
        data = _read_until(read_end, time.monotonic() + wall_seconds)
        if data is None:  # deadlocked, or slow while off the CPU: CPU limits cannot see it
            os.kill(pid, signal.SIGKILL)
        status = _reap(pid)
        reaped = True
    finally:
        os.close(read_end)
        if not reaped:  # the caller was interrupted (a job timeout): the child goes too
            with contextlib.suppress(ProcessLookupError, ChildProcessError):  # the original exception matters
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
    if data is None:
        log.warning("decoding child killed after %s s of wall-clock time", wall_seconds)
        raise Rejected(TOO_SLOW)
    return _outcome(data, status)


def _read_until(fd: int, deadline: float) -> bytes | None:
    """Everything the child writes, up to its exit (end of file); None when the deadline passes first."""
    chunks: list[bytes] = []
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while (remaining := deadline - time.monotonic()) > 0:
        if not poller.poll(remaining * 1000):
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
    return None


def _reap(pid: int) -> int | None:
    """The child's wait status; None when a SIGCHLD handler of the host process reaped it first."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return None


def _outcome(data: bytes, status: int | None):
    """The child's answer judged by how it ended: a limit it hit is the file's fault, anything else is ours."""
    if status is not None and os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        if signum == signal.SIGXCPU:
            raise Rejected(TOO_SLOW)
        if signum in EXHAUSTED_SIGNALS:
            log.warning("decoding child killed by %s", signal.Signals(signum).name)
            raise Rejected(TOO_LARGE)
        raise RuntimeError(f"the decoding child was killed by signal {signum}")
    code = None if status is None else os.waitstatus_to_exitcode(status)
    if code == _EXIT_EXHAUSTED:
        raise Rejected(TOO_LARGE)
    if code == 0 or (code is None and data):
        try:
            outcome = pickle.loads(data)
        except Exception as exc:
            raise RuntimeError(f"the decoding child gave an unreadable answer ({exc})") from None
        if isinstance(outcome, Rejected):
            log.info("decoding refused: %s", outcome)
            raise outcome
        return outcome
    reason = data.decode("utf-8", "replace")[:500] or "no answer"
    raise RuntimeError(f"the decoding child failed (exit code {code}): {reason}")


def _run_confined(fd: int, memory_bytes: int | None, cpu_seconds: int, work) -> None:
    """In the child: limit it, do the work, write the result or the Rejected to `fd`, and leave at once. On any
    other failure, write what it was and exit with _EXIT_FAILED, so that the parent does not blame the file."""
    code = _EXIT_FAILED
    try:
        gc.disable()  # a collection would touch (and so copy) every page of objects shared with the parent
        # No logging or warnings here: a handler's or stream's lock held by another thread of the parent at the
        # fork stays locked in the child forever. The parent logs the outcome.
        logging.disable(logging.CRITICAL)
        warnings.simplefilter("ignore")
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):  # the parent's handlers
            signal.signal(signum, signal.SIG_DFL)
        if memory_bytes is not None:
            address_space = _address_space() + memory_bytes
            _lower_limit(resource.RLIMIT_AS, address_space, address_space)
        _lower_limit(resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 5)
        try:
            outcome = work()
        except Rejected as exc:
            outcome = exc
        except MemoryError:
            outcome = Rejected(TOO_LARGE)
        _write_all(fd, pickle.dumps(outcome))
        code = 0
    except MemoryError:
        code = _EXIT_EXHAUSTED
    except BaseException as exc:
        with contextlib.suppress(BaseException):
            _write_all(fd, f"{type(exc).__name__}: {exc}".encode())
    finally:
        os._exit(code)  # no atexit, no finalizers: the parent's database and Redis connections stay its own


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _lower_limit(kind: int, soft: int, hard: int) -> None:
    """Set a resource limit, never above the one the process already has (it could not raise it anyway)."""
    _, current = resource.getrlimit(kind)
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    resource.setrlimit(kind, (soft, hard))


@functools.cache
def _can_limit_address_space() -> bool:
    """Whether decoding children get an address-space limit, decided once: it needs the process's size from /proc
    and a working RLIMIT_AS. Without them (macOS) they keep the CPU and wall-clock limits only."""
    try:
        _address_space()
        resource.setrlimit(resource.RLIMIT_AS, resource.getrlimit(resource.RLIMIT_AS))
    except (OSError, ValueError, AttributeError, StopIteration) as exc:
        log.warning("photo decoding runs without a memory limit here: %s: %s", type(exc).__name__, exc)
        return False
    return True


def _address_space() -> int:
    """Bytes of virtual memory this process has now (what it inherited from its parent)."""
    with open(PROC_STATUS) as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))


def derive(fp: IO[bytes], media_type: str, max_pixels: int, max_edge: int = Settings.photo_max_edge) -> Derived:
    """The derivatives of a user's file; any failure to decode it, of whatever kind, is a Rejected with a
    reason (a broken colour profile, a bad Huffman table...): a bad file is an outcome, not a crash to retry."""
    try:
        return _derive(fp, media_type, max_pixels, max_edge)
    except Rejected:
        raise
    except MemoryError:
        raise Rejected(TOO_LARGE) from None
    except Exception as exc:
        log.info("cannot decode %s: %s: %s", media_type, type(exc).__name__, exc)
        raise Rejected(f"The image cannot be decoded ({exc}).") from None


def _derive(fp: IO[bytes], media_type: str, max_pixels: int, max_edge: int) -> Derived:
    """Decode fully (a truncated file fails here), then make the upright derivatives the fast way: a decode at a
    DCT scale with the photo's own proportions, resize, and only then rotate the small image."""
    image = _open(fp, media_type, max_pixels, max_edge)
    width, height = image.size
    target = _fit(image.size, DISPLAY_EDGE)
    exif = _exif(image)
    orientation = exif.get(ORIENTATION, 1)
    icc = image.info.get("icc_profile")
    icc = icc if icc and icc[16:20] == b"RGB " else None  # a CMYK or grey profile does not describe RGB output
    if orientation in pixels.UPRIGHT and orientation >= 5:  # turned by a quarter
        width, height = height, width
    found = _planes(fp, image, target)
    if found is not None:  # most photos: YCbCr JPEGs
        display_jpeg, thumb_jpeg, thumb = _from_planes(found, target, orientation, icc)
    else:
        source = _rgb_source(image, target)
        del image  # the decoded picture goes before the display is made: one full-size copy at a time
        display = pixels.upright(pixels.shrink(source, target, DISPLAY_LOBES), orientation)
        del source
        thumb_pixels = _thumbnail(display)
        display_jpeg, thumb_jpeg = (
            pixels.jpeg(display, DISPLAY_QUALITY, icc),
            pixels.jpeg(thumb_pixels, THUMB_QUALITY, icc),
        )
        thumb = pixels.image(thumb_pixels)
    return Derived(
        width=width,
        height=height,
        display=display_jpeg,
        thumb=thumb_jpeg,
        phash=phash(thumb),
        evidence=_safe_evidence(exif),
    )


def _planes(fp: IO[bytes], image: Image.Image, target: tuple[int, int]) -> planes.Planes | None:
    """A JPEG's planes from libjpeg-turbo, when it is one whose planes can be used as they are."""
    if image.format not in ("JPEG", "MPO") or image.mode != "RGB":  # MPO: JPEG with a gain map
        return None
    fp.seek(0)
    return planes.decode(fp.read(), target)


def _from_planes(
    found: planes.Planes, target: tuple[int, int], orientation: int, icc: bytes | None
) -> tuple[bytes, bytes, Image.Image]:
    """The display and thumbnail JPEGs made plane by plane, and the thumbnail's picture (for the phash)."""
    display = found.shrink(target, DISPLAY_LOBES).apply(lambda plane: pixels.upright(plane, orientation))
    size, halvings = _thumb_steps(display.size)
    thumb = display.halve(halvings).shrink(size, THUMB_LOBES)
    return display.jpeg(DISPLAY_QUALITY, icc), thumb.jpeg(THUMB_QUALITY, icc), Image.fromarray(thumb.rgb())


def _rgb_source(image: Image.Image, target: tuple[int, int]) -> np.ndarray:
    """The RGB path (PNG, WebP, HEIC, and JPEGs the plane path leaves: CMYK, grey, damaged): the decoded pixels,
    reduced by a whole factor towards the display. JPEGs are decoded at a DCT scale through draft(); what is left
    after it is a reduction by less than 2 (2000 -> 1600 for 12 MP), which pixels.shrink finishes on OpenCV's SIMD
    kernels. Without scaled decoding (HEIC, PNG, WebP), a box reduction by the whole factor first (gap 1.0) stands
    in for draft(). Only then is the small image turned upright, and the thumbnail made from it."""
    if image.format in ("JPEG", "MPO") and max(image.size) > DISPLAY_EDGE:
        image.draft("RGB", target)
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        log.info("cannot decode: %s", exc)
        raise Rejected("The image cannot be decoded completely; the file may be truncated.") from None
    return pixels.bgr(_flatten(_reduce(_rgb_or_rgba(image), target, 1.0)))


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


def _open(fp: IO[bytes], media_type: str, max_pixels: int, max_edge: int) -> Image.Image:
    if media_type not in DECODERS:
        raise Rejected(f"Unsupported type {media_type!r}.")
    try:
        image = Image.open(fp, formats=[DECODERS[media_type]])  # reads the header only
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        log.info("unreadable %s: %s", media_type, exc)
        raise Rejected(f"Not a readable {media_type} file.") from None
    if image.width * image.height > max_pixels:
        raise Rejected(f"The image has more than {max_pixels // 1_000_000} million pixels.")
    if max(image.size) > max_edge:
        raise Rejected(f"The image is {image.width} x {image.height}: no side may be longer than {max_edge} pixels.")
    return image


def _fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    """The size with the same proportions whose long edge is `edge` (or the size itself when smaller)."""
    width, height = size
    scale = edge / max(width, height)
    if scale >= 1:
        return size
    return max(1, round(width * scale)), max(1, round(height * scale))


def _reduce(image: Image.Image, target: tuple[int, int], gap: float) -> Image.Image:
    """A box reduction by a whole factor (Pillow's reduce(), cheap) to no less than `gap` times `target`: the
    first step of a large reduction, which pixels.shrink finishes."""
    factor = int(min(image.width / target[0], image.height / target[1]) / gap)
    return image.reduce(factor) if factor > 1 else image


def _thumb_steps(size: tuple[int, int]) -> tuple[tuple[int, int], int]:
    """The thumbnail's size, and how many 2 x 2 box steps come before its Lanczos step (none below THUMB_GAP)."""
    target = _fit(size, THUMB_EDGE)
    return target, max(0, int(math.log2(min(size[0] / target[0], size[1] / target[1]) / THUMB_GAP)))


def _thumbnail(display: np.ndarray) -> np.ndarray:
    target, steps = _thumb_steps((display.shape[1], display.shape[0]))
    return pixels.shrink(pixels.halve(display, steps), target, THUMB_LOBES)


def phash(image: Image.Image) -> str:
    """The perceptual hash as 16 hex digits: str(imagehash.phash(image)), computed with numpy alone. imagehash
    imports scipy inside phash(), which every decoding child did anew (~150 ms and 18 MB a photo). The rounding
    keeps exact ties (a flat or symmetric picture) ties: there imagehash's bits are the FFT's rounding noise."""
    grey = image.convert("L").resize((PHASH_SIDE, PHASH_SIDE), Image.Resampling.LANCZOS)
    pixels = np.asarray(grey, dtype=np.float64)
    low = np.round(np.einsum("kn,nm,lm->kl", _DCT_ROWS, pixels, _DCT_ROWS), 6)  # einsum: numpy's loops, no BLAS
    # np.median's value, without its first-use import of numpy.ma (15 ms in every child).
    middle = np.sort(low, axis=None)[PHASH_BITS**2 // 2 - 1 : PHASH_BITS**2 // 2 + 1].mean()
    return np.packbits(low > middle).tobytes().hex()


def _rgb_or_rgba(image: Image.Image) -> Image.Image:
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):  # 16-bit grey: keep the top 8 bits, do not clip
        image = Image.fromarray((np.asarray(image, dtype=np.uint32) >> 8).astype(np.uint8), "L")
    if image.mode == "CMYK" and image.info.get("icc_profile"):  # print-ready JPEGs: colour-managed to sRGB
        profile = ImageCms.ImageCmsProfile(io.BytesIO(image.info["icc_profile"]))
        # Pillow types the result Image | None for both modes; only inPlace=True (not used) gives None.
        return ImageCms.profileToProfile(  # type: ignore[return-value]
            image, profile, ImageCms.createProfile("sRGB"), outputMode="RGB"
        )
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
    """DateTimeOriginal with its offset; without one, the camera's clock is taken as WIB (the regency's time).
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
