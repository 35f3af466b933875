"""gunicorn settings for the API in production: threaded workers behind nginx (docker/nginx.conf), which buffers
each whole request first, so a thread only ever runs a request that has fully arrived. Never expose gunicorn to
phones directly: a gthread thread waits for a slow client's headers and body, and a few dozen slow phones would
hold every thread (`make run` uses waitress, which buffers like nginx)."""

import os

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", 2))
threads = int(os.environ.get("GUNICORN_THREADS", 8))
timeout = 120
graceful_timeout = 30
keepalive = 5
accesslog = "-"
