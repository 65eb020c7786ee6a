"""docker-compose.yml, the Dockerfile and .env.example agree with each other and the settings.

There is no Docker engine here, so the files are checked for consistency rather than run."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def env_example():
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def test_database_waits_for_a_healthy_postgresql():
    services = compose()["services"]
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert services["web"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_web_migrates_collects_static_and_runs_gunicorn():
    command = compose()["services"]["web"]["command"]
    assert command.index("migrate") < command.index("collectstatic") < command.index("gunicorn")
    assert "gunicorn newsletter.wsgi" in command
    dockerfile = (ROOT / "Dockerfile").read_text()
    for folder in ["newsletter", "archive", "templates", "static", "locale"]:
        assert f"COPY {folder} {folder}" in dockerfile


def test_env_example_matches_the_services_and_holds_no_secret():
    services = compose()["services"]
    env_files = [entry["path"] for entry in services["web"]["env_file"]]
    assert env_files[0] == ".env.example"
    env = env_example()
    database = urlsplit(env["DATABASE_URL"])
    db = services["db"]["environment"]
    assert database.hostname in services
    assert (database.username, database.password, database.path.lstrip("/")) == (
        db["POSTGRES_USER"],
        db["POSTGRES_PASSWORD"],
        db["POSTGRES_DB"],
    )
    assert urlsplit(env["REDIS_URL"]).hostname in services
    assert env["SECRET_KEY"].startswith("replace-me")


def test_every_variable_in_env_example_is_read_by_the_settings():
    source = (ROOT / "newsletter" / "settings.py").read_text()
    read = set(re.findall(r'env_\w+\("([A-Z_]+)"', source))
    assert set(env_example()) <= read


def test_the_checker_runs_check_links_after_the_web_service_has_migrated():
    services = compose()["services"]
    checker = services["checker"]
    assert "manage.py check_links" in checker["command"]
    assert checker["depends_on"]["web"]["condition"] == "service_healthy"
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert [entry["path"] for entry in checker["env_file"]] == [
        entry["path"] for entry in services["web"]["env_file"]
    ]


def test_the_worker_runs_the_task_queue_after_the_web_service_has_migrated():
    services = compose()["services"]
    worker = services["worker"]
    assert "manage.py db_worker" in worker["command"]
    assert worker["depends_on"]["web"]["condition"] == "service_healthy"
    assert worker["restart"] == "unless-stopped"
    assert [entry["path"] for entry in worker["env_file"]] == [
        entry["path"] for entry in services["web"]["env_file"]
    ]
    assert env_example()["EMAIL_URL"] == "console://"
