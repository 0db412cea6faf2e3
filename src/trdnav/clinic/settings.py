"""One validated settings object, read from the environment once, at start-up."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    # cookies only over HTTPS (and on localhost, which browsers treat as secure)
    secure_cookies: bool = True
    session_hours: int = 8
    # the address patients reach the app at (behind a proxy it differs from the request's own);
    # self-report links are made from it, never from the request's Host header
    public_url: str | None = None

    @classmethod
    def from_env(cls, data_dir: Path | None = None) -> Settings:
        """TRDNAV_DATA_DIR (default ./trdnav-data), TRDNAV_DATABASE_URL (default SQLite in the data
        folder), TRDNAV_SECRET_KEY (default: a key kept in the data folder, made on first run)."""
        folder = Path(data_dir or os.environ.get("TRDNAV_DATA_DIR") or "trdnav-data").resolve()
        # a new data folder is its owner's alone: it holds the database and the secret key
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        url = os.environ.get("TRDNAV_DATABASE_URL") or f"sqlite:///{folder / 'trdnav.db'}"
        if not url.startswith(("sqlite:", "postgresql")):
            raise SettingsError(
                f"TRDNAV_DATABASE_URL: got {url.split(':')[0]!r}; expected sqlite:/// or postgresql+psycopg://"
            )
        key = os.environ.get("TRDNAV_SECRET_KEY") or _stored_key(folder)
        if len(key) < 32:
            raise SettingsError("TRDNAV_SECRET_KEY: expected at least 32 characters")
        public = os.environ.get("TRDNAV_PUBLIC_URL") or None
        if public is not None and not public.startswith(("https://", "http://")):
            raise SettingsError(
                f"TRDNAV_PUBLIC_URL: got {public!r}; expected an address such as https://clinic.example.org"
            )
        return cls(folder, url, key, public_url=public.rstrip("/") if public else None)


def _stored_key(folder: Path) -> str:
    path = folder / "secret.key"
    if not path.exists():
        # created owner-only, never readable by others even for a moment
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip()
