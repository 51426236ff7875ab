"""The public tracking page: a signed, expiring link that shows progress and nothing private."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta

import pytest

from core import customers, jobs
from core.jobs import tracking
from core.models import Job, JobStatus, utcnow
from core.settings import load_settings
from tests.factories import add_technician, create_org
from web import create_app

S = JobStatus
START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # martes 1/12, 9:00 in Buenos Aires
MARTA = {
    "name": "Marta García",
    "phone": "+54 9 11 6666-0001",
    "addresses": [{"street": "Av. Avellaneda", "number": "2150", "unit": "3° B",
                   "locality": "Flores", "province": "CABA"}],
}
PRIVATE = ("Marta", "García", "Avellaneda", "2150", "Flores", "66660001", "6666-0001",
           "Rodríguez", "+5491155550101", "55550101", "pierde el flexible")


def _job(db, org_id: int, *, customer=MARTA, tech_phone="+5491155550101",
         status: S = S.EN_ROUTE, eta_minutes: int | None = 25) -> Job:
    tech_id = add_technician(db, org_id, name="Carlos Rodríguez", phone=tech_phone)
    with db.org_session(org_id) as s:
        customer = customers.create_customer(s, customer)
        job = jobs.create_job(s, {"customer_id": customer.id, "address_id": customer.addresses[0].id,
                                  "service": "plumbing", "description": "pierde el flexible",
                                  "technician_id": tech_id})
        jobs.schedule(s, job.id, START, None, "user:1")
        if status == S.EN_ROUTE:
            jobs.transition(s, job.id, S.EN_ROUTE, "user:1", eta_minutes=eta_minutes)
        return job


@pytest.fixture
def client(pg_db):
    app = create_app(pg_db.settings)
    app.testing = True
    return app.test_client()


def _url_path(settings, org_id: int, job_id: int, **kwargs) -> str:
    url = tracking.tracking_url(settings, tracking.tracking_token(settings, org_id, job_id, **kwargs))
    return url.removeprefix(settings.public_base_url.rstrip("/"))


# --- tokens ------------------------------------------------------------------------------------

SETTINGS = load_settings(env="test", secret_key="s3cret-for-tests")


def test_token_round_trip_is_compact_url_safe_and_unique():
    token = tracking.tracking_token(SETTINGS, 12, 3456)
    assert tracking.read_token(SETTINGS, token) == (12, 3456)
    assert len(token) == 50 and all(c.isalnum() or c in "-_" for c in token)
    assert tracking.tracking_token(SETTINGS, 12, 3456) != token  # random nonce
    assert tracking.tracking_url(SETTINGS, token) == f"{SETTINGS.public_base_url}/t/{token}"


def test_token_expires_after_its_ttl():
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    token = tracking.tracking_token(SETTINGS, 1, 2, now=now, ttl=timedelta(hours=1))
    assert tracking.read_token(SETTINGS, token, now=now + timedelta(minutes=59)) == (1, 2)
    with pytest.raises(tracking.TokenExpired):
        tracking.read_token(SETTINGS, token, now=now + timedelta(hours=1))
    week = tracking.tracking_token(SETTINGS, 1, 2, now=now)
    assert tracking.read_token(SETTINGS, week, now=now + timedelta(days=6, hours=23)) == (1, 2)
    with pytest.raises(tracking.TokenExpired):
        tracking.read_token(SETTINGS, week, now=now + timedelta(days=7, seconds=1))


@pytest.mark.parametrize("bad", ["", "abc", "x" * 500, "../../etc", "%00", "====", "A" * 50])
def test_garbage_tokens_are_invalid(bad):
    with pytest.raises(tracking.TokenInvalid):
        tracking.read_token(SETTINGS, bad)


def test_tampered_or_foreign_tokens_are_invalid():
    token = tracking.tracking_token(SETTINGS, 1, 2)
    for i in range(len(token)):
        flipped = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
        with pytest.raises(tracking.TokenInvalid):
            tracking.read_token(SETTINGS, flipped)
    other = load_settings(env="test", secret_key="another-secret")
    with pytest.raises(tracking.TokenInvalid):
        tracking.read_token(other, token)


def test_expired_tampered_token_is_invalid_not_expired():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    token = tracking.tracking_token(SETTINGS, 1, 2, now=now, ttl=-timedelta(days=1))
    with pytest.raises(tracking.TokenExpired):
        tracking.read_token(SETTINGS, token, now=now)
    with pytest.raises(tracking.TokenInvalid):
        tracking.read_token(SETTINGS, token[:5] + ("A" if token[5] != "A" else "B") + token[6:])


# --- the view ----------------------------------------------------------------------------------

LABELS = {
    S.PENDING: ("Recibido", 0), S.SCHEDULED: ("Agendado", 1), S.EN_ROUTE: ("En camino", 2),
    S.ON_SITE: ("Trabajando en tu domicilio", 3), S.COMPLETED: ("Terminado", 4),
    S.INVOICED: ("Terminado", 4), S.PAID: ("Terminado", 4), S.CANCELLED: ("Cancelado", None),
    S.NEEDS_FOLLOWUP: ("Pendiente de otra visita", 1),
}


def test_job_view_labels_and_steps(pg_db):
    org = create_org(pg_db, "Plomería Ramos", "plomeria-ramos")
    with pg_db.org_session(org) as s:
        for status, (label, step) in LABELS.items():
            view = tracking.job_view(s, Job(org_id=org, number=7, status=status))
            assert (view.number, view.status_label, view.step) == (7, label, step)
            assert view.eta_minutes is None and view.technician_first_name is None
            assert view.live == (status not in (S.COMPLETED, S.INVOICED, S.PAID, S.CANCELLED))
    assert set(LABELS) == set(JobStatus)


def test_job_view_window_in_org_zone_and_eta(pg_db):
    org = create_org(pg_db, "Plomería Ramos", "plomeria-ramos")
    job = _job(pg_db, org, eta_minutes=25)
    with pg_db.org_session(org) as s:
        job = s.get(Job, job.id)
        assert job.technician is not None  # loaded before detaching, so edits below stay local
        s.expunge(job)
        at = job.eta_at - timedelta(minutes=25)
        view = tracking.job_view(s, job, now=at)
        assert view.status_label == "En camino" and view.step == 2
        assert view.window == "martes 1/12, de 9 a 11"
        assert view.technician_first_name == "Carlos"
        assert (view.eta_minutes, view.eta_label) == (25, "en 25 minutos")
        assert tracking.job_view(s, job, now=at + timedelta(minutes=24, seconds=30)).eta_label \
            == "en 1 minuto"
        late = tracking.job_view(s, job, now=at + timedelta(hours=2))
        assert (late.eta_minutes, late.eta_label) == (0, "llegando")
        job.eta_at = at + timedelta(minutes=95)
        assert tracking.job_view(s, job, now=at).eta_label == "en 1 h 35 min"
        job.scheduled_start = START + timedelta(minutes=30)
        assert tracking.job_view(s, job, now=at).window == "martes 1/12, de 9:30 a 11"
    assert {f.name for f in fields(view)} == {"number", "status_label", "step", "window",
                               "technician_first_name", "eta_minutes", "eta_label"}


# --- the page ----------------------------------------------------------------------------------

def test_page_shows_status_first_name_and_eta_and_nothing_private(pg_db, client):
    org = create_org(pg_db, "Plomería Ramos", "plomeria-ramos")
    job = _job(pg_db, org)
    resp = client.get(_url_path(pg_db.settings, org, job.id))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert f"Trabajo #{job.number}" in html and "En camino" in html
    assert "Carlos" in html and "Llega en 25 minutos" in html
    assert "martes 1/12, de 9 a 11" in html
    assert '<meta name="robots" content="noindex">' in html
    assert '<meta http-equiv="refresh" content="60">' in html
    for private in PRIVATE:
        assert private not in html, private
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Referrer-Policy"] == "no-referrer"


def test_scheduled_job_page_has_no_eta(pg_db, client):
    org = create_org(pg_db, "Plomería Ramos", "plomeria-ramos")
    job = _job(pg_db, org, status=S.SCHEDULED)
    html = client.get(_url_path(pg_db.settings, org, job.id)).get_data(as_text=True)
    assert "Agendado" in html and "Llega" not in html and "Carlos" in html


def test_tampered_token_is_a_friendly_404(pg_db, client):
    org = create_org(pg_db, "Plomería Ramos", "plomeria-ramos")
    job = _job(pg_db, org)
    path = _url_path(pg_db.settings, org, job.id)
    i = len("/t/") + 8
    tampered = path[:i] + ("A" if path[i] != "A" else "B") + path[i + 1:]
    for bad in (tampered, "/t/abc", "/t/" + "x" * 4000, "/t/%00%ff", "/t/..%2F..%2Fetc",
                "/t/", "/t/a/b", path + "/", path + ")"):
        resp = client.get(bad)
        assert resp.status_code == 404, bad
        assert "No encontramos este trabajo" in resp.get_data(as_text=True)
        assert resp.headers["Cache-Control"] == "no-store"


def test_expired_token_is_a_friendly_410(pg_db, client):
    org = create_org(pg_db, "Plomería Ramos", "plomeria-ramos")
    job = _job(pg_db, org)
    path = _url_path(pg_db.settings, org, job.id, now=utcnow() - timedelta(days=8))
    resp = client.get(path)
    assert resp.status_code == 410
    html = resp.get_data(as_text=True)
    assert "Este enlace venció" in html and "Pedinos uno nuevo por WhatsApp" in html
    assert "En camino" not in html and "Carlos" not in html
    assert resp.headers["Referrer-Policy"] == "no-referrer"


def test_unknown_job_is_404(pg_db, client):
    org = create_org(pg_db, "Plomería Ramos", "plomeria-ramos")
    assert client.get(_url_path(pg_db.settings, org, 999_999)).status_code == 404
    assert client.get(_url_path(pg_db.settings, 424_242, 1)).status_code == 404  # no such org


def test_a_token_for_org_a_cannot_show_org_b_job(pg_db, client):
    a = create_org(pg_db, "Plomería Ramos", "plomeria-ramos")
    b = create_org(pg_db, "Electricidad Sur", "electricidad-sur")
    _job(pg_db, a)
    job_b = _job(pg_db, b, tech_phone="+5491155550202",
                 customer={**MARTA, "name": "Rosa Pérez", "phone": "+5491177770002"})
    # Even a genuinely signed token naming A with B's job id is read in A's scope: nothing.
    cross = client.get(_url_path(pg_db.settings, a, job_b.id))
    assert cross.status_code == 404 and "En camino" not in cross.get_data(as_text=True)
    assert client.get(_url_path(pg_db.settings, b, job_b.id)).status_code == 200
