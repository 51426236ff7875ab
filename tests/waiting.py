"""Waiting in tests: poll a condition against a deadline, never sleep a guessed while.

`wait_until` is the one loop the suites use to wait for a worker, a server or a process;
`settled` turns "until it stops changing" (replies no longer arriving, the background going
idle) into a condition it can poll.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], timeout: float, *, every: float = 0.05,
               what: str = "the condition") -> T:
    """Call `condition` until it returns something truthy, and return that; TimeoutError naming
    `what` once `timeout` seconds have passed without it. It is always called at least once."""
    deadline = time.monotonic() + timeout
    while True:
        if result := condition():
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


def settled(read: Callable[[], T], seconds: float) -> Callable[[], T | None]:
    """A condition for `wait_until`: `read()`'s value once it has been truthy and the same for
    `seconds` in a row (with 0, as soon as it is truthy)."""
    last: T | None = None
    since: float | None = None

    def check() -> T | None:
        nonlocal last, since
        value = read()
        if not value:
            last, since = None, None
            return None
        if since is None or value != last:
            last, since = value, time.monotonic()
        return value if time.monotonic() - since >= seconds else None

    return check
