"""The owner changing the transfer alias from WhatsApp: "cambiamos de cuenta, el alias nuevo es
gasista.paredes.mp, el viejo ya no lo des".

Where customers send their money is asked once with buttons before it changes (a slip would
send payments elsewhere), and the tap carries the alias, so a typed "sí, dale" answers it too.
From the OK on, every customer asking how to pay gets the new one; the old one is never given
again. An alias that cannot be one (BCRA: 6 to 20 letters, numbers, dots or hyphens) is said
so, with the panel's link."""

from __future__ import annotations

import re

from core.errors import DomainError
from core.links import back_office_link
from core.messaging import texts
from core.messaging.replies import Button, Buttons, Reply, Text
from core.models import ConversationRole
from core.organizations import update_business
from flows.buttons import AliasTap
from flows.engine import FlowSpec
from flows.turn import Turn
from nlu.extract.text import fold_aligned

# "el alias nuevo es X", "nuevo alias: X", "cambiá el alias a X", "ahora el alias es X", "pasá el
# alias a X"
_ALIAS_SAID = re.compile(
    r"\balias\s+(?:nuevo\s+|de\s+ahora\s+)?(?:es|seria|va\s+a\s+ser|:)\s*(?P<a>[a-z0-9][a-z0-9.-]{3,30})"
    r"|\bnuevo\s+alias\s*(?:es|:)?\s*(?P<b>[a-z0-9][a-z0-9.-]{3,30})"
    r"|\b(?:cambia|cambiale|cambialo|pasa|pone|actualiza)\s+(?:el\s+)?alias\s+(?:a|por|en)\s+(?P<c>[a-z0-9][a-z0-9.-]{3,30})")
_VALID = re.compile(r"^[a-z0-9.-]{6,20}$")


def handle(turn: Turn) -> list[Reply] | None:
    """The question before the transfer alias changes; None when the words name no new alias."""
    if turn.role is not ConversationRole.OWNER or turn.tap is not None or not turn.text \
            or turn.org is None:
        return None
    found = _ALIAS_SAID.search(fold_aligned(turn.text).lower())
    if found is None:
        return None
    alias = (found.group("a") or found.group("b") or found.group("c")).strip(".-")
    if not _VALID.match(alias):
        return [Text(texts.render("owner_alias_invalid", alias=alias, link=_link(turn)))]
    if alias == (turn.org.transfer_alias or "").lower():
        return [Text(texts.render("owner_alias_same", alias=alias))]
    return [Buttons(body=texts.render("owner_alias_ask", alias=alias, old=turn.org.transfer_alias,
                                      holder=turn.org.transfer_holder),
                    buttons=(Button(AliasTap("yes", alias).encode(), "Sí, cambialo"),
                             Button(AliasTap("no").encode(), "No, dejalo")))]


def _tapped(turn: Turn) -> list[Reply]:
    tap = turn.tap
    if not isinstance(tap, AliasTap) or tap.choice != "yes" or not tap.alias:
        return [Text(texts.render("owner_alias_kept", alias=turn.org.transfer_alias if turn.org else None))]
    old = turn.org.transfer_alias
    try:
        update_business(turn.session, turn.org.id, {"transfer_alias": tap.alias}, actor=turn.actor)
    except DomainError as exc:
        return [Text(texts.render("tech_error", reason=str(exc).rstrip(".")))]
    return [Text(texts.render("owner_alias_changed", alias=tap.alias, old=old,
                              holder=turn.org.transfer_holder, link=_link(turn)))]


def _link(turn: Turn) -> str:
    return back_office_link(turn.settings, "settings")


SPEC = FlowSpec(name="owner_alias", roles=frozenset({ConversationRole.OWNER}), handle=_tapped,
                taps=(AliasTap,))
