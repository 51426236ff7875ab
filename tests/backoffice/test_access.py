"""Who may open what: every back-office route against every role, from one table.

A new page adds its rows to ROUTES; `test_every_route_is_in_the_table` fails until it does.
"""

from __future__ import annotations

import pytest

from core.models import Role
from tests.backoffice.conftest import add_photo, csrf_of, post, seed_shop

O, A, D, T, V = Role.OWNER, Role.ADMIN, Role.DISPATCHER, Role.TECHNICIAN, Role.VIEWER
EVERYONE = {O, A, D, T, V}
STAFF = {O, A, D}
MANAGERS = {O, A}

# method, path ({names} are the shop's ids), roles allowed. Allowed POSTs send an empty form:
# they must answer with the page and a Spanish error or a redirect, never a crash.
ROUTES = [
    ("GET", "/app/", EVERYONE),
    ("GET", "/app/conversations", STAFF),
    ("GET", "/app/conversations/{marta_chat}", STAFF),
    ("POST", "/app/conversations/{marta_chat}/take-over", STAFF),
    ("POST", "/app/conversations/{marta_chat}/reply", STAFF),
    ("POST", "/app/conversations/{marta_chat}/hand-back", STAFF),
    ("GET", "/app/customers", STAFF | {V}),
    ("GET", "/app/customers/1", STAFF | {V}),  # Marta: seeded first, and ids restart every test
    ("GET", "/app/customers/import", STAFF),
    ("POST", "/app/customers/import", STAFF),
    ("GET", "/app/jobs", EVERYONE),
    ("GET", "/app/jobs/new", STAFF),
    ("POST", "/app/jobs/new", STAFF),
    ("GET", "/app/jobs/1", EVERYONE),  # the seeded job, assigned to the shop's technician
    ("GET", "/app/jobs/1/photos/{photo}", EVERYONE),  # the photo Carlos sent (the `shop` below)
    ("POST", "/app/jobs/1/assign", STAFF),
    ("POST", "/app/jobs/1/schedule", STAFF),
    ("POST", "/app/jobs/1/status", STAFF),
    ("GET", "/app/invoices", STAFF | {V}),
    ("GET", "/app/invoices/export.csv", STAFF | {V}),
    ("GET", "/app/invoices/{authorized}", STAFF | {V}),
    ("POST", "/app/invoices/{pending}/retry", MANAGERS),
    ("POST", "/app/invoices/{authorized}/payments", STAFF),
    ("GET", "/app/team", MANAGERS),
    ("GET", "/app/team/new", MANAGERS),
    ("POST", "/app/team/new", MANAGERS),  # empty form: the page with Spanish field errors
    ("GET", "/app/team/{users[technician]}", MANAGERS),
    ("POST", "/app/team/{users[technician]}", MANAGERS),  # empty form: nothing changes
    ("POST", "/app/team/{users[technician]}/password-link", MANAGERS),
    ("GET", "/app/price-book", STAFF | {V}),
    ("GET", "/app/price-book/export.csv", STAFF | {V}),
    ("GET", "/app/price-book/example.csv", MANAGERS),
    ("GET", "/app/price-book/new", MANAGERS),
    ("POST", "/app/price-book/new", MANAGERS),
    ("GET", "/app/price-book/1/edit", MANAGERS),  # the seeded flexible: ids restart every test
    ("POST", "/app/price-book/1/edit", MANAGERS),
    ("POST", "/app/price-book/1/archive", MANAGERS),
    ("POST", "/app/price-book/1/restore", MANAGERS),
    ("GET", "/app/price-book/import", MANAGERS),
    ("POST", "/app/price-book/import", MANAGERS),
    ("GET", "/app/audit", MANAGERS),
    ("POST", "/app/audit/verify", MANAGERS),
    ("GET", "/app/queues", MANAGERS),
    ("POST", "/app/queues/retry", MANAGERS),  # no job chosen: the page with a Spanish error
    ("POST", "/app/queues/discard", MANAGERS),
    ("GET", "/app/security", {O}),
    ("POST", "/app/security", {O}),  # empty form: the switch stays off
    ("POST", "/app/onboarding/hours", MANAGERS),
    ("GET", "/app/settings", MANAGERS),
    ("POST", "/app/settings/business", MANAGERS),  # empty form: the page with Spanish field errors
    ("POST", "/app/settings/hours", MANAGERS),
    ("POST", "/app/settings/closed-days", MANAGERS),  # empty: the page asking for the day
    ("POST", "/app/settings/whatsapp", {O}),  # connections and secrets: the owner's alone
    ("POST", "/app/settings/afip", {O}),
    ("POST", "/app/settings/mercadopago", {O}),
    ("POST", "/app/settings/secrets/mercadopago_token/delete", {O}),
    ("POST", "/app/settings/check/afip", {O}),
]
PUBLIC = {"backoffice.auth.login_form", "backoffice.auth.login", "backoffice.auth.logout"}
PUBLIC |= {"backoffice.signup.form", "backoffice.signup.start", "backoffice.signup.verify_form",
           "backoffice.signup.verify", "backoffice.signup.resend",
           "backoffice.login_code.code_form", "backoffice.login_code.check_code",
           "backoffice.login_code.resend_code"}
PUBLIC |= {"backoffice.passwords.form", "backoffice.passwords.save"}  # set-password links


@pytest.fixture
def shop(pg_db, media_dir):
    """The shop, with one photo on job 1, so the photo route has something to serve."""
    shop = seed_shop(pg_db)
    shop.photo = add_photo(pg_db, shop.org_id, 1, media_dir)
    return shop


def _paths(shop) -> list[tuple[str, str, set[Role]]]:
    return [(method, path.format(**vars(shop)), allowed) for method, path, allowed in ROUTES]


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_each_role_gets_exactly_its_routes(signed_in, shop, role):
    client = signed_in(role)
    for method, path, allowed in _paths(shop):
        response = client.get(path) if method == "GET" else post(client, path)
        where = f"{role} {method} {path}"
        if role in allowed:
            assert response.status_code in (200, 302), where
            if response.status_code == 302:
                assert not response.headers["Location"].startswith("/app/login"), where
        else:
            assert response.status_code == 403, where
            assert "No tenés permiso para ver esto." in response.get_data(as_text=True), where


def test_anonymous_visitors_are_sent_to_the_login(app, shop):
    client = app.test_client()
    csrf_of(client)  # a session with a CSRF token, so POSTs reach the role check
    for method, path, _ in _paths(shop):
        response = client.get(path) if method == "GET" else post(client, path)
        assert response.status_code == 302, f"{method} {path}"
        assert response.headers["Location"].startswith("/app/login"), f"{method} {path}"


def test_every_route_is_in_the_table(app, shop):
    adapter = app.url_map.bind("localhost")
    covered = {adapter.match(path, method=method)[0] for method, path, _ in _paths(shop)}
    mounted = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/app")}
    assert mounted - PUBLIC == covered
