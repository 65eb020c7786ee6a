FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md manage.py ./
COPY newsletter newsletter
COPY archive archive
COPY templates templates
COPY locale locale
COPY static static
RUN pip install -e . && useradd --create-home app && mkdir staticfiles && chown app staticfiles
USER app

EXPOSE 8000
CMD ["gunicorn", "newsletter.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--preload", "--no-control-socket"]
