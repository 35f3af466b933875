"""Alembic environment: URL from the settings (or the caller's config), batch mode on SQLite."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from service.db import UTCDateTime, make_engine
from service.models import Base
from service.settings import Settings

config = context.config
if config.config_file_name and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

url = config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url


def render_item(type_, obj, autogen_context):
    # Migrations must not import our TypeDecorator: render its storage type instead.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=Base.metadata,
        compare_type=True,
        render_as_batch=url.startswith("sqlite"),
        render_item=render_item,
        **kwargs,
    )


if context.is_offline_mode():
    _configure(url=url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = make_engine(url)
    with engine.connect() as connection:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
