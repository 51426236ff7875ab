"""Work a service asks for that must wait until its transaction commits: authorizing an
invoice, looking a CUIT up in AFIP's padrón.

Kept on the SQLAlchemy session (`session.info`), so a rolled-back transaction takes its
requests with it; `core.db.Database` hands them to its after-commit hook once the transaction
commits. Each name is a `services.dispatch.Dispatcher` method taking (org_id, *args).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

KEY = "campotech.deferred"
TASKS = frozenset({"issue_invoice", "lookup_cuit"})


def defer(session: Session, task: str, *args: object) -> None:
    if task not in TASKS:
        raise ValueError(f"unknown deferred task {task!r}")
    session.info.setdefault(KEY, []).append((task, args))


def take(session: Session) -> list[tuple[str, tuple]]:
    """The requests made in this session so far, forgetting them."""
    return list(session.info.pop(KEY, []))
