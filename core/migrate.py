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


# Deleting rows is a feature only here (a secret removed, a customer's address or an
# invoice's line replaced); nowhere else, and never an organization or its audit trail.
DELETABLE_TABLES = ("customer_addresses", "invoice_lines", "org_secrets")
SYSTEM_ROLE = "campotech_system"  # the cross-tenant policies of migration 0007 name it


def _grant_app_role(conn, settings: Settings) -> None:
    """The app's roles may read and write rows (under RLS) but never alter the audit trail,
    delete an organization, or delete where deleting is not a feature."""
    owner_role = conn.execute(text("SELECT current_user")).scalar_one()
    roles = {make_url(settings.database_url).username}
    if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": SYSTEM_ROLE}).first():
        roles.add(SYSTEM_ROLE)
    if settings.system_database_url:
        roles.add(make_url(settings.system_database_url).username)
    for name in sorted(r for r in roles if r and r != owner_role):
        role = conn.dialect.identifier_preparer.quote(name)
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {role}"))
        conn.execute(text(f"REVOKE DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public FROM {role}"))
        conn.execute(text(f"GRANT DELETE ON {', '.join(DELETABLE_TABLES)} TO {role}"))
        conn.execute(text(f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries FROM {role}"))
        conn.execute(text(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {role}"))
        conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"))
