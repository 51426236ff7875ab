"""What the public pages reached by a signed token (`/t/…`, `/i/….pdf`) add to every answer."""

from __future__ import annotations

from flask import Response


def private(response: Response) -> Response:
    """The token is the key to the page: no cache keeps it, no other site is told its address,
    and no search engine lists it."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
