"""`trdnav users add`, the demo loader, and the settings object."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from conftest import PASSWORD, login
from trdnav.cli import app as cli
from trdnav.clinic.app import create_app
from trdnav.clinic.demo import EXAMPLES, load_demo
from trdnav.clinic.settings import Settings, SettingsError
from trdnav.clinic.store.models import Patient, StoredAssessment, User
from trdnav.clinic.users import add_user

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "records" / "01-two-ssri-failures.json"


def test_users_add_creates_an_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("TRDNAV_DATABASE_URL", raising=False)
    made = runner.invoke(
        cli, ["users", "add", "dr-a", "--role", "admin", "--data", str(tmp_path), "--password-stdin"],
        input="a long enough password\n",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "account 'dr-a' (admin) created" in made.stdout
    again = runner.invoke(
        cli, ["users", "add", "dr-a", "--data", str(tmp_path), "--password-stdin"], input="another long password\n"
    )
    assert again.exit_code == 2 and "is taken" in again.output
    short = runner.invoke(cli, ["users", "add", "dr-b", "--data", str(tmp_path), "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "at least 10 characters" in short.output
    role = runner.invoke(
        cli, ["users", "add", "dr-c", "--role", "king", "--data", str(tmp_path), "--password-stdin"],
        input="a long enough password\n",
    )  # fmt: skip
    assert role.exit_code == 2 and "role: got 'king'" in role.output


def test_the_demo_loads_every_example_once(app: FastAPI):
    password = load_demo(app)
    assert password and len(password) >= 12
    examples = len(list(EXAMPLES.glob("*.json")))
    with app.state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == examples
        assert session.scalar(select(func.count()).select_from(StoredAssessment)) == examples
        assert session.scalar(select(User).where(User.username == "demo")).role == "clinician"
    assert load_demo(app) is None


def test_settings_make_a_private_secret_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name in ("TRDNAV_DATABASE_URL", "TRDNAV_SECRET_KEY", "TRDNAV_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env(tmp_path / "data")
    key = tmp_path / "data" / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert settings.secret_key == key.read_text().strip()
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'trdnav.db'}"
    assert Settings.from_env(tmp_path / "data").secret_key == settings.secret_key
    # the folder and the SQLite file (patient records) are the owner's alone
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    create_app(settings).state.engine.dispose()
    assert stat.S_IMODE((tmp_path / "data" / "trdnav.db").stat().st_mode) == 0o600


def test_settings_refuse_an_unknown_database_and_a_short_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TRDNAV_DATABASE_URL", "mysql://x")
    with pytest.raises(SettingsError, match="TRDNAV_DATABASE_URL"):
        Settings.from_env(tmp_path)
    monkeypatch.delenv("TRDNAV_DATABASE_URL")
    monkeypatch.setenv("TRDNAV_SECRET_KEY", "short")
    with pytest.raises(SettingsError, match="at least 32 characters"):
        Settings.from_env(tmp_path)


def test_self_report_links_use_the_public_address_not_the_host_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TRDNAV_PUBLIC_URL", "https://clinic.example.org/")
    monkeypatch.setenv("TRDNAV_SECRET_KEY", "k" * 48)
    monkeypatch.delenv("TRDNAV_DATABASE_URL", raising=False)
    settings = Settings.from_env(tmp_path)
    assert settings.public_url == "https://clinic.example.org"
    app = create_app(settings)
    with app.state.sessions() as session:
        add_user(session, "clin", PASSWORD, "clinician")
    with TestClient(app, base_url="https://internal:8000", follow_redirects=False) as client:
        csrf = login(client)
        created = client.post(
            "/patients/new",
            data={"record_json": EXAMPLE.read_text(), "csrf_token": csrf},
            headers={"host": "evil.test"},
        )
        patient_id = created.headers["location"].rsplit("/", 1)[1]
        page = client.post(
            f"/patients/{patient_id}/self-report",
            data={"instrument": "phq9", "csrf_token": csrf},
            headers={"host": "evil.test"},
        )
        assert 'value="https://clinic.example.org/r/' in page.text and "evil.test" not in page.text
    app.state.engine.dispose()
    monkeypatch.setenv("TRDNAV_PUBLIC_URL", "clinic.example.org")
    with pytest.raises(SettingsError, match="TRDNAV_PUBLIC_URL"):
        Settings.from_env(tmp_path)
