# One image; the command picks the role: api (default), worker, scheduler, migrate, seed.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN useradd --system --uid 10001 --home-dir /app sambang \
    && mkdir -p /app/instance /app/media \
    && chown -R sambang /app/instance /app/media
USER sambang

EXPOSE 8000
ENTRYPOINT ["docker/entrypoint.sh"]
CMD ["api"]
