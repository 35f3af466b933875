"""Benchmark of the photo pipeline against a naive Pillow path, measured in the same run, and its peak memory.

    .venv/bin/python -m bench.photos [rounds]

Input: a generated 12 MP (4000x3000) camera-like JPEG with EXIF orientation 6 and a geotag. The pipeline is
`service.domain.imaging.derive` (DCT-scaled decode via draft(), resize, rotate the small image, two JPEGs, phash,
EXIF evidence). The naive path decodes at full size, rotates (exif_transpose), makes both sizes with LANCZOS from
the full image and saves the two JPEGs. `isolated` is the pipeline as the photo job runs it, in a forked child
process with a memory limit (`derive_isolated`): its cost over `pipeline` is the fork and the pickled result.
Rounds alternate the paths so machine noise hits them alike; the ratio of medians is what to read. Peak memory:
the rise of the caller's peak RSS over one photo, in a fresh process.
"""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageOps

from service.domain import imaging
from service.settings import Settings
from tests.images import camera_exif, jpeg

MAX_PIXELS = Settings.photo_max_pixels
MAX_EDGE, DECODE_MEMORY = Settings.photo_max_edge, Settings.photo_decode_memory
TARGET_RATIO = 2.5


def pipeline(data: bytes) -> None:
    imaging.derive(io.BytesIO(data), "image/jpeg", MAX_PIXELS)


def isolated(data: bytes) -> None:
    imaging.derive_isolated(io.BytesIO(data), "image/jpeg", MAX_PIXELS, MAX_EDGE, DECODE_MEMORY)


def naive(data: bytes) -> None:
    image = Image.open(io.BytesIO(data))
    image.load()
    upright = ImageOps.exif_transpose(image)
    for edge in (imaging.DISPLAY_EDGE, imaging.THUMB_EDGE):
        small = upright.resize(imaging._fit(upright.size, edge), Image.Resampling.LANCZOS)
        small.save(io.BytesIO(), "JPEG", quality=85)


PATHS = {"pipeline": pipeline, "isolated": isolated, "naive": naive}


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def peak_rise(path: Path, name: str) -> float:
    """MB the peak RSS rises by while one photo goes through `name`, in a new process (Linux: the peak is reset
    through /proc/self/clear_refs first, since a forked child inherits its parent's peak)."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.photos", "--peak", str(path), name], capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip())


def _measure_peak(path: str, name: str) -> None:
    data = Path(path).read_bytes()
    PATHS[name](data)  # once to warm the code paths and allocator, so the measured run is the steady state
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # reset the peak RSS to the current RSS
    before = _status_kb("VmRSS")
    PATHS[name](data)
    print((_status_kb("VmHWM") - before) / 1024)


def main(rounds: int = 15) -> None:
    data = jpeg(4000, 3000, exif=camera_exif(lat=-7.9557, lon=113.0876, orientation=6), quality=90)
    print(f"input: 4000x3000 JPEG, {len(data) / 2**20:.1f} MB, orientation 6; {rounds} alternating rounds")
    times = {name: [] for name in PATHS}
    for name in PATHS:  # warm-up
        PATHS[name](data)
    for _ in range(rounds):
        for name, run in PATHS.items():
            began = time.perf_counter()
            run(data)
            times[name].append(time.perf_counter() - began)
    median = {name: statistics.median(values) for name, values in times.items()}
    ratio = median["naive"] / median["pipeline"]
    for name in PATHS:
        print(f"{name:9s} {1 / median[name]:6.1f} photos/s  (median {median[name] * 1000:6.1f} ms)")
    verdict = "meets" if ratio >= TARGET_RATIO else "BELOW"
    print(f"ratio pipeline/naive: {ratio:.2f}x ({verdict} the {TARGET_RATIO}x target)")
    isolated_ratio = median["naive"] / median["isolated"]
    verdict = "meets" if isolated_ratio >= TARGET_RATIO else "BELOW"
    print(f"ratio isolated/naive: {isolated_ratio:.2f}x ({verdict} the {TARGET_RATIO}x target)")
    fork_ms = (median["isolated"] - median["pipeline"]) * 1000
    print(f"cost of the child process: {fork_ms:+.1f} ms a photo ({median['isolated'] / median['pipeline']:.2f}x)")
    with tempfile.NamedTemporaryFile(suffix=".jpg") as file:
        file.write(data)
        file.flush()
        for name in PATHS:
            print(
                f"peak memory rise of the caller for one 12 MP photo, {name}: {peak_rise(Path(file.name), name):.0f} MB"
            )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--peak"]:
        _measure_peak(sys.argv[2], sys.argv[3])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
