FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.production
WORKDIR /app
# Pango lays out the text of PDF exports (WeasyPrint); gettext compiles the translations.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    gettext \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
COPY config ./config
COPY core ./core
COPY incidents ./incidents
COPY postmortems ./postmortems
COPY actions ./actions
COPY outbox ./outbox
COPY notifications ./notifications
RUN pip install --no-cache-dir .
COPY . .
# Collecting static files and compiling the translations need settings but no real secret or
# database.
RUN DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=localhost \
    sh -c "python manage.py collectstatic --no-input && python manage.py compilemessages"

RUN useradd --create-home hindsight
USER hindsight
EXPOSE 8000
# Workers, timeouts and logs: config/gunicorn.py, each settable from the environment.
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi"]
