#!/bin/sh
# Container roles. api: gunicorn (reached only through the nginx proxy, docker/nginx.conf); worker: RQ without the
# scheduler; scheduler: RQ with it; migrate: the one-off step before them (migrations, then the reference data,
# under one lock so two started at once take turns). api never migrates: replicas starting together would race.
set -e
role=${1:-api}
[ $# -gt 0 ] && shift
case "$role" in
  api)
    exec gunicorn --config gunicorn.conf.py --bind "0.0.0.0:${PORT:-8000}" "$@" wsgi:app
    ;;
  worker)
    exec python -m service worker --no-scheduler "$@"
    ;;
  scheduler)
    # RQ's scheduler runs inside a worker; several may run, RQ elects one holder per queue.
    exec python -m service worker "$@"
    ;;
  migrate)
    exec python -m service migrate --seed "$@"
    ;;
  seed|users)
    exec python -m service "$role" "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
