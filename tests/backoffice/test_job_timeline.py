"""One job's timeline: its events, the technician's photos (and the route that serves them), the
customer's chat for staff and the audit trail for managers, all in time order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backoffice.job_timeline import TimelineEntry, merge
from core import customers, jobs
from core.models import Direction, Job, JobEvent, JobStatus, Role
from tests.backoffice.conftest import PNG, add_message, add_photo, add_staff
from tests.factories import create_org

NOT_FOUND = "No encontramos esa página"


def _photo_url(message_id: int, job_id: int = 1) -> str:
    return f"/app/jobs/{job_id}/photos/{message_id}"


@pytest.fixture
def photo(shop, pg_db, media_dir) -> int:
    return add_photo(pg_db, shop.org_id, 1, media_dir, caption="el flexible roto")


def test_the_photo_is_shown_as_a_thumbnail_and_served_with_its_bytes(signed_in, photo):
    client = signed_in(Role.DISPATCHER)
    html = client.get("/app/jobs/1").get_data(as_text=True)
    assert (f'<a class="thumb" href="{_photo_url(photo)}" target="_blank" rel="noopener">'
            f'<img src="{_photo_url(photo)}" loading="lazy" alt="el flexible roto"></a>') in html
    assert "Fotos: 1" in html and "Carlos Técnico · el flexible roto" in html

    response = client.get(_photo_url(photo))
    assert response.status_code == 200
    assert response.data == PNG and response.mimetype == "image/png"
    assert response.headers["Cache-Control"].startswith("private")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" not in response.headers.get("Content-Disposition", "")


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.TECHNICIAN, Role.VIEWER])
def test_whoever_may_open_the_job_may_open_its_photo(signed_in, photo, role):
    response = signed_in(role).get(_photo_url(photo))  # the technician: job 1 is Carlos's
    assert response.status_code == 200 and response.data == PNG


def test_videos_and_documents_are_links_and_other_types_only_downloads(signed_in, shop, pg_db, media_dir):
    video = add_photo(pg_db, shop.org_id, 1, media_dir, content=b"mp4", mime="video/mp4", kind="video")
    pdf = add_photo(pg_db, shop.org_id, 1, media_dir, content=b"%PDF-1.4", mime="application/pdf",
                    kind="document")
    page = add_photo(pg_db, shop.org_id, 1, media_dir, content=b"<script>alert(1)</script>",
                     mime="text/html", kind="document")
    svg = add_photo(pg_db, shop.org_id, 1, media_dir, content=b"<svg onload='alert(1)'/>",
                    mime="image/svg+xml")
    client = signed_in(Role.OWNER)
    html = client.get("/app/jobs/1").get_data(as_text=True)
    assert f'<a href="{_photo_url(video)}" target="_blank" rel="noopener">🎬 Abrir video</a>' in html
    assert f'<a href="{_photo_url(pdf)}" target="_blank" rel="noopener">📄 Abrir documento</a>' in html
    assert f'<img src="{_photo_url(svg)}"' not in html  # never drawn in the page

    for message_id, mime, inline in ((video, "video/mp4", True), (pdf, "application/pdf", True),
                                     (page, "text/html", False), (svg, "image/svg+xml", False)):
        response = client.get(_photo_url(message_id))
        assert response.status_code == 200 and response.mimetype == mime
        disposition = response.headers.get("Content-Disposition", "")
        assert disposition.startswith("attachment") is not inline, mime


def test_another_organizations_message_is_not_found(signed_in, shop, pg_db, media_dir, photo):
    other = create_org(pg_db, "Gas Sur", "gas-sur")
    with pg_db.org_session(other) as s:
        customer = customers.create_customer(s, {"name": "Ajena", "phone": "+5491177770000"})
        their_job = jobs.create_job(s, {"customer_id": customer.id, "service": "gas", "description": "x"}).id
    theirs = add_photo(pg_db, other, their_job, media_dir)
    # Even a photo event of our job pointing at their message id does not reach their file.
    with pg_db.org_session(shop.org_id) as s:
        s.add(JobEvent(job_id=1, kind="photo", actor="system", data={"message_id": theirs, "type": "image"}))
    client = signed_in(Role.OWNER)
    for path in (_photo_url(theirs), _photo_url(theirs, their_job)):
        response = client.get(path)
        assert response.status_code == 404, path
        assert NOT_FOUND in response.get_data(as_text=True)
    assert client.get(_photo_url(photo)).status_code == 200


def test_a_message_not_attached_to_the_job_is_not_found(signed_in, shop, pg_db, media_dir):
    with pg_db.org_session(shop.org_id) as s:
        job_2 = jobs.create_job(s, {"customer_id": 2, "service": "gas", "description": "olor a gas"}).id
    on_job_2 = add_photo(pg_db, shop.org_id, job_2, media_dir)
    with pg_db.org_session(shop.org_id) as s:
        martas = add_message(s, shop.marta_chat, Direction.INBOUND, "hola", datetime.now(UTC)).id
    client = signed_in(Role.OWNER)
    assert client.get(_photo_url(on_job_2, job_2)).status_code == 200
    for path in (_photo_url(on_job_2), _photo_url(martas), _photo_url(99999), _photo_url(on_job_2, 999)):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("where", ["../elsewhere.png", "../../outside.png", "/etc/passwd", "{other_org}/x.png"])
def test_a_stored_path_outside_the_organizations_folder_is_not_served(signed_in, shop, pg_db, media_dir, where):
    root = media_dir / str(shop.org_id)
    (media_dir / str(shop.org_id + 1)).mkdir(parents=True)
    for planted in (media_dir / "elsewhere.png", media_dir.parent / "outside.png",
                    media_dir / str(shop.org_id + 1) / "x.png"):
        planted.write_bytes(PNG)
    stored = where if where.startswith("/") else str(root / where.format(other_org=f"../{shop.org_id + 1}"))
    message_id = add_photo(pg_db, shop.org_id, 1, media_dir, media_path=stored)
    response = signed_in(Role.OWNER).get(_photo_url(message_id))
    assert response.status_code == 404
    assert NOT_FOUND in response.get_data(as_text=True)


def test_a_missing_file_is_a_spanish_not_found(signed_in, shop, pg_db, media_dir):
    message_id = add_photo(pg_db, shop.org_id, 1, media_dir,
                           media_path=str(media_dir / str(shop.org_id) / "2026" / "11" / "gone.jpg"))
    client = signed_in(Role.DISPATCHER)
    response = client.get(_photo_url(message_id))
    assert response.status_code == 404 and NOT_FOUND in response.get_data(as_text=True)
    assert 'class="thumb"' in client.get("/app/jobs/1").get_data(as_text=True)  # the page still opens


def test_a_technician_cannot_open_another_technicians_photo(signed_in, shop, pg_db, media_dir):
    bruno = add_staff(pg_db, shop.org_id, Role.TECHNICIAN, "Bruno Gasista", "+5491155550199",
                      email="bruno@plomeriaramos.com.ar")
    with pg_db.org_session(shop.org_id) as s:
        brunos_job = jobs.create_job(s, {"customer_id": 2, "service": "gas", "description": "olor a gas",
                                         "technician_id": bruno}).id
    message_id = add_photo(pg_db, shop.org_id, brunos_job, media_dir)
    carlos = signed_in(Role.TECHNICIAN)
    # As with the job's page: "not found", so a technician cannot tell whose job exists.
    assert carlos.get(f"/app/jobs/{brunos_job}").status_code == 404
    assert carlos.get(_photo_url(message_id, brunos_job)).status_code == 404
    assert signed_in(Role.DISPATCHER).get(_photo_url(message_id, brunos_job)).status_code == 200


# ---- the customer's chat and the audit trail --------------------------------------------------

def test_the_customers_chat_is_interleaved_for_staff_only(signed_in, shop, pg_db, media_dir):
    now = datetime.now(UTC)  # after the job was created
    with pg_db.org_session(shop.org_id) as s:
        add_message(s, shop.marta_chat, Direction.INBOUND, "¿A qué hora vienen?", now)
        add_message(s, shop.marta_chat, Direction.OUTBOUND, "Carlos llega a las 10.", now + timedelta(microseconds=1))
        add_message(s, shop.juan_chat, Direction.INBOUND, "Soy Juan, otro cliente", now)
    add_photo(pg_db, shop.org_id, 1, media_dir, caption="ya llegué")  # later still
    for role in (Role.OWNER, Role.ADMIN, Role.DISPATCHER):
        html = signed_in(role).get("/app/jobs/1").get_data(as_text=True)
        assert '<li class="tl message in">' in html and '<li class="tl message out">' in html, role
        created, question = html.index("Se creó el trabajo"), html.index("¿A qué hora vienen?")
        assert created < question < html.index("Carlos llega a las 10.") < html.index("ya llegué"), role
        assert "se me rompió el flexible" not in html  # written before the job existed
        assert "Soy Juan" not in html  # someone else's chat
    for role in (Role.TECHNICIAN, Role.VIEWER):
        html = signed_in(role).get("/app/jobs/1").get_data(as_text=True)
        assert "¿A qué hora vienen?" not in html and "tl message" not in html, role
        assert "ya llegué" in html and 'class="thumb"' in html, role  # the job's own photos, yes


def test_messages_after_the_job_was_completed_are_left_out(signed_in, shop, pg_db):
    now = datetime.now(UTC)
    with pg_db.org_session(shop.org_id) as s:
        add_message(s, shop.marta_chat, Direction.INBOUND, "Ya está, gracias", now + timedelta(seconds=1))
        job = s.get(Job, 1)
        job.status, job.completed_at = JobStatus.COMPLETED, now + timedelta(seconds=2)
        add_message(s, shop.marta_chat, Direction.INBOUND, "Otra cosa: ¿hacen gas?", now + timedelta(seconds=3))
    html = signed_in(Role.OWNER).get("/app/jobs/1").get_data(as_text=True)
    assert "Ya está, gracias" in html and "¿hacen gas?" not in html


def test_only_the_newest_fifty_messages_are_kept(signed_in, shop, pg_db):
    start = datetime.now(UTC)
    with pg_db.org_session(shop.org_id) as s:
        for n in range(60):
            add_message(s, shop.marta_chat, Direction.INBOUND, f"mensaje número {n:02d}",
                        start + timedelta(seconds=n + 1))
    html = signed_in(Role.DISPATCHER).get("/app/jobs/1").get_data(as_text=True)
    assert "mensaje número 09" not in html and "mensaje número 10" in html and "mensaje número 59" in html
    assert html.index("mensaje número 10") < html.index("mensaje número 59")


def test_the_audit_trail_is_shown_to_managers_only(signed_in, shop, pg_db):
    with pg_db.org_session(shop.org_id) as s:
        jobs.assign_technician(s, 1, None, f"user:{shop.users[Role.DISPATCHER]}")
    for role in (Role.OWNER, Role.ADMIN):
        html = signed_in(role).get("/app/jobs/1").get_data(as_text=True)
        assert html.count('<span class="tag">auditoría</span>') == 2, role  # created, then unassigned
        assert "Creó el trabajo" in html and "Asignó técnico" in html and "Diego Despacho" in html
        assert html.index("Creó el trabajo") < html.index("Asignó técnico")
        assert html.index("Se creó el trabajo") < html.index("Creó el trabajo")  # the event, then its audit
    for role in (Role.DISPATCHER, Role.VIEWER):  # (the technician: the job is nobody's now)
        html = signed_in(role).get("/app/jobs/1").get_data(as_text=True)
        assert "auditoría" not in html and "Creó el trabajo" not in html, role


def test_message_text_and_captions_are_escaped(signed_in, shop, pg_db, media_dir):
    with pg_db.org_session(shop.org_id) as s:
        add_message(s, shop.marta_chat, Direction.INBOUND, "<script>alert('chat')</script>",
                    datetime.now(UTC) + timedelta(seconds=1))
    add_photo(pg_db, shop.org_id, 1, media_dir, caption='"><img src=x onerror=alert(1)>')
    html = signed_in(Role.OWNER).get("/app/jobs/1").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;chat&#39;)&lt;/script&gt;" in html
    assert 'alt="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in html


# ---- merging, without a database ----------------------------------------------------------------

def _entry(kind: str, what: str, second: int) -> TimelineEntry:
    return TimelineEntry(moment=datetime(2026, 12, 1, 12, 0, second, tzinfo=UTC), at="", kind=kind,
                         actor="", what=what)


def test_merge_orders_by_time_then_kind_then_each_streams_own_order():
    events = [_entry("event", "created", 0), _entry("photo", "photo a", 5), _entry("photo", "photo b", 5)]
    chat = [_entry("message", "hola", 5), _entry("message", "¿vienen?", 1)]  # as read: kept as is when tied
    trail = [_entry("audit", "job.create", 0)]
    merged = [e.what for e in merge(trail, chat, events)]
    assert merged == ["created", "job.create", "¿vienen?", "photo a", "photo b", "hola"]
    assert merge() == [] and merge([], []) == []

