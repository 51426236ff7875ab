"""A conversation shows what the customer edited or deleted in WhatsApp, and who answered from
the business's own phone (#18 items 1-2)."""

from __future__ import annotations

from core.models import Direction, Role, utcnow
from tests.backoffice.conftest import add_message


def test_edited_deleted_and_business_app_messages_are_marked(signed_in, shop, pg_db):
    now = utcnow()
    with pg_db.org_session(shop.org_id) as s:
        add_message(s, shop.marta_chat, Direction.INBOUND, "es el calefón, no el termotanque", now,
                    edited_at=now, original_body="se me rompió el termotanque")
        add_message(s, shop.marta_chat, Direction.INBOUND, "número equivocado", now, deleted_at=now)
        add_message(s, shop.marta_chat, Direction.OUTBOUND, "Paso mañana a las 10.", now,
                    sent_from="business_app")
        # The edit itself: shown as the mark on its message, not as a message of its own.
        add_message(s, shop.marta_chat, Direction.INBOUND, "es el calefón, no el termotanque", now,
                    type="edit", revises="wamid.original")
    html = signed_in(Role.OWNER).get(f"/app/conversations/{shop.marta_chat}").get_data(as_text=True)
    assert html.count("es el calefón, no el termotanque") == 1
    assert "· editado" in html and "· eliminado" in html
    assert "Desde el celular (persona)" in html
