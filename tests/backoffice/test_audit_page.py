"""The audit page: the organization's own trail, newest first, filters, and the chain check."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from backoffice.display import zone
from core import audit, customers
from core.models import AuditEntry, Customer, Job, Organization, Role
from tests.backoffice.conftest import post, seed_shop
from tests.conftest import superuser
from tests.factories import create_org

EVIL = '<script>alert("hola")</script>'


def _entries(html: str) -> list[str]:
    """Each audit row's HTML, in page order."""
    return re.findall(r'<li class="card audit-entry" id="registro-\d+">(.*?)</li>', html, re.DOTALL)


def _seqs(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="registro-(\d+)"', html)]


def _count(db, org_id: int) -> int:
    with db.org_session(org_id) as s:
        return s.scalar(select(func.count()).select_from(AuditEntry))


def _marta(db, org_id: int) -> Customer:
    with db.org_session(org_id) as s:
        return s.scalar(select(Customer).where(Customer.name == "Marta García"))


def _today(db, org_id: int):
    with db.org_session(org_id) as s:
        tz = zone(s.get(Organization, org_id).time_zone)
    return datetime.now(UTC).astimezone(tz).date()


def test_the_trail_is_listed_newest_first_with_the_chain_intact(signed_in, shop, pg_db):
    owner = shop.users[Role.OWNER]
    with pg_db.org_session(shop.org_id) as s:
        audit.record(s, actor=f"user:{owner}", action="invoice.retry", entity_type="invoice",
                     entity_id=shop.pending, data={"status": {"from": "rejected", "to": "pending"}})
    total = _count(pg_db, shop.org_id)

    html = signed_in(Role.OWNER).get("/app/audit").get_data(as_text=True)

    assert f"La cadena está íntegra: {total} registros verificados ✓" in html
    seqs = _seqs(html)
    assert seqs == sorted(seqs, reverse=True) and seqs[0] == total
    newest = _entries(html)[0]
    assert "Pidió reintentar con AFIP" in newest
    assert "Roberto Ramos" in newest  # "user:N" shown as the person's name
    assert f'href="/app/invoices/{shop.pending}"' in newest
    assert "Estado: rechazada por AFIP → esperando a AFIP" in newest
    with pg_db.org_session(shop.org_id) as s:
        job = s.scalar(select(Job))
    job_rows = [e for e in _entries(html) if "Creó el trabajo" in e]
    assert len(job_rows) == 1
    assert f'href="/app/jobs/{job.id}">Trabajo #{job.number}</a>' in job_rows[0]
    assert "CampoTech (automático)" in job_rows[0]  # the seed created it as "system"


def test_filters_by_entity_actor_action_and_local_dates(signed_in, shop, pg_db):
    admin = shop.users[Role.ADMIN]
    marta = _marta(pg_db, shop.org_id)
    with pg_db.org_session(shop.org_id) as s:
        customers.update_customer(s, marta.id, {"notes": "timbre roto, golpear"}, actor=f"user:{admin}")
        audit.record(s, actor="whatsapp:5491166660001", action="conversation.take_over",
                     entity_type="conversation", entity_id=shop.marta_chat)
    client = signed_in(Role.ADMIN)

    html = client.get(f"/app/audit?entity=customer&entity_id={marta.id}").get_data(as_text=True)
    rows = _entries(html)
    assert len(rows) == 2  # created, then updated
    assert all(f'href="/app/customers/{marta.id}">Cliente: Marta García</a>' in r for r in rows)
    assert "Modificó el cliente" in rows[0] and "Ana Admin" in rows[0]

    rows = _entries(client.get(f"/app/audit?actor=user:{admin}").get_data(as_text=True))
    assert len(rows) == 1 and "Modificó el cliente" in rows[0]

    rows = _entries(client.get("/app/audit?actor=whatsapp").get_data(as_text=True))
    assert len(rows) == 1 and "Marta García" in rows[0]  # by name, not by number

    html = client.get("/app/audit?entity=job&entity_id=%231").get_data(as_text=True)
    assert len(_entries(html)) == 1 and "Creó el trabajo" in html

    rows = _entries(client.get("/app/audit?action=user.create").get_data(as_text=True))
    assert len(rows) == 5 and all("Alta de usuario" in r for r in rows)

    today = _today(pg_db, shop.org_id)
    everything = _count(pg_db, shop.org_id)
    assert len(_entries(client.get(f"/app/audit?from={today}&to={today}").get_data(as_text=True))) == everything
    html = client.get(f"/app/audit?to={today - timedelta(days=1)}").get_data(as_text=True)
    assert _entries(html) == [] and "No hay registros con esos filtros." in html
    assert _entries(client.get(f"/app/audit?from={today + timedelta(days=1)}").get_data(as_text=True)) == []


def test_bad_filters_get_a_spanish_error(signed_in, shop):
    client = signed_in(Role.OWNER)
    cases = {
        "from=31/02/2026": "Esa fecha no es válida: escribila como dd/mm/aaaa, por ejemplo 24/11/2026.",
        "from=2026-12-31&to=2026-12-01": "La fecha «hasta» es anterior a «desde».",
        "actor=user:999999": "Esa persona no figura en la auditoría.",
        "action=job.teleported": "Esa acción no figura en la auditoría.",
        "entity_id=12": "Elegí de qué es ese número (trabajo, cliente, factura…).",
        "entity=job&entity_id=doce": "El número de trabajo va sin letras, por ejemplo 12.",
    }
    for query, message in cases.items():
        response = client.get(f"/app/audit?{query}")
        assert response.status_code == 200, query
        html = response.get_data(as_text=True)
        assert message in html, query
        assert _entries(html), query  # the unfiltered trail is still there


def test_a_tampered_entry_shows_the_broken_chain_alert(signed_in, shop, pg_db, postgresql_proc):
    with superuser(postgresql_proc) as conn:
        conn.execute("UPDATE audit_entries SET actor = 'user:9999' WHERE org_id = %s AND seq = 3",
                     (shop.org_id,))

    html = signed_in(Role.OWNER).get("/app/audit").get_data(as_text=True)

    assert "La cadena está íntegra" not in html
    alert = re.search(r'<div class="error" id="chain-status" role="alert">(.*?)</div>', html, re.DOTALL).group(1)
    assert "registro #3" in alert
    assert "alguien modificó o borró registros por fuera de CampoTech" in alert
    assert "el contenido de ese registro no coincide con su huella" in alert


def test_new_entries_are_checked_on_each_visit_and_the_whole_chain_on_demand(
        signed_in, shop, pg_db, postgresql_proc, redisdb):
    owner = signed_in(Role.OWNER)
    assert "La cadena está íntegra" in owner.get("/app/audit").get_data(as_text=True)
    seen = _count(pg_db, shop.org_id)
    with pg_db.org_session(shop.org_id) as s:
        customers.create_customer(s, {"name": "Lucía Fernández", "phone": "+5491144440101"})

    # An entry written after the last visit is re-hashed on the next one.
    with superuser(postgresql_proc) as conn:
        original = conn.execute("SELECT actor FROM audit_entries WHERE org_id = %s AND seq = %s",
                                (shop.org_id, seen + 1)).fetchone()[0]
        conn.execute("UPDATE audit_entries SET actor = 'user:9999' WHERE org_id = %s AND seq = %s",
                     (shop.org_id, seen + 1))
    assert f"alterada en el registro #{seen + 1}" in owner.get("/app/audit").get_data(as_text=True)
    with superuser(postgresql_proc) as conn:
        conn.execute("UPDATE audit_entries SET actor = %s WHERE org_id = %s AND seq = %s",
                     (original, shop.org_id, seen + 1))  # put back: intact again
    assert "La cadena está íntegra" in owner.get("/app/audit").get_data(as_text=True)

    # An old entry changed later: a visit only re-hashes what is new, the full walk finds it.
    with superuser(postgresql_proc) as conn:
        conn.execute("UPDATE audit_entries SET actor = 'user:9999' WHERE org_id = %s AND seq = 2",
                     (shop.org_id,))
    assert "La revisamos entera todas las noches" in owner.get("/app/audit").get_data(as_text=True)
    response = post(owner, "/app/audit/verify")
    assert response.headers["Location"] == "/app/audit?verificada=1"
    assert "alterada en el registro #2" in owner.get("/app/audit").get_data(as_text=True)


def test_a_deleted_entry_is_named_as_missing(signed_in, shop, pg_db, postgresql_proc):
    last = _count(pg_db, shop.org_id)
    with superuser(postgresql_proc) as conn:
        conn.execute("DELETE FROM audit_entries WHERE org_id = %s AND seq = %s", (shop.org_id, last))

    html = signed_in(Role.ADMIN).get("/app/audit").get_data(as_text=True)

    assert f"La auditoría fue alterada en el registro #{last}" in html
    assert "falta ese registro: alguien lo borró" in html


def test_another_organizations_entries_never_appear(signed_in, shop, pg_db):
    other = create_org(pg_db, "Gasista Ferreyra", "gasista-ferreyra")
    with pg_db.org_session(other) as s:
        theirs = customers.create_customer(s, {"name": "Cliente De Ferreyra", "phone": "+5491177770001"},
                                           actor="user:424242")
        audit.record(s, actor="system", action="invoice.retry", entity_type="invoice",
                     entity_id=shop.pending, data={"nota": "secreto de Ferreyra"})
    client = signed_in(Role.OWNER)

    html = client.get("/app/audit").get_data(as_text=True)
    assert "Ferreyra" not in html and "secreto" not in html
    assert f"{_count(pg_db, shop.org_id)} registros verificados" in html
    # Not by filtering for their ids either.
    html = client.get(f"/app/audit?entity=customer&entity_id={theirs.id}").get_data(as_text=True)
    assert "Ferreyra" not in html
    html = client.get("/app/audit?action=invoice.retry").get_data(as_text=True)
    assert "Esa acción no figura en la auditoría." in html and "secreto" not in html


def test_details_and_actors_are_shown_as_text(app, pg_db, redisdb):
    shop = seed_shop(pg_db, marta_name=EVIL)
    with pg_db.org_session(shop.org_id) as s:
        audit.record(s, actor=f"customer:{EVIL}", action=EVIL[:60], entity_type="secret",
                     entity_id="<b>key</b>", data={EVIL: EVIL, "error": f"boom {EVIL}"})
    from tests.backoffice.conftest import email_of, login

    client = app.test_client()
    assert login(client, email_of(Role.OWNER)).status_code == 302
    html = client.get("/app/audit").get_data(as_text=True)
    assert "<script>" not in html and "<b>key</b>" not in html
    newest = _entries(html)[0]
    assert "Cliente &lt;script&gt;" in newest
    assert "&lt;script&gt;alert(&#34;hola&#34;)&lt;/script&gt;: &lt;script&gt;" in newest
    assert "Cliente: &lt;script&gt;" in html  # Marta's row, linked by name


def test_long_trails_are_paged(signed_in, shop, pg_db):
    with pg_db.org_session(shop.org_id) as s:
        for n in range(60):
            audit.record(s, actor="system", action="invoice.payment_link", entity_type="invoice",
                         entity_id=shop.authorized, data={"n": n})
    client = signed_in(Role.OWNER)
    first = client.get("/app/audit?action=invoice.payment_link").get_data(as_text=True)
    second = client.get("/app/audit?action=invoice.payment_link&page=2").get_data(as_text=True)
    assert len(_entries(first)) == 50 and len(_entries(second)) == 10
    assert 'href="/app/audit?action=invoice.payment_link&amp;page=2"' in first
    assert set(_seqs(first)).isdisjoint(_seqs(second))
    assert "N: 59" in _entries(first)[0] and "N: 0" in _entries(second)[-1]
