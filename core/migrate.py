"""Apply the Alembic migrations and give the app's role exactly the rights it needs."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, make_url, pool, text

from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def _config(connection) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg


def _owner_url(settings: Settings) -> str:
    return settings.migration_database_url or settings.database_url


def upgrade(settings: Settings, revision: str = "head") -> None:
    url = _owner_url(settings)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.begin() as conn:
        command.upgrade(_config(conn), revision)
        if conn.dialect.name == "postgresql":
            _grant_app_role(conn, settings)
    engine.dispose()


def downgrade(settings: Settings, revision: str = "base") -> None:
    engine = create_engine(_owner_url(settings), poolclass=pool.NullPool)
    with engine.begin() as conn:
        command.downgrade(_config(conn), revision)
    engine.dispose()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return ScriptDirectory.from_config(cfg).get_current_head()


def current_revision(settings: Settings) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(_owner_url(settings), poolclass=pool.NullPool)
    with engine.connect() as conn:
        rev = MigrationContext.configure(conn).get_current_revision()
    engine.dispose()
    return rev


def _grant_app_role(conn, settings: Settings) -> None:
    """The app's role may read and write rows (under RLS) but never alter the audit trail."""
    app_role = make_url(settings.database_url).username
    owner_role = conn.execute(text("SELECT current_user")).scalar_one()
    if not app_role or app_role == owner_role:
        return
    role = conn.dialect.identifier_preparer.quote(app_role)
    conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
    conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))
    conn.execute(text(f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries FROM {role}"))
    conn.execute(text(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {role}"))
    conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"))
