"""Meta's Graph API failures, for the WhatsApp adapter (`integrations.whatsapp`) and its callers:
the error codes worth retrying, `WhatsAppError` read from Meta's error object, `MediaRejected`.

Apart from the client so that what a failed call means (retry, template, give up) is read in one
place, and callers that only judge failures do not need the client.
"""

from __future__ import annotations

import requests

# Meta error codes (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes)
THROUGHPUT = 130429  # the number's throughput (messages per second) reached
PAIR_RATE = 131056  # too many messages to one customer in a short time
OUTSIDE_WINDOW = 131047  # more than 24 hours since the customer last wrote
RATE_LIMITED = frozenset({4, 80007, THROUGHPUT, PAIR_RATE})
# Transient on Meta's side, per its error-codes table: worth trying again later.
#   2       API Service: "temporary due to downtime or due to being overloaded"
#   131000  Something went wrong: "failed to send due to an unknown error; try again"
#   131016  Service unavailable: "a service is temporarily unavailable"
#   133004  Server temporarily unavailable
# Not here, although they once were: 1 (API Unknown: "invalid request or possible server
# error", answered 400; a server error shows as HTTP 5xx, retried on that alone) and 130472
# (the user's number is part of a marketing experiment: the same message fails again).
TRANSIENT = frozenset({2, 131000, 131016, 133004})
RETRYABLE = RATE_LIMITED | TRANSIENT

def retryable_code(code: int | None) -> bool:
    """Whether a failure with this Meta error code may succeed if sent again later."""
    return code in RETRYABLE


class WhatsAppError(Exception):
    """A Graph API call that did not succeed."""

    def __init__(self, code: int | None, title: str, *, http_status: int | None = None,
                 retryable: bool | None = None, details: str = ""):
        super().__init__(f"{code}: {title}" + (f" ({details})" if details else ""))
        self.code, self.title, self.http_status, self.details = code, title, http_status, details
        if retryable is None:
            retryable = retryable_code(code) or (http_status is not None and http_status >= 500)
        self.retryable = retryable

    @property
    def outside_window(self) -> bool:
        return self.code == OUTSIDE_WINDOW


class MediaRejected(Exception):
    """Media we will not keep: too big, or a type we do not take."""



def error_from(response: requests.Response) -> WhatsAppError:
    """Meta's error object of a failed response as a WhatsAppError (its HTTP status alone when
    the body carries none)."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return WhatsAppError(None, f"HTTP {response.status_code}", http_status=response.status_code)
    data = error.get("error_data") or {}
    details = data.get("details", "") if isinstance(data, dict) else ""
    code = error.get("code")
    return WhatsAppError(
        code if isinstance(code, int) else None,
        str(error.get("message") or error.get("type") or f"HTTP {response.status_code}"),
        http_status=response.status_code,
        details=str(details),
    )
