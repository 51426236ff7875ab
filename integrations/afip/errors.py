"""What can go wrong when talking to AFIP, as exceptions the invoicing service can act on."""

from __future__ import annotations

from datetime import datetime


class AfipError(Exception):
    """Anything AFIP-related that did not work; `code` is AFIP's (or ours) when there is one."""

    def __init__(self, message: str, code: str | int | None = None):
        super().__init__(message if code is None else f"{message} ({code})")
        self.code = code
        self.message = message


class AfipUnavailable(AfipError):
    """AFIP could not be reached, answered 5xx, or says it is down: nothing happened, retry."""


class AfipTimeout(AfipUnavailable):
    """The request went out and no answer came back: AFIP may have acted on it."""


class AfipRejected(AfipError):
    """AFIP answered with errors instead of a result."""

    def __init__(self, errors: list[tuple[int, str]], message: str | None = None):
        text = message or "; ".join(f"{code}: {msg}" for code, msg in errors) or "rejected"
        super().__init__(text, errors[0][0] if errors else None)
        self.errors = errors


class AfipAuthError(AfipError):
    """WSAA refused the certificate, or WSFE/Padrón refused the ticket (token or sign)."""


class AlreadyAuthenticated(AfipAuthError):
    """WSAA still holds a valid ticket for this certificate and service, and we lost ours."""

    def __init__(self, message: str, code: str | int | None = "coe.alreadyAuthenticated",
                 retry_after: datetime | None = None):
        super().__init__(message, code)
        self.retry_after = retry_after
