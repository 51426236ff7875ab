"""`flask seed-demo` never runs in production; `flask whatsapp bind` routes a number (#16, item 8)."""

from __future__ import annotations

import pytest

from core.models import Organization, User
from core.organizations import find_by_phone_number_id
from core.organizations.demo import DemoRefused, seed_demo
from core.settings import load_settings
from tests.factories import create_org
from web import create_app

PRODUCTION = {"env": "production", "secret_key": "s" * 40, "whatsapp_app_secret": "app-secret",
              "whatsapp_verify_token": "verify-token-xyz", "encryption_key": "k1:" + "A" * 43 + "="}


def _production(pg_settings, **extra):
    return load_settings(database_url=pg_settings.database_url,
                         system_database_url=pg_settings.system_database_url,
                         redis_url=pg_settings.redis_url, log_json=False, **PRODUCTION, **extra)


def test_seed_demo_is_refused_in_production(pg_settings, pg_db):
    result = create_app(_production(pg_settings)).test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "not in production" in result.output
    from core.db import Database

    database = Database(_production(pg_settings))
    try:
        with pytest.raises(DemoRefused):
            seed_demo(database)
    finally:
        database.dispose()
    from sqlalchemy import func, select

    with pg_db.system_session() as s:
        assert s.scalar(select(func.count()).select_from(Organization)) == 0
        assert s.scalar(select(func.count()).select_from(User)) == 0


def test_whatsapp_bind_routes_the_platform_number_to_an_organization(pg_settings, pg_db):
    create_org(pg_db, "Gas Sur", "gas-sur")
    other = create_org(pg_db, "Frío Norte", "frio-norte")
    settings = load_settings(database_url=pg_settings.database_url, env="test",
                             system_database_url=pg_settings.system_database_url,
                             redis_url=pg_settings.redis_url, log_json=False,
                             whatsapp_phone_number_id="123456789012345")
    runner = create_app(settings).test_cli_runner()
    ok = runner.invoke(args=["whatsapp", "bind", "--org", "frio-norte"])
    assert ok.exit_code == 0, ok.output
    assert "123456789012345" in ok.output
    with pg_db.system_session() as s:
        assert find_by_phone_number_id(s, "123456789012345").id == other
    taken = runner.invoke(args=["whatsapp", "bind", "--org", "gas-sur"])
    assert taken.exit_code != 0 and "ya está conectado" in taken.output
    missing = runner.invoke(args=["whatsapp", "bind", "--org", "nadie"])
    assert missing.exit_code != 0 and "no organization 'nadie'" in missing.output
