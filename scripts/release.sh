#!/bin/sh
# Run once per deployment, before the web and worker processes start (the compose `release`
# service): apply migrations, then create the first admin from DJANGO_SUPERUSER_USERNAME,
# DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD when they are set. An admin of that
# name already existing is fine; it is left as it is.
set -eu

if [ -n "${DJANGO_SUPERUSER_USERNAME:-}" ] && [ -z "${DJANGO_SUPERUSER_PASSWORD:-}" ]; then
    echo "Set DJANGO_SUPERUSER_PASSWORD too, or unset DJANGO_SUPERUSER_USERNAME." >&2
    exit 1
fi

python manage.py migrate --no-input

if [ -n "${DJANGO_SUPERUSER_USERNAME:-}" ]; then
    if output=$(python manage.py createsuperuser --no-input 2>&1); then
        echo "$output"
    elif echo "$output" | grep -q "already taken"; then
        echo "Admin $DJANGO_SUPERUSER_USERNAME already exists; left as it is."
    else
        echo "$output" >&2
        exit 1
    fi
fi
