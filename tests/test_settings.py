"""The settings module: production checks and the embedded defaults."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, **env):
    # The browser tests' session fixture sets DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy warns about.
    skip = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {k: v for k, v in os.environ.items() if k not in skip}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


def test_check_deploy_is_clean_for_an_https_deployment():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        PUBLIC_BASE_URL="https://images.example.com",
        SECRET_KEY="x" * 60 + "production-secret-value",
        EMAIL_URL="smtp+tls://mailer:secret@smtp.example.com:587",
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_the_embedded_database_is_sqlite_in_wal_mode(tmp_path):
    code = (
        "from django.db import connection; c = connection.cursor(); c.execute('PRAGMA journal_mode');"
        "print(c.fetchone()[0])"
    )
    result = manage("shell", "-c", code, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "wal"


def test_find_python_picks_312_or_newer():
    found = subprocess.run(["bin/find-python"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    version = subprocess.run(
        [found, "-c", "import sys; print(sys.version_info[:2] >= (3, 12))"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert version == "True"
