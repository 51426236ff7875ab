"""The flows the engine knows, in the order it offers them a turn.

Adding a flow is a module with a `SPEC = FlowSpec(...)` and `handle(turn)`, plus one line here
(see the README, "Adding a conversation flow"). Order matters only where two flows could want
the same turn: a technician's own flow first, then a customer's requests about a job they have
(reschedule, cancel, invoice, payment, rating) before a new booking, then the one-shot answers.
"""

from __future__ import annotations

from flows import (
    booking,
    customer_jobs,
    owner,
    owner_alias,
    owner_assign,
    owner_booking,
    owner_close,
    owner_days,
    owner_figures,
    owner_move,
    owner_prices,
    owner_team,
    status,
    technician,
    technician_called_off,
)
from flows.engine import FlowSpec

FLOWS: tuple[FlowSpec, ...] = (
    technician.SPEC,
    customer_jobs.SPEC,
    booking.SPEC,
    status.SPEC,
    owner_alias.SPEC,  # the owner's OK to a new transfer alias
    technician_called_off.SPEC,  # the technician's OK to cancel a visit its customer called off
    owner_close.SPEC,  # the owner's OK to a visit closed for its technician
    owner_figures.SPEC,  # before the owner's numbers: "el resumen está mal" asks for no summary
    owner_booking.SPEC,  # "cargame un trabajo para el martes": a job to load, no summary of that day
    owner_assign.SPEC,  # "pasale lo de Graciela a Diego": before the team's "¿dónde anda Diego?"
    owner_move.SPEC,  # "la de Ojeda ponela a las 8": after a handover ("pasala a Diego")
    owner_prices.SPEC,  # the owner's tap on "¿subo un 10% toda la lista?"
    owner_days.SPEC,  # the owner's tap to tell the customers booked on a day closed
    owner_team.SPEC,  # before the owner's numbers: "¿quién está de guardia?" is no "quién me debe"
    owner.SPEC,
)
