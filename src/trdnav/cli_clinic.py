"""``trdnav serve`` and ``trdnav users add``: running the clinic app and making its accounts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from trdnav.cli_support import EXIT_BAD_INPUT, _console, _fail

users_app = typer.Typer(help="Clinic app accounts.", no_args_is_help=True)

DataOption = Annotated[
    Path | None,
    typer.Option("--data", help="Data folder (database, secret key); default TRDNAV_DATA_DIR or ./trdnav-data."),
]


def _settings(data: Path | None):  # type: ignore[no-untyped-def]
    from trdnav.clinic.settings import Settings, SettingsError

    try:
        return Settings.from_env(data)
    except SettingsError as exc:
        _fail([str(exc)], EXIT_BAD_INPUT)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    data: DataOption = None,
    demo: Annotated[bool, typer.Option("--demo", help="Load the example patients and a demo account.")] = False,
) -> None:
    """Run the clinic web app (SQLite in the data folder, or TRDNAV_DATABASE_URL)."""
    import uvicorn

    from trdnav.clinic.app import create_app

    settings = _settings(data)
    app = create_app(settings)
    if demo:
        from trdnav.clinic.demo import load_demo

        password = load_demo(app)
        out = _console()
        out.print(f"demo data loaded; log in as 'demo' with password {password}" if password else "demo data present")
    # the access log would put request paths in the server log: kept off
    uvicorn.run(app, host=host, port=port, access_log=False)


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="The new account's user name.")],
    role: Annotated[str, typer.Option(help="clinician or admin.")] = "clinician",
    data: DataOption = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an account (the password is asked for, twice, unless --password-stdin)."""
    from trdnav.clinic.store.db import make_engine, migrate, session_factory
    from trdnav.clinic.users import add_user

    settings = _settings(data)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine = make_engine(settings.database_url)
    migrate(engine)
    with session_factory(engine)() as session:
        try:
            user = add_user(session, username, password, role)
        except ValueError as exc:
            _fail([str(exc)], EXIT_BAD_INPUT)
    _console().print(f"account {user.username!r} ({user.role}) created")
