"""Benchmark of the photo pipeline against libvips, a decode-only floor and a naive Pillow path, in one run.

    .venv/bin/python -m bench.photos [rounds]

Inputs: a generated 12 MP (4000x3000) camera-like JPEG with EXIF orientation 6 and a geotag, and the same picture
and EXIF as a HEIC made with pillow-heif. Paths, each given the bytes of one photo:
- pipeline: `service.domain.imaging.derive` (DCT-scaled decode via draft(), resize, rotate the small image, two
  JPEGs, phash, EXIF evidence);
- isolated: the pipeline as the photo job runs it, in a forked child with a memory limit (`derive_isolated`); its
  cost over `pipeline` is the fork and the pickled result;
- libvips: pyvips doing the same two derivatives the idiomatic way (`thumbnail_buffer`: shrink-on-load, upright by
  EXIF; the thumbnail from the display image; JPEGs that keep only the ICC profile), on libvips' own threads,
  with its operation cache off; it computes no phash or EXIF evidence, which the pipeline does (about 1 ms);
- decode floor: the decode alone at the scale the display needs (JPEG: draft() to the smallest DCT scale still
  covering DISPLAY_EDGE, then load(); HEIC has no scaled decode: the full decode), nothing else;
- plane decode: the pipeline's own decode of a YCbCr JPEG (libjpeg-turbo's planes at the same DCT scale);
- naive: decode at full size, rotate (exif_transpose), both sizes with LANCZOS from the full image, two JPEGs.
Every round runs every path once, in a new (seeded) order, so machine noise and what one path leaves behind for
the next hit them all alike; medians are what to read. CPU ms counts every thread and the forked child, so a path
that is faster only by using more cores shows it. Peak memory: the rise of the caller's peak RSS over one photo, in
a fresh process warmed with a small photo. `isolated, cold` is derive_isolated in a fresh process that has run
nothing else, as the photo job in an RQ work horse: what each decoding child has to load itself shows there.
pyvips is a dev dependency: without it the libvips rows are left out.
"""

from __future__ import annotations

import io
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageOps

from service.domain import imaging, planes
from service.settings import Settings
from tests.images import camera_exif, scene

try:
    import pyvips
except (ImportError, OSError) as exc:  # OSError: the libvips library itself cannot be loaded
    pyvips, PYVIPS_MISSING = None, f"{type(exc).__name__}: {exc}"
else:
    PYVIPS_MISSING = ""
    pyvips.cache_set_max(0)  # every round decodes again, as every photo would

MAX_PIXELS = Settings.photo_max_pixels
MAX_EDGE, DECODE_MEMORY = Settings.photo_max_edge, Settings.photo_decode_memory
TARGET_RATIO = 2.5  # photos/s of the pipeline over the naive path
FLOOR_GOAL = 1.5  # the pipeline's time over the decode floor's, at most
COLD_PHOTOS = 7


def pipeline(data: bytes, media_type: str) -> None:
    imaging.derive(io.BytesIO(data), media_type, MAX_PIXELS)


def isolated(data: bytes, media_type: str) -> None:
    imaging.derive_isolated(io.BytesIO(data), media_type, MAX_PIXELS, MAX_EDGE, DECODE_MEMORY)


def libvips(data: bytes, media_type: str) -> tuple[bytes, bytes]:
    keep = pyvips.enums.ForeignKeep.ICC  # no EXIF or XMP, as the pipeline's derivatives
    # copy_memory: the thumbnail is made from the finished display image, not by running the decode again.
    display = pyvips.Image.thumbnail_buffer(data, imaging.DISPLAY_EDGE).copy_memory()
    thumb = display.thumbnail_image(imaging.THUMB_EDGE)
    return (
        display.jpegsave_buffer(Q=imaging.DISPLAY_QUALITY, keep=keep),
        thumb.jpegsave_buffer(Q=imaging.THUMB_QUALITY, keep=keep),
    )


def decode_floor(data: bytes, media_type: str) -> None:
    image = Image.open(io.BytesIO(data), formats=[imaging.DECODERS[media_type]])
    if image.format == "JPEG":
        image.draft("RGB", imaging._fit(image.size, imaging.DISPLAY_EDGE))
    image.load()


def plane_decode(data: bytes, media_type: str) -> None:
    image = Image.open(io.BytesIO(data))
    planes.decode(data, imaging._fit(image.size, imaging.DISPLAY_EDGE))


def naive(data: bytes, media_type: str) -> None:
    image = Image.open(io.BytesIO(data))
    image.load()
    upright = ImageOps.exif_transpose(image)
    for edge in (imaging.DISPLAY_EDGE, imaging.THUMB_EDGE):
        small = upright.resize(imaging._fit(upright.size, edge), Image.Resampling.LANCZOS)
        small.save(io.BytesIO(), "JPEG", quality=85)


PATHS: dict[str, Callable[[bytes, str], object]] = {
    "pipeline": pipeline,
    "isolated": isolated,
    "libvips": libvips,
    "decode floor": decode_floor,
    "plane decode": plane_decode,
    "naive": naive,
}
INPUTS = {"JPEG": "image/jpeg", "HEIC": "image/heic"}
ON_HEIC = ("pipeline", "libvips", "decode floor", "naive")


def make_inputs(width: int = 4000, height: int = 3000) -> dict[str, bytes]:
    picture = scene(width, height)
    exif = camera_exif(lat=-7.9557, lon=113.0876, orientation=6)
    jpeg, heic = io.BytesIO(), io.BytesIO()
    picture.save(jpeg, "JPEG", quality=90, exif=exif)
    # x265's fastest preset: the bench measures decoding, and the default preset takes 25 s to encode 12 MP.
    picture.save(heic, "HEIF", quality=80, exif=exif.tobytes(), enc_params={"preset": "ultrafast"})
    return {"JPEG": jpeg.getvalue(), "HEIC": heic.getvalue()}


def vips_cannot(data: bytes, media_type: str) -> str:
    """Why this libvips cannot make the derivatives of `data` ('' when it can, and they match the pipeline's)."""
    try:
        display, thumb = libvips(data, media_type)
    except pyvips.Error as exc:  # libvips' error log: the longest line says why (which codec is missing)
        return f"this libvips cannot decode it: {max(str(exc).splitlines(), key=len).strip()}"
    ours = imaging.derive(io.BytesIO(data), media_type, MAX_PIXELS)
    theirs = [Image.open(io.BytesIO(blob)) for blob in (display, thumb)]
    mine = [Image.open(io.BytesIO(blob)) for blob in (ours.display, ours.thumb)]
    if [i.size for i in theirs] != [i.size for i in mine] or any(i.getexif() for i in theirs):
        raise SystemExit(f"libvips made {[i.size for i in theirs]}, the pipeline {[i.size for i in mine]}")
    return ""


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def peak_rise(path: Path, media_type: str, name: str) -> float:
    """MB the peak RSS rises by while one photo goes through `name`, in a new process (Linux: the peak is reset
    through /proc/self/clear_refs first, since a forked child inherits its parent's peak)."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.photos", "--peak", str(path), media_type, name],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip())


def _measure_peak(path: str, media_type: str, name: str) -> None:
    data = Path(path).read_bytes()
    # A small photo of the same kind first: it loads the code and what it imports on first use, without leaving
    # freed full-size buffers in the heap for the measured photo to reuse (what the allocator kept after a 12 MP
    # warm-up moved this figure by 5 MB from one version of the code to the next, for the same work).
    PATHS[name](make_inputs(160, 120)["JPEG" if media_type == "image/jpeg" else "HEIC"], media_type)
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # reset the peak RSS to the current RSS
    before = _status_kb("VmRSS")
    PATHS[name](data, media_type)
    print((_status_kb("VmHWM") - before) / 1024)


def cold_isolated(path: Path, media_type: str) -> tuple[float, float]:
    """Median seconds, wall and CPU, of derive_isolated in a new process that never ran the pipeline itself."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.photos", "--cold", str(path), media_type],
        capture_output=True,
        text=True,
        check=True,
    )
    wall, cpu = out.stdout.split()
    return float(wall), float(cpu)


def _measure_cold(path: str, media_type: str) -> None:
    data, times, cpu = Path(path).read_bytes(), [], []
    for _ in range(COLD_PHOTOS):
        began, began_cpu = time.perf_counter(), _cpu()
        isolated(data, media_type)
        times.append(time.perf_counter() - began)
        cpu.append(_cpu() - began_cpu)
    print(statistics.median(times), statistics.median(cpu))


def main(rounds: int = 15) -> None:
    inputs = make_inputs()
    runs = [(kind, name) for kind in INPUTS for name in PATHS if kind == "JPEG" or name in ON_HEIC]
    skipped = {}
    for kind, media_type in INPUTS.items():
        if pyvips is None:
            runs.remove((kind, "libvips"))
        elif reason := vips_cannot(inputs[kind], media_type):
            skipped[kind] = reason
            runs.remove((kind, "libvips"))
    print(
        f"input: 4000x3000 JPEG ({len(inputs['JPEG']) / 2**20:.1f} MB) and HEIC ({len(inputs['HEIC']) / 2**20:.1f} MB)"
        f" of one picture, orientation 6; {rounds} alternating rounds"
    )
    if pyvips is None:
        print(f"libvips: left out, pyvips cannot be imported ({PYVIPS_MISSING}): run `make install-dev`")
    else:
        print(
            f"libvips: pyvips {pyvips.__version__}, libvips {pyvips.version(0)}.{pyvips.version(1)}."
            f"{pyvips.version(2)}, up to {pyvips.vips_lib.vips_concurrency_get()} threads"
        )
    times: dict[tuple[str, str], list[float]] = {run: [] for run in runs}
    cpu: dict[tuple[str, str], list[float]] = {run: [] for run in runs}
    for kind, name in runs:  # warm-up
        PATHS[name](inputs[kind], INPUTS[kind])
    shuffle = random.Random(1).shuffle
    for _ in range(rounds):
        # A new order every round: what one path leaves behind (a heap grown by a big decode, pages that a fork
        # made copy-on-write) must not always fall on the same next path.
        shuffle(runs)
        for kind, name in runs:
            began, began_cpu = time.perf_counter(), _cpu()
            PATHS[name](inputs[kind], INPUTS[kind])
            times[kind, name].append(time.perf_counter() - began)
            cpu[kind, name].append(_cpu() - began_cpu)
    median = {run: statistics.median(values) for run, values in times.items()}
    with tempfile.TemporaryDirectory() as folder:
        files = {kind: Path(folder) / f"photo.{kind.lower()}" for kind in INPUTS}
        for kind, file in files.items():
            file.write_bytes(inputs[kind])
        cold = cold_isolated(files["JPEG"], INPUTS["JPEG"])
        peak = {(kind, name): peak_rise(files[kind], INPUTS[kind], name) for kind, name in runs}
    for kind in INPUTS:
        print(f"{kind} 12 MP        photos/s   median ms   CPU ms   peak memory rise of the caller")
        for name in PATHS:
            if (kind, name) in median:
                seconds, cpu_ms = median[kind, name], statistics.median(cpu[kind, name]) * 1000
                print(
                    f"  {name:14s} {1 / seconds:8.1f} {seconds * 1000:11.1f} {cpu_ms:8.1f}   {peak[kind, name]:4.0f} MB"
                )
            elif name == "libvips" and kind in skipped:
                print(f"  {name:14s} skipped: {skipped[kind]}")
        if kind == "JPEG":
            print(
                f"  {'isolated, cold':14s} {1 / cold[0]:8.1f} {cold[0] * 1000:11.1f} {cold[1] * 1000:8.1f}"
                f"   (median of {COLD_PHOTOS}, not alternated)"
            )
    _verdicts(median, {run: statistics.median(values) for run, values in cpu.items()})


def _verdicts(median: dict[tuple[str, str], float], cpu: dict[tuple[str, str], float]) -> None:
    ratio = median["JPEG", "naive"] / median["JPEG", "pipeline"]
    verdict = "meets" if ratio >= TARGET_RATIO else "BELOW"
    print(f"JPEG photos/s pipeline/naive: {ratio:.2f}x ({verdict} the {TARGET_RATIO}x target)")
    isolated_ratio = median["JPEG", "naive"] / median["JPEG", "isolated"]
    verdict = "meets" if isolated_ratio >= TARGET_RATIO else "BELOW"
    print(f"JPEG photos/s isolated/naive: {isolated_ratio:.2f}x ({verdict} the {TARGET_RATIO}x target)")
    fork_ms = (median["JPEG", "isolated"] - median["JPEG", "pipeline"]) * 1000
    print(
        f"JPEG cost of the child process: {fork_ms:+.1f} ms a photo "
        f"({median['JPEG', 'isolated'] / median['JPEG', 'pipeline']:.2f}x)"
    )
    # Wall clock: one photo on a machine with a core to spare; CPU: throughput when every core has work.
    for clock, spent in (("wall clock", median), ("CPU time", cpu)):
        for kind in INPUTS:
            if (kind, "libvips") in spent:
                ratio = spent[kind, "libvips"] / spent[kind, "pipeline"]
                verdict = "meets" if ratio >= 1 else "BELOW"
                print(
                    f"{kind} photos/s pipeline/libvips by {clock}: {ratio:.2f}x "
                    f"({verdict} the goal: at or above libvips)"
                )
        ratio = spent["JPEG", "pipeline"] / spent["JPEG", "decode floor"]
        verdict = "meets" if ratio <= FLOOR_GOAL else "ABOVE"
        print(f"JPEG {clock} pipeline/decode floor: {ratio:.2f}x ({verdict} the goal: at most {FLOOR_GOAL}x)")
        ratio = spent["JPEG", "pipeline"] / spent["JPEG", "plane decode"]
        print(f"JPEG {clock} pipeline/its own plane decode: {ratio:.2f}x")
    print(f"HEIC wall clock pipeline/decode: {median['HEIC', 'pipeline'] / median['HEIC', 'decode floor']:.2f}x")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--peak"]:
        _measure_peak(*sys.argv[2:5])
    elif sys.argv[1:2] == ["--cold"]:
        _measure_cold(*sys.argv[2:4])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
