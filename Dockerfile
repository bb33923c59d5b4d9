# Learnify web service: the ASGI app (HTTP + websockets) under uvicorn, as a non-root user.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so code changes do not reinstall them.
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .

# Static files are collected at build time; DEBUG=False needs a key, which is only a placeholder here.
RUN DEBUG=False SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput -v0 \
 && useradd --create-home --uid 10001 learnify \
 && mkdir -p /app/media /app/var/models \
 && chown -R learnify:learnify /app/media /app/var

USER learnify

ENV DEBUG=False \
    WEB_CONCURRENCY=2 \
    PORT=8000

EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/api/health/', timeout=4).status == 200 else 1)"

# Migrations run as a separate one-off job (see compose.yaml), never from every web process at once.
# The workers keep their Prometheus counts in PROMETHEUS_MULTIPROC_DIR, emptied at every start, so /metrics adds
# up the whole container; only the web service sets it (the scheduler's short-lived commands would leave files).
CMD ["sh", "-c", "export PROMETHEUS_MULTIPROC_DIR=\"${PROMETHEUS_MULTIPROC_DIR:-/tmp/learnify-metrics}\" && rm -rf \"$PROMETHEUS_MULTIPROC_DIR\" && mkdir -p \"$PROMETHEUS_MULTIPROC_DIR\" && exec uvicorn learnify.asgi:application --host 0.0.0.0 --port ${PORT} --workers ${WEB_CONCURRENCY} --lifespan off --proxy-headers --forwarded-allow-ips='*'"]
