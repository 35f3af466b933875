"""gunicorn settings for the API in production: threaded workers behind nginx (docker/nginx.conf), which buffers
each whole request first, so a thread only ever runs a request that has fully arrived. Never expose gunicorn to
phones directly: a gthread thread waits for a slow client's headers and body, and a few dozen slow phones would
hold every thread (`make run` uses waitress, which buffers like nginx)."""

import glob
import os
import tempfile

# Metrics of all workers, summed on /metrics: each writes its files here (a fresh directory per start).
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="sambang-metrics-")

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", 2))
threads = int(os.environ.get("GUNICORN_THREADS", 8))
timeout = 120
graceful_timeout = 30
keepalive = 5
# No access log: the app logs each request itself, with its request id, user and duration (LOG_FORMAT).
accesslog = None


def on_starting(server):
    """Counts from a previous run in a reused directory would be added to this run's."""
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(path)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
