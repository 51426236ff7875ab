"""`flask audit verify` reports each organization's chain and the first broken link."""

from __future__ import annotations

from core import audit
from tests.conftest import superuser
from tests.factories import create_org
from web import create_app


def test_audit_verify_command(pg_settings, pg_db, postgresql_proc):
    a = create_org(pg_db, "Gas Sur", "gas-sur")
    create_org(pg_db, "Frío Norte", "frio-norte")
    with pg_db.org_session(a) as s:
        for i in range(3):
            audit.record(s, actor="user:1", action="job.status", entity_type="job", entity_id=i)
    runner = create_app(pg_settings).test_cli_runner()

    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "4 entries, chain intact" in ok.output and "1 entries, chain intact" in ok.output

    with superuser(postgresql_proc) as conn:
        conn.execute("UPDATE audit_entries SET actor = 'mallory' WHERE org_id = %s AND seq = 3", (a,))
    broken = runner.invoke(args=["audit", "verify", "--org", "gas-sur"])
    assert broken.exit_code == 1
    assert f"organization {a}: broken at entry #3" in broken.output

    missing = runner.invoke(args=["audit", "verify", "--org", "nadie"])
    assert missing.exit_code != 0 and "no organization 'nadie'" in missing.output


def test_secrets_rotate_command(pg_settings, pg_db):
    import base64
    import os

    from core.settings import load_settings
    from core.vault import Vault

    old = os.urandom(32)
    a = create_org(pg_db, "Cerrajería Uno", "cerrajeria-uno")
    with pg_db.org_session(a) as s:
        Vault({"old": old}).store(s, "whatsapp_token", "EAAG-x")
    new_key = base64.b64encode(os.urandom(32)).decode()
    settings = load_settings(
        env="test", database_url=pg_settings.database_url, redis_url=pg_settings.redis_url,
        system_database_url=pg_settings.system_database_url,
        encryption_key=f"new:{new_key},old:{base64.b64encode(old).decode()}",
    )
    result = create_app(settings).test_cli_runner().invoke(args=["secrets", "rotate"])
    assert result.exit_code == 0 and "re-encrypted 1 secrets with key 'new'" in result.output
    with pg_db.org_session(a) as s:
        assert Vault({"new": base64.b64decode(new_key)}).load(s, "whatsapp_token") == "EAAG-x"
