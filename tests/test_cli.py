"""Operator commands: users create (password from stdin) and seed."""

from __future__ import annotations

import io
import os

from sqlalchemy import select

from service.domain.passwords import verify_password
from service.models import User


def test_users_create_reads_the_password_from_stdin(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "camat.tiris", "--role", "camat", "--kecamatan", "35.13.07"],
        input="s3cret-password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.username == "camat.tiris"))
    assert user.kecamatan_code == "35.13.07" and verify_password(user.password_hash, "s3cret-password")
    login = app.test_client().post(
        "/api/v1/auth/login", json={"username": "camat.tiris", "password": "s3cret-password"}
    )
    assert login.status_code == 200


def test_users_create_explains_what_is_wrong(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "kades", "--role", "kepala_desa"], input="pohon-mangga-9\n"
    )
    assert result.exit_code != 0
    assert "desa_code" in result.output and "Required for role 'kepala_desa'" in result.output


def test_users_create_applies_the_password_rules(app):
    result = app.test_cli_runner().invoke(args=["users", "create", "kantor", "--role", "admin"], input="pw123456\n")
    assert result.exit_code != 0 and "At least 10 characters." in result.output


def test_seed_command_reports_nothing_changed(app):
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "kecamatan: 0 inserted, 0 updated, 24 unchanged" in result.output


def test_visits_plan_prints_the_rotation(app, db):
    import datetime as dt

    from service.models import Program

    program = Program(
        name="2025", start_date=dt.date(2025, 4, 16), end_date=dt.date(2025, 12, 31), first_kecamatan_code="35.13.02"
    )
    db.add(program)
    db.commit()
    result = app.test_cli_runner().invoke(args=["visits", "plan", "--program", str(program.id), "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].startswith("Wed 16 Apr 2025") and "Sumber" in lines[1] and "pinned first" in lines[1]
    assert "dry run, nothing saved" in lines[25]
    assert lines[26] == "per month: " + ", ".join(f"2025-{m:02d} 3" for m in range(4, 12))
    assert lines[27].startswith("warning: 24 visit(s) fall before today") and len(lines) == 28


def test_storage_gc_lists_then_deletes(app, services):
    services.storage.put("originals/r1/nobody-names-this", io.BytesIO(b"x"))
    runner = app.test_cli_runner()
    assert "0 orphan(s)" in runner.invoke(args=["storage", "gc"]).output, "too young to judge"
    path = services.storage.path("originals/r1/nobody-names-this")
    os.utime(path, (0, 0))  # written in 1970
    listed = runner.invoke(args=["storage", "gc"]).output
    assert "orphan originals/r1/nobody-names-this" in listed and path.exists()
    deleted = runner.invoke(args=["storage", "gc", "--delete"]).output
    assert "1 orphan(s) deleted" in deleted and not path.exists()
