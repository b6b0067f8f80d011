# One image for web, worker and beat (see docker-compose.yml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TSUMUGI_VAR_DIR=/app/var

# WeasyPrint draws PDFs with Pango/HarfBuzz; the Japanese fonts ship in static/fonts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libjpeg62-turbo fontconfig \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them: exactly the versions and
# hashes of uv.lock (pip refuses any file whose hash differs).
COPY pyproject.toml uv.lock ./
RUN pip install "uv>=0.9" \
    && uv export --frozen --no-dev --no-emit-project --format requirements-txt -o /tmp/requirements.txt \
    && pip install --require-hashes --no-deps -r /tmp/requirements.txt \
    && pip uninstall -y uv \
    && rm /tmp/requirements.txt

COPY . .
RUN useradd --system --home-dir /app --shell /usr/sbin/nologin tsumugi \
    && mkdir -p /app/var \
    && chown -R tsumugi:tsumugi /app/var
USER tsumugi

EXPOSE 8000
CMD ["gunicorn", "tsumugi.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
