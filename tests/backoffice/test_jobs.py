"""Jobs: the board and its filters, the day's agenda, creating a job, assigning, rescheduling,
moving it through its states, and what a technician may see."""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from backoffice.job_board import COLUMN_PREVIEW
from core import customers, jobs
from core.models import Direction, Job, JobEvent, JobStatus, Role
from tests.backoffice.conftest import add_message, add_staff, post
from tests.backoffice.pages import link, walk

ART = ZoneInfo("America/Argentina/Buenos_Aires")


@dataclass
class Board:
    carlos: int  # the shop's technician; job #1 (pending, Marta) and #3 are his
    bruno: int
    ids: dict[int, int]  # job number → id


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=ART)


@pytest.fixture
def board(shop, pg_db) -> Board:
    """#2 Juan gas urgent Bruno 1/12 15–17; #3 Marta electricity Carlos 1/12 9–10;
    #4 Juan HVAC nobody 1/12 22:30 (already 2/12 in UTC)."""
    carlos = shop.users[Role.TECHNICIAN]
    bruno = add_staff(pg_db, shop.org_id, Role.TECHNICIAN, "Bruno Gasista", "+5491155550199",
                      email="bruno@plomeriaramos.com.ar")
    with pg_db.org_session(shop.org_id) as s:
        marta, juan = 1, 2
        specs = [
            (juan, "gas", "urgent", "olor a gas en la cocina", bruno, _at(1, 15), _at(1, 17)),
            (marta, "electrical", "normal", "cambiar la térmica", carlos, _at(1, 9), _at(1, 10)),
            (juan, "hvac", "normal", "el split gotea", None, _at(1, 22, 30), None),
        ]
        for customer_id, service, urgency, description, tech, start, end in specs:
            jobs.create_job(s, {"customer_id": customer_id, "service": service, "urgency": urgency,
                                "description": description, "technician_id": tech,
                                "scheduled_start": start, "scheduled_end": end})
        ids = dict(s.execute(select(Job.number, Job.id)).all())
    return Board(carlos, bruno, ids)


def _numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"<strong>#(\d+) ·", html)]


def _job(pg_db, shop, job_id: int) -> Job:
    with pg_db.org_session(shop.org_id) as s:
        job = s.get(Job, job_id)
        s.expunge(job)
        return job


def test_board_groups_jobs_by_status_with_spanish_labels(signed_in, board):
    html = signed_in(Role.DISPATCHER).get("/app/jobs").get_data(as_text=True)
    assert html.index("Pendiente <span") < html.index("Agendado <span")
    assert _numbers(html) == [1, 3, 2, 4]  # pending first; scheduled by visit time
    assert "Marta García" in html and "Juan Pérez" in html
    assert "Urgente" in html and "Gas · Bruno Gasista" in html and "01/12 15:00–17:00" in html
    assert "+ Nuevo trabajo" in html


@pytest.mark.parametrize(("query", "expected"), [
    ("status=pending", [1]),
    ("status=scheduled", [3, 2, 4]),
    ("service=gas", [2]),
    ("urgency=urgent", [2]),
    ("date=2026-12-01", [3, 2, 4]),  # 22:30 in Buenos Aires is still the 1st
    ("date=2026-12-02", []),
    ("date=2026-12-01&service=hvac", [4]),
    ("status=cancelled", []),
])
def test_board_filters(signed_in, board, query, expected):
    html = signed_in(Role.OWNER).get(f"/app/jobs?{query}").get_data(as_text=True)
    assert _numbers(html) == expected


def test_board_filter_by_technician(signed_in, board):
    client = signed_in(Role.ADMIN)
    assert _numbers(client.get(f"/app/jobs?technician={board.bruno}").get_data(as_text=True)) == [2]
    assert _numbers(client.get(f"/app/jobs?technician={board.carlos}").get_data(as_text=True)) == [1, 3]


def test_bad_filters_get_a_message_and_the_whole_board(signed_in, board):
    client = signed_in(Role.OWNER)
    for query, message in (("status=nada", "Ese estado no existe."), ("date=ayer", "Esa fecha no es válida"),
                           ("technician=x", "Ese técnico no existe.")):
        response = client.get(f"/app/jobs?{query}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert message in html and _numbers(html) == [1, 3, 2, 4]


def test_agenda_lists_each_technicians_day_in_time_order(signed_in, board):
    html = signed_in(Role.DISPATCHER).get("/app/jobs?view=agenda&date=2026-12-01").get_data(as_text=True)
    assert "01/12/2026" in html
    bruno, carlos, nobody = (html.index(f"<h2>{name} ") for name in
                             ("Bruno Gasista", "Carlos Técnico", "Sin técnico asignado"))
    assert bruno < carlos < nobody
    assert _numbers(html) == [2, 3, 4]
    assert "/app/jobs?view=agenda&amp;date=2026-11-30" in html and "date=2026-12-02" in html
    empty = signed_in(Role.DISPATCHER).get("/app/jobs?view=agenda&date=2026-12-05").get_data(as_text=True)
    assert "No hay visitas agendadas para ese día." in empty


def test_technician_sees_only_own_jobs_and_cannot_change_them(signed_in, board, shop, pg_db):
    client = signed_in(Role.TECHNICIAN)
    html = client.get("/app/jobs").get_data(as_text=True)
    assert _numbers(html) == [1, 3]
    assert "Nuevo trabajo" not in html and 'name="technician"' not in html
    agenda = client.get("/app/jobs?view=agenda&date=2026-12-01").get_data(as_text=True)
    assert _numbers(agenda) == [3]
    assert client.get(f"/app/jobs/{board.ids[2]}").status_code == 404
    own = client.get(f"/app/jobs/{board.ids[1]}")
    assert own.status_code == 200
    page = own.get_data(as_text=True)
    assert "pierde el flexible" in page
    assert "Cambiar estado" not in page and "/assign" not in page and "/schedule" not in page
    job_id = board.ids[3]
    for path, data in ((f"/app/jobs/{job_id}/status", {"status": "en_route"}),
                       (f"/app/jobs/{job_id}/assign", {"technician_id": str(board.bruno)}),
                       (f"/app/jobs/{job_id}/schedule", {"day": "2026-12-04", "start": "10:00"}),
                       ("/app/jobs/new", {"customer_id": "1", "service": "gas", "description": "x"})):
        assert post(client, path, **data).status_code == 403, path
    job = _job(pg_db, shop, job_id)
    assert job.status is JobStatus.SCHEDULED and job.technician_id == board.carlos


def test_create_a_scheduled_job_by_hand(signed_in, board, shop, pg_db):
    client = signed_in(Role.DISPATCHER)
    form = client.get("/app/jobs/new").get_data(as_text=True)
    assert '<option value="2">Juan Pérez · 11 6666-0002</option>' in form
    response = post(client, "/app/jobs/new", customer_id="2", service="plumbing", urgency="emergency",
                    description="se inundó el baño", technician_id=str(board.bruno),
                    day="03/12/2026", start="14:00", end="16:30")  # day first, as typed here
    assert response.status_code == 302
    job_id = int(re.fullmatch(r"/app/jobs/(\d+)\?done=created", response.headers["Location"]).group(1))
    job = _job(pg_db, shop, job_id)
    assert (job.number, job.customer_id, job.technician_id) == (5, 2, board.bruno)
    assert job.status is JobStatus.SCHEDULED
    assert job.scheduled_start == datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
    assert job.scheduled_end == datetime(2026, 12, 3, 19, 30, tzinfo=UTC)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Listo, el trabajo quedó creado." in html and "Trabajo #5" in html
    assert "Emergencia" in html and "03/12 14:00–16:30" in html
    assert "Pasó a «Agendado»" in html and "Diego Despacho" in html


def test_create_without_a_time_leaves_it_pending(signed_in, shop, pg_db):
    response = post(signed_in(Role.OWNER), "/app/jobs/new", customer_id="1", service="locksmith",
                    description="no abre la puerta")
    job = _job(pg_db, shop, int(response.headers["Location"].split("/")[-1].split("?")[0]))
    assert job.status is JobStatus.PENDING and job.scheduled_start is None and job.technician_id is None


@pytest.mark.parametrize(("data", "messages"), [
    ({}, ["Elegí un cliente de la lista.", "Elegí el tipo de trabajo.", "Contá brevemente qué hay que hacer."]),
    ({"customer_id": "99", "service": "magia", "description": "algo"},
     ["Elegí un cliente de la lista.", "Elegí el tipo de trabajo."]),
    ({"customer_id": "1", "service": "gas", "description": "algo", "start": "10:00"}, ["Elegí el día de la visita."]),
    ({"customer_id": "1", "service": "gas", "description": "algo", "day": "2026-12-03", "start": "10:00",
      "end": "09:00"}, ["La hora de fin tiene que ser después de la de inicio."]),
    ({"customer_id": "1", "service": "gas", "description": "algo", "day": "2026-12-03", "start": "25:00"},
     ["Esa hora no es válida"]),
    ({"customer_id": "1", "service": "gas", "description": "algo", "technician_id": "1"},
     ["Ese técnico no existe o no está activo."]),  # user 1 is the owner
])
def test_create_with_errors_shows_them_in_spanish_and_keeps_the_form(signed_in, shop, pg_db, data, messages):
    response = post(signed_in(Role.ADMIN), "/app/jobs/new", **data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Revisá los campos marcados." in html
    for message in messages:
        assert message in html
    if data.get("description"):
        assert f">{data['description']}</textarea>" in html
    with pg_db.org_session(shop.org_id) as s:
        assert s.scalar(select(func.count(Job.id))) == 1


def test_assign_and_reassign_a_technician(signed_in, board, shop, pg_db):
    client = signed_in(Role.DISPATCHER)
    job_id = board.ids[1]
    response = post(client, f"/app/jobs/{job_id}/assign", technician_id=str(board.bruno))
    assert response.headers["Location"] == f"/app/jobs/{job_id}?done=assigned"
    assert _job(pg_db, shop, job_id).technician_id == board.bruno
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Listo, el técnico quedó asignado." in html and "Reasignado de Carlos Técnico a Bruno Gasista" in html
    assert post(client, f"/app/jobs/{job_id}/assign", technician_id="").headers["Location"].endswith("unassigned")
    assert _job(pg_db, shop, job_id).technician_id is None
    bad = post(client, f"/app/jobs/{job_id}/assign", technician_id=str(shop.users[Role.VIEWER]))
    assert bad.status_code == 200 and "Ese técnico no existe o no está activo." in bad.get_data(as_text=True)
    assert post(client, "/app/jobs/999/assign", technician_id="").status_code == 404


def test_reschedule(signed_in, board, shop, pg_db):
    client = signed_in(Role.OWNER)
    job_id = board.ids[1]  # pending: a time schedules it
    response = post(client, f"/app/jobs/{job_id}/schedule", day="2026-12-04", start="08:30", end="")
    assert response.headers["Location"] == f"/app/jobs/{job_id}?done=scheduled"
    job = _job(pg_db, shop, job_id)
    assert job.status is JobStatus.SCHEDULED
    assert (job.scheduled_start, job.scheduled_end) == (datetime(2026, 12, 4, 11, 30, tzinfo=UTC),
                                                        datetime(2026, 12, 4, 13, 30, tzinfo=UTC))
    post(client, f"/app/jobs/{job_id}/schedule", day="2026-12-05", start="16:00", end="17:00")
    html = client.get(f"/app/jobs/{job_id}").get_data(as_text=True)
    assert "Agendado para el vie 04/12 8:30 a 10:30" in html
    assert "Reprogramado del vie 04/12 8:30 al sáb 05/12 16:00" in html
    assert 'name="day" type="text" autocomplete="off" maxlength="10" placeholder="dd/mm/aaaa" value="05/12/2026" required' in html
    missing = post(client, f"/app/jobs/{job_id}/schedule", day="", start="")
    assert missing.status_code == 200 and "Elegí el día y la hora de la visita." in missing.get_data(as_text=True)


def test_allowed_status_change_is_recorded_with_its_note(signed_in, board, shop, pg_db):
    client = signed_in(Role.DISPATCHER)
    job_id = board.ids[3]
    page = client.get(f"/app/jobs/{job_id}").get_data(as_text=True)
    status_form = page.split(f'action="/app/jobs/{job_id}/status"')[1].split("</select>")[0]
    offered = re.findall(r'<option value="(\w+)"', status_form)
    assert offered == ["pending", "en_route", "on_site", "needs_followup", "cancelled"]  # board order
    response = post(client, f"/app/jobs/{job_id}/status", status="en_route", note="sale de la oficina")
    assert response.headers["Location"] == f"/app/jobs/{job_id}?done=status"
    assert _job(pg_db, shop, job_id).status is JobStatus.EN_ROUTE
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Pasó a «En camino»" in html and "sale de la oficina" in html
    assert html.index("Se creó el trabajo") < html.index("Pasó a «En camino»")


def test_invalid_status_change_is_explained(signed_in, board, shop, pg_db):
    client = signed_in(Role.OWNER)
    job_id = board.ids[1]  # pending
    response = post(client, f"/app/jobs/{job_id}/status", status="completed")
    assert response.status_code == 200
    assert ("Un trabajo «Pendiente» no puede pasar a «Terminado». Desde ahí puede pasar a: Agendado, Cancelado."
            in response.get_data(as_text=True))
    unscheduled = post(client, f"/app/jobs/{job_id}/status", status="scheduled").get_data(as_text=True)
    assert "Para agendar el trabajo falta el día y horario." in unscheduled
    nonsense = post(client, f"/app/jobs/{job_id}/status", status="volando").get_data(as_text=True)
    assert "Elegí a qué estado pasa el trabajo." in nonsense
    assert _job(pg_db, shop, job_id).status is JobStatus.PENDING


def test_detail_shows_the_customers_messages_since_the_job_and_photos(signed_in, shop, pg_db):
    with pg_db.org_session(shop.org_id) as s:
        add_message(s, shop.marta_chat, Direction.INBOUND, "¿A qué hora vienen?",
                    datetime.now(UTC) + timedelta(seconds=5))
        s.add(JobEvent(job_id=1, kind="photo", actor="whatsapp:5491155550103", note="el flexible roto"))
    html = signed_in(Role.DISPATCHER).get("/app/jobs/1").get_data(as_text=True)
    assert "¿A qué hora vienen?" in html
    assert "se me rompió el flexible" not in html  # written before the job existed
    assert "Fotos: 1" in html and "Carlos Técnico · el flexible roto" in html
    viewer = signed_in(Role.VIEWER).get("/app/jobs/1").get_data(as_text=True)
    assert "¿A qué hora vienen?" not in viewer and "Cambiar estado" not in viewer


def test_descriptions_and_names_are_escaped(signed_in, shop, pg_db):
    with pg_db.org_session(shop.org_id) as s:
        job = jobs.create_job(s, {"customer_id": 2, "service": "other",
                                  "description": "<script>alert('x')</script>"})
        job_id = job.id
    client = signed_in(Role.OWNER)
    for path in ("/app/jobs", f"/app/jobs/{job_id}"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html, path
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html, path


# ---- long columns ----------------------------------------------------------------------------

@pytest.fixture
def crowd(board, shop, pg_db) -> dict[str, list[int]]:
    """On top of the board: 60 plumbing visits for Juan on 1/12 (30 at 8:00, then 30 at 9:00, so
    many share a time) and 12 jobs cancelled before being scheduled. Job numbers per group."""
    made: dict[str, list[int]] = {"eight": [], "nine": [], "cancelled": []}
    with pg_db.org_session(shop.org_id) as s:
        for n in range(60):
            hour = 8 if n % 2 == 0 else 9  # interleaved, so number order is not time order
            job = jobs.create_job(s, {"customer_id": 2, "service": "plumbing", "description": f"visita {n}",
                                      "scheduled_start": _at(1, hour), "scheduled_end": _at(1, hour, 45)})
            made["eight" if hour == 8 else "nine"].append(job.number)
        for n in range(12):
            job = jobs.create_job(s, {"customer_id": 1, "service": "gas", "description": f"se arrepintió {n}"})
            jobs.transition(s, job.id, JobStatus.CANCELLED, "test")
            made["cancelled"].append(job.number)
    return made


def _column(html: str, label: str) -> list[int]:
    """The job numbers under one status heading of the board."""
    start = html.index(f"<h2>{label} <span")
    end = html.find("<h2>", start + 1)
    return _numbers(html[start:end if end != -1 else len(html)])


def test_a_long_column_shows_its_first_jobs_and_a_link_to_all_of_them(signed_in, crowd):
    client = signed_in(Role.DISPATCHER)
    html = client.get("/app/jobs").get_data(as_text=True)
    assert 'Agendado <span class="muted">(63)</span>' in html  # the board's 3 and the 60
    assert _column(html, "Agendado") == crowd["eight"][:COLUMN_PREVIEW]  # soonest visits first
    assert '<a href="/app/jobs?status=scheduled">Ver los 63 trabajos «Agendado» →</a>' in html
    # Closed work the other way round: the most recent first.
    assert 'Cancelado <span class="muted">(12)</span>' in html
    assert _column(html, "Cancelado") == sorted(crowd["cancelled"], reverse=True)[:COLUMN_PREVIEW]
    # A short column has everything and no link.
    assert _column(html, "Pendiente") == [1] and "trabajos «Pendiente»" not in html
    assert "Se muestran" not in html


def test_a_whole_column_pages_through_every_job_once_keeping_the_filters(signed_in, crowd):
    client = signed_in(Role.OWNER)
    filtered = client.get("/app/jobs?service=plumbing&date=2026-12-01").get_data(as_text=True)
    link_to_column = re.search(r'<a href="([^"]+)">Ver los 60 trabajos «Agendado» →</a>', filtered)
    assert link_to_column.group(1) == "/app/jobs?service=plumbing&amp;date=2026-12-01&amp;status=scheduled"
    pages = walk(client, html_lib.unescape(link_to_column.group(1)))
    assert len(pages) == 2
    seen = [n for page in pages for n in _numbers(page)]
    assert seen == crowd["eight"] + crowd["nine"]  # by visit time, then number: each exactly once
    assert link(pages[0], "next") == "/app/jobs?service=plumbing&date=2026-12-01&status=scheduled&page=2"
    assert link(pages[1], "prev") == "/app/jobs?service=plumbing&date=2026-12-01&status=scheduled"
    assert 'Agendado <span class="muted">(60)</span>' in pages[1]
    assert '<a href="/app/jobs?service=plumbing&amp;date=2026-12-01">← Ver todos los estados</a>' in pages[1]
    assert '<option value="scheduled" selected>' in pages[1]


@pytest.mark.parametrize("page", ["0", "abc", "99999"])
def test_a_column_with_a_nonsense_page_number_shows_its_first_page(signed_in, crowd, page):
    html = signed_in(Role.ADMIN).get(f"/app/jobs?status=cancelled&page={page}").get_data(as_text=True)
    assert _numbers(html) == sorted(crowd["cancelled"], reverse=True)


def test_a_column_page_past_the_end_is_empty_with_a_way_back(signed_in, crowd):
    html = signed_in(Role.ADMIN).get("/app/jobs?status=scheduled&service=gas&page=5").get_data(as_text=True)
    assert _numbers(html) == [] and "No hay trabajos con esos filtros." not in html
    assert '<a href="/app/jobs?status=scheduled&amp;service=gas">Volver a la primera página</a>' in html


def test_a_technicians_column_has_only_their_jobs(signed_in, crowd, board):
    client = signed_in(Role.TECHNICIAN)
    assert _numbers(client.get("/app/jobs?status=scheduled").get_data(as_text=True)) == [3]
    board_html = client.get("/app/jobs").get_data(as_text=True)
    assert _numbers(board_html) == [1, 3] and "Ver los" not in board_html


# ---- open emergencies first ------------------------------------------------------------------

def _emergency(s, customer_id: int, *, start: datetime | None = None, technician: int | None = None,
               address_id: int | None = None, description: str = "se inundó el baño") -> Job:
    return jobs.create_job(s, {"customer_id": customer_id, "service": "plumbing", "urgency": "emergency",
                               "description": description, "technician_id": technician,
                               "address_id": address_id, "scheduled_start": start,
                               "scheduled_end": start + timedelta(hours=2) if start else None})


def test_open_emergencies_come_first_in_their_column_and_its_pages(signed_in, crowd, shop, pg_db):
    with pg_db.org_session(shop.org_id) as s:
        late = _emergency(s, 2, start=_at(1, 18)).number  # the day's last visit
        pending = _emergency(s, 1).number
        gone = _emergency(s, 1, start=_at(1, 7))
        jobs.transition(s, gone.id, JobStatus.CANCELLED, "test")
    client = signed_in(Role.DISPATCHER)
    html = client.get("/app/jobs").get_data(as_text=True)
    assert _column(html, "Agendado") == [late, *crowd["eight"][:COLUMN_PREVIEW - 1]]
    assert _column(html, "Pendiente") == [pending, 1]
    # A cancelled emergency is no longer open: its column keeps the newest first.
    cancelled = sorted([*crowd["cancelled"], gone.number], reverse=True)
    assert _column(html, "Cancelado") == cancelled[:COLUMN_PREVIEW]
    # The whole column, a page at a time: the emergency first, then by visit time; each job once.
    pages = walk(client, "/app/jobs?status=scheduled&service=plumbing&date=2026-12-01")
    assert [n for page in pages for n in _numbers(page)] == [late, *crowd["eight"], *crowd["nine"]]
    assert [len(_numbers(page)) for page in pages] == [50, 11]
    # The agenda stays in time order.
    agenda = client.get("/app/jobs?view=agenda&date=2026-12-01&service=plumbing").get_data(as_text=True)
    assert _numbers(agenda)[-1] == late


def test_home_lists_open_emergencies_first(signed_in, board, shop, pg_db):
    with pg_db.org_session(shop.org_id) as s:
        address = customers.add_address(s, 1, {"street": "Av. Avellaneda", "number": "2150",
                                               "unit": "3° B", "locality": "Flores"})
        assigned = _emergency(s, 1, start=_at(1, 18), technician=board.bruno, address_id=address.id)
        nobody = _emergency(s, 2, description="sale agua del techo")
        gone = _emergency(s, 2)
        jobs.transition(s, gone.id, JobStatus.CANCELLED, "test")
        ids = (assigned.id, nobody.id, gone.id)
    html = signed_in(Role.DISPATCHER).get("/app/").get_data(as_text=True)
    section = html[html.index('<section class="card urgent"'):html.index("</section>")]
    assert html.index("Urgencias abiertas") < html.index("trabajos abiertos")
    assert 'Urgencias abiertas <span class="muted">(2)</span>' in section
    items = re.findall(r"<li>(.*?)</li>", section, re.DOTALL)
    # Nobody sent yet first; then the oldest.
    linked = [int(re.search(r'href="/app/jobs/(\d+)"', item).group(1)) for item in items]
    assert linked == [ids[1], ids[0]]
    assert "#6 · Juan Pérez" in items[0] and "sin técnico" in items[0]
    assert "Sin dirección cargada" in items[0]
    assert "#5 · Marta García" in items[1] and "Av. Avellaneda 2150, 3° B, Flores" in items[1]
    assert "Bruno Gasista" in items[1] and "01/12 18:00–20:00" in items[1]
    assert f"/app/jobs/{ids[2]}" not in html
    # A technician sees only their own emergencies (the others' jobs are closed to them).
    assert "Urgencias abiertas" not in signed_in(Role.TECHNICIAN).get("/app/").get_data(as_text=True)
    with pg_db.org_session(shop.org_id) as s:
        jobs.assign_technician(s, ids[1], board.carlos, "test")
    own = signed_in(Role.TECHNICIAN).get("/app/").get_data(as_text=True)
    assert f'href="/app/jobs/{ids[1]}"' in own and f'href="/app/jobs/{ids[0]}"' not in own


def test_home_without_open_emergencies_has_no_red_section(signed_in, board):
    html = signed_in(Role.OWNER).get("/app/").get_data(as_text=True)
    assert "Urgencias abiertas" not in html and "trabajos abiertos" in html
