"""Mercado Pago's RQ entry points: a notified payment re-fetched, the open links reconciled."""

from __future__ import annotations

from services import payment_gateway, payment_notifications
from workers.tasks import _parts, org_task


@org_task
def handle_payment_notification(org_id: int, payment_id: str) -> dict:
    """Re-fetch a payment Mercado Pago told us about and act on what changed (retried by RQ
    on a retryable Mercado Pago error)."""
    return payment_notifications.handle_payment_notification(*_parts(), org_id, payment_id)


def reconcile_payments() -> dict:
    """Scheduled every two minutes: `services.payment_gateway.reconcile_payments`."""
    return payment_gateway.reconcile_payments(*_parts())
