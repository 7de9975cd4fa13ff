# syntax=docker/dockerfile:1
#
# One image for the web, worker and beat services of docker-compose.yml.
#   docker build -t turnaround-portal .
# Stage 1 installs the front-end packages (package.json / package-lock.json) that settings.py serves
# from node_modules (STATICFILES_DIRS); stage 2 installs the Python dependencies (pyproject.toml),
# adds the code and runs collectstatic, so the static files, compressed and hashed for WhiteNoise, are
# in the image.

FROM node:20-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund


FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=turnaround.settings \
    STATICFILES_BACKEND=whitenoise.storage.CompressedManifestStaticFilesStorage \
    MEDIA_ROOT=/var/lib/turnaround/media

# Pango and fonts: WeasyPrint draws the evidence pack PDF with them.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# An unprivileged user runs the services; the code and the static files stay owned by root.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /var/lib/turnaround/media \
    && chown app:app /var/lib/turnaround/media

# Dependencies first, from pyproject.toml alone, so that a code change does not reinstall them.
# The project has no packages of its own to install ([tool.setuptools] packages = []).
RUN python -m venv /opt/venv
COPY pyproject.toml /tmp/build/
RUN pip install /tmp/build && rm -rf /tmp/build

WORKDIR /app
COPY --from=assets /assets/node_modules ./node_modules
COPY . .

# static/ may be absent from a checkout (git keeps no empty folder). collectstatic needs a SECRET_KEY
# only to load the settings: this one exists at build time alone and never reaches the running image.
RUN mkdir -p static \
    && chmod 0755 docker/entrypoint.sh \
    && SECRET_KEY=collectstatic-build-only-key python manage.py collectstatic --noinput

USER 10001:10001
EXPOSE 8000

# Runs the migrations before gunicorn (the web service), then hands over to the command.
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["gunicorn", "turnaround.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--worker-tmp-dir", "/dev/shm", "--access-logfile", "-"]
