"""How many normal requests are answered, and how fast, while N slow clients hold connections: the old serving
(gunicorn gthread facing the clients) against `make run`'s server (waitress) and the compose file's nginx in front
of gunicorn (when nginx is installed).

    .venv/bin/python -m bench.slow_clients [N ...]      (default: 0 20 50 200)

Slow clients (tests/serving/crowd.py), a third of each: a header line every 2 s; a body at 1 KB/s (half of them
signed in); half the headers, then silence. They come from 127.0.0.2-21, the normal client from 127.0.0.1. The
normal client sends 20 sequential requests (GET /healthz and a signed-in GET /api/v1/me, alternating), each given
3 s, all within 30 s; unanswered ones count as lost. Loopback only; every loop is bounded.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from tests.serving import crowd

REQUESTS, TIMEOUT, BUDGET, SETTLE = 20, 3.0, 30.0, 3.0


def measure(port: int, token: str, count: int) -> crowd.Probe:
    with crowd.Crowd(port, count, token):
        time.sleep(SETTLE if count else 0)
        return crowd.probe(port, token, count=REQUESTS, timeout=TIMEOUT, budget=BUDGET)


def run_config(name: str, start, counts: list[int], tmp: Path, database_url: str) -> dict[int, crowd.Probe]:
    processes = []
    with (tmp / f"{name.split(':')[0].replace(' ', '-')}.log").open("w") as log:
        try:
            port = start(processes, log)
            token = crowd.sign_in(port)
            results = {}
            for count in counts:
                results[count] = measure(port, token, count)
                print(f"  {name:<22} N={count:<4} answered {results[count].answered}/{REQUESTS}", flush=True)
            return results
        finally:
            for process in reversed(processes):
                crowd.stop(process)


def ms(value: float) -> str:
    return f">{TIMEOUT * 1000:.0f}" if value == float("inf") else f"{value * 1000:.0f}"


def percentile(probe: crowd.Probe, p: float) -> float:
    """Over every request sent: an unanswered one counts as slower than its timeout."""
    times = sorted(probe.latencies + [float("inf")] * (probe.sent - probe.answered))
    return times[min(len(times) - 1, round(p / 100 * (len(times) - 1)))]


def main(counts: list[int]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-slow-"))
    database_url = crowd.prepare_database(tmp)

    def old(processes, log):
        port = crowd.free_port()
        processes.append(crowd.start_gunicorn(tmp, database_url, port, log=log))
        return port

    def make_run(processes, log):
        port = crowd.free_port()
        processes.append(crowd.start_make_run_server(tmp, database_url, port, log=log))
        return port

    def nginx(processes, log):
        upstream, port = crowd.free_port(), crowd.free_port()
        processes.append(crowd.start_gunicorn(tmp, database_url, upstream, log=log))
        processes.append(crowd.start_nginx(tmp, port, upstream, log=log))
        return port

    configs = {"old: gunicorn gthread": old, "make run: waitress": make_run}
    if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
        configs["nginx + gunicorn"] = nginx
    else:
        print(f"(skipping nginx + gunicorn: {crowd.NGINX_MISSING})")
    results = {name: run_config(name, start, counts, tmp, database_url) for name, start in configs.items()}

    baseline = results["old: gunicorn gthread"]
    print(f"\nnormal requests answered (of {REQUESTS}, {TIMEOUT:.0f} s each) and p50/p99 latency in ms (an unanswered")
    print("request counts as slower than its timeout), by slow clients N; last column: answered, new setups / old")
    header = f"{'N':>4} | " + " | ".join(f"{name:^28}" for name in results) + " | answered vs old"
    print(header)
    print("-" * len(header))
    for count in counts:
        cells = []
        for probe in (results[name][count] for name in results):
            p50, p99 = ms(percentile(probe, 50)), ms(percentile(probe, 99))
            cells.append(f"{probe.answered:>3}/{REQUESTS}  p50 {p50:>5}  p99 {p99:>5}")
        old_answered = baseline[count].answered
        ratios = []
        for name in list(results)[1:]:
            new = results[name][count].answered
            ratios.append(f"{new / old_answered:.1f}x" if old_answered else ("all vs none" if new else "none"))
        print(f"{count:>4} | " + " | ".join(f"{cell:^28}" for cell in cells) + " | " + ", ".join(ratios))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [0, 20, 50, 200])
