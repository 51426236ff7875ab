"""The one mechanism that scopes every query and write to one organization.

The ORM adds `org_id = :current` to every SELECT/UPDATE/DELETE that touches an organization
row and stamps new rows; PostgreSQL enforces the same with row-level security keyed on
`app.org_id`, set per transaction, so raw SQL cannot cross organizations either.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import event, text
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from core.errors import TenancyError
from core.models.base import OrgScoped
from core.models.organization import Organization

SCOPE_KEY = "campotech.scope"


@dataclass(frozen=True)
class Scope:
    org_id: int | None
    system: bool = False


def org_scope(org_id: int) -> Scope:
    if not isinstance(org_id, int) or isinstance(org_id, bool) or org_id <= 0:
        raise TenancyError(f"invalid organization id {org_id!r}")
    return Scope(org_id=org_id)


def system_scope() -> Scope:
    return Scope(org_id=None, system=True)


def current_scope(session: Session) -> Scope:
    scope = session.info.get(SCOPE_KEY)
    if scope is None:
        raise TenancyError("session has no tenant scope; use Database.org_session()")
    return scope


def current_org_id(session: Session) -> int:
    scope = current_scope(session)
    if scope.org_id is None:
        raise TenancyError("this operation needs an organization scope")
    return scope.org_id


def enter_org(session: Session, org_id: int) -> None:
    """Switch a session into a freshly created organization (sign-up, seeding)."""
    session.info[SCOPE_KEY] = org_scope(org_id)
    _apply_db_setting(session.connection(), session.info[SCOPE_KEY])


def _apply_db_setting(connection, scope: Scope) -> None:
    if connection.dialect.name != "postgresql":
        return
    # psycopg 3 binds server-side, so SET LOCAL cannot take a parameter: set_config(..., true).
    connection.execute(
        text("SELECT set_config('app.org_id', :org, true), set_config('app.scope', :scope, true)"),
        {"org": str(scope.org_id or ""), "scope": "system" if scope.system else "org"},
    )


@event.listens_for(Session, "after_begin")
def _set_transaction_scope(session: Session, transaction, connection) -> None:
    scope = session.info.get(SCOPE_KEY)
    # A savepoint inherits its transaction's settings (and one rolled back restores the same).
    if scope is not None and not connection.in_nested_transaction():
        _apply_db_setting(connection, scope)


def _touches_org_data(state: ORMExecuteState) -> bool:
    return any(issubclass(m.class_, OrgScoped) for m in state.all_mappers)


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    if state.is_column_load:
        return
    scope = state.session.info.get(SCOPE_KEY)
    if scope is None:
        if _touches_org_data(state) or any(
            m.class_ is Organization for m in state.all_mappers
        ):
            raise TenancyError("query without a tenant scope; use Database.org_session()")
        return
    if scope.system:
        if not state.is_select:
            raise TenancyError("the system scope is read-only")
        return
    state.statement = state.statement.options(*_org_criteria(scope.org_id))


@lru_cache(maxsize=4096)
def _org_criteria(org_id: int) -> tuple:
    """The options that keep an ORM statement inside one organization, built once per org: a
    `with_loader_criteria` analyses its lambda when made, which cost about as much as the rest
    of a small statement's ORM work."""
    return (
        with_loader_criteria(OrgScoped, lambda cls: cls.org_id == org_id, include_aliases=True),
        with_loader_criteria(Organization, lambda cls: cls.id == org_id, include_aliases=True),
    )


@event.listens_for(Session, "before_flush")
def _stamp_and_guard(session: Session, flush_context, instances) -> None:
    scope = session.info.get(SCOPE_KEY)
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Organization):
            if scope is None or (scope.org_id not in (None, obj.id) and obj not in session.new):
                raise TenancyError("cannot write another organization")
            if scope.system and obj not in session.new:
                raise TenancyError("the system scope is read-only")
            continue
        if not isinstance(obj, OrgScoped):
            continue
        if scope is None or scope.org_id is None:
            raise TenancyError("writes to organization data need an organization scope")
        if obj in session.new and obj.org_id is None:
            obj.org_id = scope.org_id
        elif obj.org_id != scope.org_id:
            raise TenancyError(
                f"{type(obj).__name__} belongs to organization {obj.org_id}, "
                f"not {scope.org_id}"
            )
