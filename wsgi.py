"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import os

from service import create_app, metrics

app = create_app()
metrics.mark_process("api")  # a series of its own on /metrics while this server process lives

if os.environ.get("INLINE_SWEEPER") == "1" and app.extensions["sambang"].redis is None:
    from service.jobs.sweep import start_inline_sweeper

    start_inline_sweeper(app.extensions["sambang"])
