"""The two statements that store an inbound message (`bot/inbound_store.py`): the conversation
upserted with its sender's role, and the message inserted once per wamid; and the same two as
one statement on a driver connection (`DirectStore`), the webhook's path for plain messages.
"""

from __future__ import annotations

import functools
from datetime import datetime

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import bindparam, case, create_engine, event, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError

from bot.updates import StatusUpdate, status_advances
from core.models import (
    Conversation,
    ConversationRole,
    DeliveryStatus,
    Direction,
    Message,
    Role,
    User,
)

INT4 = range(-(2**31), 2**31)  # an `Integer` column


@functools.cache
def statements(dialect: str):
    """The two statements of `bot.inbound_store._store_message`, built once per dialect (building
    them costs more than running them).

    A new sender's role comes from the staff's phones in the same statement; an existing
    conversation gets its last-inbound time moved forward (never back) and the newest name.
    """
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    conversations, users, messages = Conversation.__table__, User.__table__, Message.__table__
    role = (
        select(case(
            (users.c.role.in_([Role.OWNER.value, Role.ADMIN.value]), ConversationRole.OWNER.value),
            else_=ConversationRole.TECHNICIAN.value,
        ))
        .where(users.c.org_id == bindparam("org_id"), users.c.phone == bindparam("phone"),
               users.c.active.is_(True))
        .limit(1)
        .scalar_subquery()
    )
    upsert = insert(conversations).values(
        org_id=bindparam("org_id"), wa_id=bindparam("wa_id"), wa_user_id=bindparam("wa_user_id"),
        phone=bindparam("phone"), profile_name=bindparam("profile_name"),
        role=func.coalesce(role, ConversationRole.CUSTOMER.value),
        slots=bindparam("slots", {}, type_=conversations.c.slots.type, literal_execute=False),
        misses=0, human_takeover=False, needs_person=False,
        last_inbound_at=bindparam("seen_at", type_=conversations.c.last_inbound_at.type),
        created_at=bindparam("now", type_=conversations.c.created_at.type),
    )
    excluded = upsert.excluded
    upsert = upsert.on_conflict_do_update(
        index_elements=["org_id", "wa_id"],
        set_={
            "last_inbound_at": case(
                (or_(conversations.c.last_inbound_at.is_(None),
                     conversations.c.last_inbound_at < excluded.last_inbound_at),
                 excluded.last_inbound_at),
                else_=conversations.c.last_inbound_at,
            ),
            "profile_name": func.coalesce(excluded.profile_name, conversations.c.profile_name),
            "wa_user_id": func.coalesce(conversations.c.wa_user_id, excluded.wa_user_id),
        },
    ).returning(conversations.c.id, conversations.c.wa_id)
    add = (
        insert(messages)
        .values(
            org_id=bindparam("org_id"), conversation_id=bindparam("conversation_id"),
            direction=Direction.INBOUND, type=bindparam("type"), body=bindparam("body"),
            media_id=bindparam("media_id"), media_mime=bindparam("media_mime"),
            wa_message_id=bindparam("wa_message_id"), status=DeliveryStatus.RECEIVED,
            wa_timestamp=bindparam("wa_timestamp", type_=messages.c.wa_timestamp.type),
            raw=bindparam("raw", type_=messages.c.raw.type),
            # Parsed once here (bot.payloads): nothing after the webhook reads `raw`.
            reply_id=bindparam("reply_id", type_=messages.c.reply_id.type),
            latitude=bindparam("latitude", type_=messages.c.latitude.type),
            longitude=bindparam("longitude", type_=messages.c.longitude.type),
            place_name=bindparam("place_name", type_=messages.c.place_name.type),
            place_address=bindparam("place_address", type_=messages.c.place_address.type),
            reacted_to=bindparam("reacted_to", type_=messages.c.reacted_to.type),
            revises=bindparam("revises", type_=messages.c.revises.type),
            transcript_status=bindparam("transcript_status"), attempts=0,
            processed_at=bindparam("processed_at", type_=messages.c.processed_at.type),
            burst_id=bindparam("burst_id"),
            created_at=bindparam("now", type_=messages.c.created_at.type),
        )
        .on_conflict_do_nothing(index_elements=["wa_message_id"])
        .returning(messages.c.id)
    )
    return upsert, add


# -- the webhook's direct path -------------------------------------------------------------------
# The same two writes as `statements` (keep them in step), as one statement: the conversation
# upserted, the message inserted once per wamid, the row ids back. Row-level security reads
# `app.org_id`, which SCOPE sets for the connection's session (see DirectStore). A parameter
# used twice is cast, or PostgreSQL may deduce two types for it.

SCOPE = "SELECT set_config('app.org_id', %s, false), set_config('app.scope', 'org', false)"

STORE = f"""
WITH conversation AS (
    INSERT INTO conversations AS c (org_id, wa_id, wa_user_id, phone, profile_name, role, slots,
                                    misses, human_takeover, needs_person, last_inbound_at, created_at)
    VALUES (%(org_id)s::integer, %(wa_id)s, %(wa_user_id)s, %(phone)s::varchar, %(profile_name)s,
            coalesce((SELECT CASE WHEN u.role IN ('{Role.OWNER.value}', '{Role.ADMIN.value}') THEN '{ConversationRole.OWNER.value}'
                                ELSE '{ConversationRole.TECHNICIAN.value}' END
                      FROM users AS u
                      WHERE u.org_id = %(org_id)s::integer AND u.phone = %(phone)s::varchar AND u.active IS true
                      LIMIT 1), '{ConversationRole.CUSTOMER.value}'),
            '{{}}'::jsonb, 0, false, false, %(seen_at)s, %(now)s::timestamptz)
    ON CONFLICT (org_id, wa_id) DO UPDATE SET
        last_inbound_at = CASE
            WHEN c.last_inbound_at IS NULL OR c.last_inbound_at < excluded.last_inbound_at
            THEN excluded.last_inbound_at ELSE c.last_inbound_at END,
        profile_name = coalesce(excluded.profile_name, c.profile_name),
        wa_user_id = coalesce(c.wa_user_id, excluded.wa_user_id)
    RETURNING c.id, c.wa_id
), message AS (
    INSERT INTO messages (org_id, conversation_id, direction, type, body, media_id, media_mime,
                          wa_message_id, status, wa_timestamp, raw, reply_id, latitude, longitude,
                          place_name, place_address, reacted_to, revises, transcript_status,
                          attempts, processed_at, burst_id, created_at)
    VALUES (%(org_id)s::integer, (SELECT id FROM conversation), '{Direction.INBOUND.value}', %(type)s, %(body)s, %(media_id)s,
            %(media_mime)s, %(wa_message_id)s, '{DeliveryStatus.RECEIVED.value}', %(wa_timestamp)s, %(raw)s, %(reply_id)s,
            %(latitude)s, %(longitude)s, %(place_name)s, %(place_address)s, %(reacted_to)s,
            %(revises)s, %(transcript_status)s, 0, %(processed_at)s, %(burst_id)s, %(now)s::timestamptz)
    ON CONFLICT (wa_message_id) DO NOTHING
    RETURNING id
)
SELECT conversation.id, conversation.wa_id, (SELECT id FROM message) FROM conversation
"""


# A delivery status moved forward, as `bot.inbound_store.apply_status` does through the session:
# the outbound message found by its wamid, updated only from a status the new one may follow (a
# compare-and-set, so two racing statuses cannot both win). Its id and the moved row's id back.
STATUS = f"""
WITH target AS (
    SELECT id FROM messages
    WHERE wa_message_id = %(wa_message_id)s AND direction = '{Direction.OUTBOUND.value}'
), moved AS (
    UPDATE messages AS m
    SET status = %(status)s, status_at = %(status_at)s,
        error_code = CASE WHEN %(with_error)s THEN %(error_code)s::integer ELSE m.error_code END,
        error_title = CASE WHEN %(with_error)s THEN %(error_title)s::varchar ELSE m.error_title END
    FROM target
    WHERE m.id = target.id AND m.status = ANY(%(advances_from)s::varchar[])
    RETURNING m.id
)
SELECT (SELECT id FROM target LIMIT 1), (SELECT id FROM moved LIMIT 1)
"""


# Every status a message can be in, for the statuses a new one may follow (status_advances).
_STATUSES = tuple(d.value for d in DeliveryStatus)


def status_row(s: StatusUpdate, at: datetime) -> dict:
    """`bot.inbound_store.apply_status`'s decisions, made before the one statement (STATUS)."""
    try:
        new_status = DeliveryStatus(s.status).value
        advances_from = [current for current in _STATUSES if status_advances(current, s.status)]
    except ValueError:  # not a status we keep: it moves nothing, but the lookup still runs
        new_status, advances_from = None, []
    with_error = new_status == DeliveryStatus.FAILED.value and bool(s.errors)
    code = s.errors[0].code if with_error else None
    in_range = isinstance(code, int) and code in INT4  # `None in range(...)` walks the range
    return {
        "wa_message_id": s.wa_message_id, "status": new_status, "status_at": at,
        "advances_from": advances_from, "with_error": with_error,
        "error_code": code if in_range else None, "out_of_range": code is not None and not in_range,
        "error_title": (s.errors[0].title or "")[:200] if with_error else None,
    }


class StoreFailed(Exception):
    """The direct path could not store (a value refused, the connection gone): nothing of it was
    committed, and the caller stores the same messages through the session instead."""


class DirectStore:
    """Plain inbound messages and delivery statuses written on driver connections, in one
    round trip to PostgreSQL.

    Through a session the same writes cost ~5 ms of CPU per post (session setup, the tenancy
    hooks, compiled-statement caching) and five round trips. These connections come from a
    small pool of their own that nothing else uses, so the organization scope row-level
    security reads is set for the connection's session (SCOPE, set_config(..., false)) and
    kept while its posts are for the same organization: a post with one message is then one
    statement in autocommit, its own transaction. Several statements are sent pipelined
    between BEGIN and COMMIT, the scope first when it changes. The pool does not ping before
    use: a connection that died raises here, is dropped, and the caller stores the post through
    the session (which pings). Built lazily; disposed with the application's engine.
    """

    SCOPED = "campotech.direct_org_id"  # in the connection's `info`: the organization its scope is

    def __init__(self, engine, size: int = 4):
        self._source = engine
        self._engine = None
        self._size = size
        event.listen(engine, "engine_disposed", self._dispose)

    def _dispose(self, _engine=None) -> None:
        # Its connections closed; the engine stays usable (a new pool, the dialect known).
        if self._engine is not None:
            self._engine.dispose()

    def _pool(self):
        if self._engine is None:
            self._engine = create_engine(self._source.url, pool_size=self._size,
                                         max_overflow=self._size, pool_pre_ping=False)
        return self._engine

    def store(self, org_id: int, rows: list[dict], status_rows: list[dict] = ()
              ) -> tuple[list[tuple[int, str, int | None]], list[tuple[int | None, int | None]]]:
        """Per message row (conversation id, its wa_id, the new message's id or None for a known
        wamid) and per status row (the message's id or None, the id again if it moved), all
        committed in one transaction; StoreFailed if anything went wrong (then nothing was)."""
        statements = [(STORE, {**row, "raw": Jsonb(row["raw"])}) for row in rows]
        statements += [(STATUS, row) for row in status_rows]
        try:
            proxy = self._pool().raw_connection()
        except (DBAPIError, psycopg.Error) as exc:  # the pool does not wrap a failed connect
            raise StoreFailed(f"{type(exc).__name__}: {exc}") from exc
        try:
            conn = proxy.driver_connection
            if not conn.autocommit:
                conn.autocommit = True
            if proxy.info.get(self.SCOPED) == org_id and len(statements) == 1:
                results = [conn.execute(*statements[0]).fetchone()]
            else:
                # Forgotten until set again: a failure below leaves it unknown.
                proxy.info.pop(self.SCOPED, None)
                with conn.pipeline():
                    conn.execute(SCOPE, (str(org_id),))
                    if len(statements) > 1:
                        conn.execute("BEGIN")
                    cursors = [conn.execute(sql, params) for sql, params in statements]
                    if len(statements) > 1:
                        conn.execute("COMMIT")
                results = [cursor.fetchone() for cursor in cursors]
                proxy.info[self.SCOPED] = org_id
            return results[:len(rows)], results[len(rows):]
        except (psycopg.Error, UnicodeEncodeError) as exc:
            # Whatever state it was left in (an aborted transaction, a dead socket), not reused.
            proxy.info.pop(self.SCOPED, None)
            proxy.invalidate(exc)
            raise StoreFailed(f"{type(exc).__name__}: {exc}") from exc
        finally:
            proxy.close()
