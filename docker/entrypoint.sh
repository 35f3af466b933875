#!/bin/sh
# Container roles. api: migrate, seed, then gunicorn (reached only through the nginx proxy, docker/nginx.conf);
# worker/scheduler: RQ with the scheduler.
set -e
role=${1:-api}
[ $# -gt 0 ] && shift
case "$role" in
  api)
    python -m service migrate
    python -m service seed
    exec gunicorn --config gunicorn.conf.py --bind "0.0.0.0:${PORT:-8000}" "$@" wsgi:app
    ;;
  worker)
    exec python -m service worker --no-scheduler "$@"
    ;;
  scheduler)
    # RQ's scheduler runs inside a worker; several may run, RQ elects one holder per queue.
    exec python -m service worker "$@"
    ;;
  migrate|seed|users)
    exec python -m service "$role" "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
