# syntax=docker/dockerfile:1
# One image; the command picks the role: api (default), worker, scheduler, migrate, seed, users.
# Two stages. build: a wheel of every pinned dependency, each download checked against requirements.txt's hashes
# (anything compiled is compiled here). runtime: the slim base with those wheels installed offline and only the
# files the service runs from: no tests, benchmarks, sample photos or git history (.dockerignore keeps them out
# of the build context too; tests/test_image.py checks both).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY requirements.txt .
RUN pip wheel --require-hashes --wheel-dir /wheels -r requirements.txt

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# libjpeg-turbo's TurboJPEG API: JPEG photos are decoded to planes and encoded from planes through it (PyTurboJPEG).
RUN apt-get update && apt-get install -y --no-install-recommends libturbojpeg0 && rm -rf /var/lib/apt/lists/*
# The wheels are mounted for this one step, not copied: they take no layer of the image. They are exactly the
# locked set, so nothing is looked up anywhere (--no-index).
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels /wheels/*.whl \
    && useradd --system --uid 10001 --no-create-home --home-dir /app sambang
WORKDIR /app
# The code belongs to root and only reads; the service writes to instance/ (a generated key, SQLite) and media/.
COPY service/ service/
COPY migrations/ migrations/
COPY data/ data/
COPY alembic.ini wsgi.py gunicorn.conf.py ./
COPY docker/entrypoint.sh docker/entrypoint.sh
RUN mkdir -p /app/instance /app/media && chown sambang /app/instance /app/media
USER sambang

EXPOSE 8000
# Liveness of the api role (the default; compose turns it off for the roles that serve no HTTP). python, not
# curl: the slim base has no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]
ENTRYPOINT ["docker/entrypoint.sh"]
CMD ["api"]
