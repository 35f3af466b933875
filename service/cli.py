"""Operator commands: migrate, seed, users create, serve."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from service.domain import access
from service.domain import users as users_domain
from service.domain.errors import DomainError
from service.domain.reference import load_reference_data
from service.models import Kecamatan


def _services():
    return current_app.extensions["sambang"]


@click.command("migrate")
@click.option("--seed", is_flag=True, help="Then load the reference data (like `seed`), under the same lock.")
@with_appcontext
def migrate_command(seed: bool):
    """Apply database migrations (alembic upgrade head); several started at once take turns."""
    from alembic import command

    from service.migrate import alembic_config, migration_lock

    services = _services()
    url = services.settings.database_url
    with migration_lock(url):
        command.upgrade(alembic_config(url), "head")
        click.echo("database at head")
        if seed:
            _seed(services, None)


@click.command("seed")
@click.option("--data-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None)
@with_appcontext
def seed_command(data_dir: Path | None):
    """Load reference data (kecamatan, desa, OPD, complaint catalogue) from a folder; safe to run again."""
    _seed(_services(), data_dir)


def _seed(services, data_dir: Path | None) -> None:
    directory = data_dir or services.settings.reference_data_dir
    with services.db.session() as session:
        try:
            report = load_reference_data(session, directory)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
        session.commit()
    for table, counts in report.counts.items():
        click.echo(f"{table}: " + ", ".join(f"{n} {what}" for what, n in counts.items()))


users_group = AppGroup("users", help="Manage users.")


@users_group.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(access.ROLES))
@click.option("--kecamatan", "kecamatan_code", help="kecamatan code, for camat")
@click.option("--desa", "desa_code", help="desa code, for kepala_desa")
@click.option("--opd", "opd_code", help="OPD code, for opd_officer")
@click.option("--display-name", default="")
def create_user_command(username, role, kecamatan_code, desa_code, opd_code, display_name):
    """Create a user; the password is read from standard input (prompted on a terminal)."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    data = dict(
        username=username,
        password=password,
        role=role,
        kecamatan_code=kecamatan_code,
        desa_code=desa_code,
        opd_code=opd_code,
        display_name=display_name,
    )
    with _services().db.session() as session:
        try:
            user = users_domain.create_user(session, access.OPERATOR, data)
        except DomainError as exc:
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in (exc.errors or {}).items())
            raise click.ClickException(f"{exc.message} {detail}".strip()) from None
        session.commit()
        click.echo(f"created user {user.id} {user.username} ({user.role})")


@users_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Say what each line would do; change nothing.")
@click.option(
    "--sheet",
    "sheet_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the printable activation sheets (one HTML page per kecamatan) into this folder.",
)
def import_users_command(file: Path, dry_run: bool, sheet_dir: Path | None):
    """Create or update officials from a CSV or XLSX file (all lines or none); new users get activation codes."""
    from service.domain import user_import

    services = _services()
    with services.db.session() as session:
        try:
            outcome = user_import.import_users(
                session, access.OPERATOR, lambda: (file.read_bytes(), file.name), dry_run=dry_run
            )
        except DomainError as exc:
            lines = (exc.errors or {}).get("lines", {})
            for number, problems in lines.items():
                click.echo(f"line {number}: " + "; ".join(problems), err=True)
            raise click.ClickException(exc.message) from None
        session.commit()
        kecamatan = {code: name for code, name in session.execute(select(Kecamatan.code, Kecamatan.name))}
    for line in outcome.lines:
        said = "; ".join(line.problems or line.changes)
        code = f" code {line.activation_code}" if line.activation_code else ""
        click.echo(f"line {line.line}: {line.username} {line.action}{code}" + (f" ({said})" if said else ""))
    click.echo(", ".join(f"{n} {action}" for action, n in outcome.counts.items()) + ("; dry run" if dry_run else ""))
    if sheet_dir is not None and not dry_run:
        _write_sheets(services, outcome.lines, kecamatan, sheet_dir)


def _write_sheets(services, lines, kecamatan: dict[str, str], directory: Path) -> None:
    from service.web.lembar_aktivasi import sheets

    settings = services.settings
    pages = sheets(lines, kecamatan, f"{settings.public_base_url}/app/aktivasi", settings.regency_name)
    directory.mkdir(parents=True, exist_ok=True)
    for name, html in pages.items():
        (directory / name).write_text(html, encoding="utf-8")
        click.echo(f"sheet {directory / name}")


visits_group = AppGroup("visits", help="The visit rotation.")


@visits_group.command("plan")
@click.option("--program", "program_id", required=True, type=int)
@click.option("--dry-run", is_flag=True, help="Show the plan without saving it.")
def plan_command(program_id: int, dry_run: bool):
    """(Re)plan a program and print it as a table."""
    from service.domain.calendar import today
    from service.domain.visits import plan_program

    with _services().db.session() as session:
        try:
            outcome = plan_program(session, None, program_id, today(), dry_run=dry_run)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
        if not dry_run:
            session.commit()
    click.echo(f"{'date':<22} {'kecamatan':<14} {'status':<10} {'rank':>4} {'score':>6}  reason")
    for v in outcome.visits:
        when = f"{v.date:%a %d %b %Y}" if v.date else "-"
        click.echo(f"{when:<22} {v.kecamatan_name:<14} {v.status:<10} {v.rank:>4} {v.score:>6g}  {v.reason}")
    click.echo(
        f"{outcome.status}, travel {outcome.travel_km} km within months, {outcome.inversions} priority inversion(s)"
        + (f"; does not fit: {', '.join(outcome.unplaced)}" if outcome.unplaced else "")
        + ("; dry run, nothing saved" if dry_run else "; saved")
    )
    click.echo("per month: " + ", ".join(f"{month} {count}" for month, count in outcome.months.items()))
    for warning in outcome.warnings:
        click.echo(f"warning: {warning}")


storage_group = AppGroup("storage", help="Photo storage.")


@storage_group.command("gc")
@click.option("--delete", is_flag=True, help="Remove the orphans (without it: only list them).")
def gc_command(delete: bool):
    """Find stored files no photo or unfinished upload refers to (older than a day); run it daily."""
    from service.db import utcnow
    from service.domain.storage_gc import collect

    services = _services()
    with services.db.session() as session:
        result = collect(session, services.storage, utcnow(), delete=delete)
    for key in result.orphans:
        click.echo(("deleted " if delete else "orphan ") + key)
    click.echo(f"{len(result.orphans)} orphan(s){' deleted' if delete else ''}, {result.kept} kept")


def register(app: Flask) -> None:
    from service.jobs.worker import worker_command
    from service.runner import serve_command

    commands = (migrate_command, seed_command, users_group, visits_group, storage_group, serve_command, worker_command)
    for command in commands:
        app.cli.add_command(command)
