"""Running Alembic migrations from code (commands, tests) with the URL from the settings."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from service.settings import PROJECT_DIR


def alembic_config(url: str) -> Config:
    cfg = Config(str(PROJECT_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_DIR / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)
