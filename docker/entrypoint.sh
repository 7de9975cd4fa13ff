#!/bin/sh
# Entrypoint of the turnaround-portal image (Dockerfile). Runs the command it is given; when that
# command is gunicorn (the web service) it first applies the database migrations, so the schema is
# current before a request is served. The worker and beat services do not migrate: exactly one
# service owns the schema.
set -eu

if [ "${1:-}" = "gunicorn" ]; then
    python manage.py migrate --noinput
fi

exec "$@"
