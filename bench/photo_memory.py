"""Peak memory of the photo decode: in the calling process (the API or worker) against a confined child process.

    .venv/bin/python -m bench.photo_memory

Inputs: two memory bombs under the 120 MP pixel limit (a 194 KB 1 x 100,000,000 PNG, a 107 KB 10000 x 11000
PNG) and a normal 12 MP camera JPEG. Each runs in a fresh process (`--one MODE FILE`), which reports:
- caller: how far the caller's peak RSS rose over the decode (what the API or worker keeps paying for);
- child: the decoding child's peak RSS (`isolated` only; it includes the caller's pages it shares after fork);
- how it ended and how long it took.
`in-process` is `imaging.derive` in the caller, as before; `isolated` is `imaging.derive_isolated`, the way
the photo job runs it: in a forked child with an address-space limit (PHOTO_DECODE_MEMORY_MB, default 1024).
"""

from __future__ import annotations

import io
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from service.domain import imaging
from service.settings import Settings
from tests.images import blank_png, camera_exif, jpeg

SETTINGS = Settings()
INPUTS = {
    "1 x 100,000,000 PNG": ("image/png", lambda: blank_png(1, 100_000_000)),
    "10000 x 11000 PNG": ("image/png", lambda: blank_png(10_000, 11_000)),
    "12 MP camera JPEG": ("image/jpeg", lambda: jpeg(4000, 3000, exif=camera_exif(orientation=6), quality=90)),
}


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def _run(mode: str, data: bytes, media_type: str) -> str:
    try:
        if mode == "in-process":
            imaging.derive(io.BytesIO(data), media_type, SETTINGS.photo_max_pixels)
        else:
            imaging.derive_isolated(
                io.BytesIO(data),
                media_type,
                SETTINGS.photo_max_pixels,
                getattr(SETTINGS, "photo_max_edge", 20_000),
                getattr(SETTINGS, "photo_decode_memory", 1024 * 2**20),
            )
    except imaging.Rejected as exc:
        return f"rejected: {exc}"
    except MemoryError:
        return "MemoryError in the caller"
    return "ok"


def _one(mode: str, path: str, media_type: str) -> None:
    data = Path(path).read_bytes()
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # reset the peak RSS to the current RSS
    before = _status_kb("VmRSS")
    began = time.perf_counter()
    outcome = _run(mode, data, media_type)
    took = time.perf_counter() - began
    caller = (_status_kb("VmHWM") - before) / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{caller:.0f}\t{child:.0f}\t{before / 1024:.0f}\t{took * 1000:.0f}\t{outcome}")


def main() -> None:
    modes = ["in-process", "isolated"] if hasattr(imaging, "derive_isolated") else ["in-process"]
    print(f"{'input':22s} {'mode':10s} {'caller +MB':>10s} {'child MB':>9s} {'ms':>7s}  outcome")
    for label, (media_type, make) in INPUTS.items():
        with tempfile.NamedTemporaryFile() as file:
            file.write(make())
            file.flush()
            for mode in modes:
                out = subprocess.run(
                    [sys.executable, "-m", "bench.photo_memory", "--one", mode, file.name, media_type],
                    capture_output=True,
                    text=True,
                )
                if out.returncode:
                    print(f"{label:22s} {mode:10s} process died ({out.returncode}): {out.stderr.strip()[-200:]}")
                    continue
                caller, child, base, ms, outcome = out.stdout.strip().split("\t", 4)
                child = f"{child}" if mode == "isolated" else "-"
                print(f"{label:22s} {mode:10s} {caller:>10s} {child:>9s} {ms:>7s}  {outcome[:70]}")
    print(f"(caller's own RSS before the decode: about {base} MB; a forked child shares those pages)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        _one(*sys.argv[2:5])
    else:
        main()
