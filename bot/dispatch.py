"""Enqueueing background work by task name: it lives in `core.dispatch` so the back-office can
enqueue too; bot/ keeps importing it from here."""

from core.dispatch import (  # noqa: F401
    BURST_TIMEOUT,
    DEFAULT,
    HIGH,
    INVOICE_TIMEOUT,
    LOW,
    MEDIA_TIMEOUT,
    SEND_RETRY,
    SEND_TIMEOUT,
    Dispatcher,
)
