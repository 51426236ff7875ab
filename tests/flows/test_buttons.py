"""Typed button ids: every kind encodes and decodes to itself; anything else is None."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.jobs.scheduling import Slot
from flows.buttons import (
    KINDS,
    AddressTap,
    BookingTap,
    CancelTap,
    ClarifyTap,
    DoneTap,
    JobActionTap,
    MenuTap,
    RateTap,
    RescheduleTap,
    ServiceTap,
    SlotTap,
    decode,
)
from flows.registry import FLOWS

FRIDAY_14 = datetime(2026, 11, 27, 14, 0, tzinfo=ZoneInfo("America/Argentina/Buenos_Aires"))
SLOT_ID = Slot(start=FRIDAY_14, end=FRIDAY_14, technician_id=3).id

TAPS = [
    MenuTap("new_job"), MenuTap("status"), MenuTap("human"), ServiceTap("aire_acondicionado"),
    AddressTap("same"), AddressTap("other"), SlotTap(SLOT_ID), BookingTap("confirm"),
    BookingTap("change"), RescheduleTap(slot_id=SLOT_ID), RescheduleTap(choice="yes"),
    RescheduleTap(choice="no"), CancelTap("yes"), CancelTap("no"), RateTap(12, 5),
    JobActionTap(7, "on_the_way", 20), JobActionTap(7, "done"), DoneTap("confirm", 9),
    DoneTap("cancel", 9), ClarifyTap("reschedule"),
]


@pytest.mark.parametrize("tap", TAPS, ids=lambda t: t.encode())
def test_round_trip(tap):
    raw = tap.encode()
    assert len(raw) <= 256
    assert decode(raw) == tap


def test_the_wire_format_is_stable():
    # Ids already sent to customers must still work when tapped after a deploy.
    assert RateTap(12, 5).encode() == "rate:12:5"
    assert JobActionTap(7, "on_the_way", 20).encode() == "job:7:on_the_way:20"
    assert DoneTap("confirm", 9).encode() == "done:confirm:9"
    assert RescheduleTap(slot_id=SLOT_ID).encode() == f"resched:{SLOT_ID}"
    assert SlotTap(SLOT_ID).encode() == SLOT_ID


@pytest.mark.parametrize("raw", [
    None, "", "menu", "menu:", "menu:borrar", "rate:1:6", "rate:x:1", "job:1:fly", "done:ok:1",
    "resched:maybe", "slot:abc", "unknown:thing", "x" * 300, "rate:1:5:extra", "service:GAS",
    "rate:9999999999:5", "job:2147483648:done", "done:confirm:9999999999",  # past an int column
])
def test_ids_we_never_made_are_none(raw):
    assert decode(raw) is None


def test_every_kind_has_its_own_prefix_and_one_flow_owns_it():
    assert len({kind.prefix for kind in KINDS}) == len(KINDS)
    owners = [kind for spec in FLOWS for kind in spec.taps]
    assert len(owners) == len(set(owners))  # a tap is never claimed by two flows
    # The menu's buttons and the answers to "¿qué necesitás?" are the engine's own.
    assert set(owners) | {MenuTap, ClarifyTap} == set(KINDS)
    assert len({spec.name for spec in FLOWS}) == len(FLOWS)
