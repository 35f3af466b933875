"""gunicorn settings for the API: threaded workers, so a slow upload from a weak rural connection ties up one
thread, not a whole worker, and is not killed by the worker timeout (which only checks the worker is alive)."""

import os

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", 2))
threads = int(os.environ.get("GUNICORN_THREADS", 8))
timeout = 120
graceful_timeout = 30
keepalive = 5
accesslog = "-"
