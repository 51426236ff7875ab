"""Domain exceptions, translated to HTTP codes or user messages once, at the edge."""

from __future__ import annotations


class DomainError(Exception):
    """Base for errors a caller can show to a person."""


class ValidationFailed(DomainError):
    """Input that a service refuses; `errors` maps field to a plain message."""

    def __init__(self, message: str, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.errors = errors or {}


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass


class InvalidTransition(DomainError):
    def __init__(self, entity: str, current: str, target: str, allowed: list[str]):
        self.current, self.target, self.allowed = current, target, allowed
        allowed_txt = ", ".join(allowed) if allowed else "none (final state)"
        super().__init__(f"{entity} cannot go from {current} to {target}; allowed: {allowed_txt}")


class TenancyError(DomainError):
    """A query or write that would cross organizations, or has no organization at all."""


class SecretError(DomainError):
    """A secret that cannot be decrypted (wrong or missing key, tampered ciphertext)."""
