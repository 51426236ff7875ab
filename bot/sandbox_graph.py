"""A local stand-in for Meta's Graph API: what `make run` talks to when no token is configured.

It accepts heyoo's real HTTP calls (`POST /{version}/{phone-number-id}/messages`, media upload,
`GET /{version}/{media-id}` then the download URL), checks them the way Meta does (bearer token,
message shape, WhatsApp's limits) and answers in Meta's wire format, recording every accepted
message in Redis. The simulator page, `python -m bot chat` and the tests read the record back.

Faults can be queued (`POST /_faults`) so a test or a curious developer can watch the bot
handle Meta's errors: the next matching send answers with that error code, or after a delay.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from redis import Redis

from services import app_parts as parts

bp = Blueprint("sandbox_graph", __name__)

SENT = "campotech:sandbox:sent"
READ = "campotech:sandbox:read"
FAULTS = "campotech:sandbox:faults"
MEDIA = "campotech:sandbox:media:{id}"
# Every accepted send and read mark, in order, for benches: read with a cursor (`feed_after`),
# so counting replies never means re-reading and re-parsing the whole record.
FEED = "campotech:sandbox:feed"
KEEP = 2000  # recorded messages kept (newest)
FEED_KEEP = 20_000  # feed entries kept (about; a bench reads them as they come)
MEDIA_TTL = 7 * 86400

SENDABLE = {"text", "interactive", "template", "document", "location", "image", "audio", "video",
            "sticker", "contacts", "reaction"}


class GraphError(Exception):
    def __init__(self, code: int, message: str, http_status: int = 400, details: str = "",
                 type_: str = "OAuthException"):
        super().__init__(message)
        self.code, self.message, self.http_status = code, message, http_status
        self.details, self.type = details, type_

    def response(self) -> tuple[Response, int]:
        error: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code,
                                 "fbtrace_id": secrets.token_urlsafe(12)}
        if self.details:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        return jsonify(error=error), self.http_status


def _invalid(details: str) -> GraphError:
    return GraphError(100, "(#100) Invalid parameter", 400, details)



@bp.errorhandler(GraphError)
def _graph_error(err: GraphError):
    return err.response()


@bp.before_request
def _bearer() -> None:
    if request.endpoint in {"sandbox_graph.faults", "sandbox_graph.clear_faults", "sandbox_graph.upload_raw"}:
        return
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not header[7:].strip():
        raise GraphError(190, "Invalid OAuth access token - Cannot parse access token", 401)


# -- messages -------------------------------------------------------------------------------

@bp.post("/<version>/<phone_number_id>/messages")
def messages(version: str, phone_number_id: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise _invalid("The request body must be a JSON object")
    if body.get("messaging_product") != "whatsapp":
        raise _invalid("messaging_product is required and must be 'whatsapp'")
    redis = parts.redis(current_app)
    if body.get("status") == "read":
        if not body.get("message_id"):
            raise _invalid("message_id is required")
        at = time.time()
        pipe = redis.pipeline()
        pipe.rpush(READ, json.dumps({"message_id": body["message_id"], "at": at}))
        pipe.ltrim(READ, -KEEP, -1)
        pipe.xadd(FEED, {"kind": "read", "message_id": str(body["message_id"]), "at": repr(at)},
                  maxlen=FEED_KEEP, approximate=True)
        pipe.execute()
        return jsonify(success=True)
    to = str(body.get("to") or "")
    if not to.isdigit() or not 8 <= len(to) <= 15:
        raise GraphError(131009, "(#131009) Parameter value is not valid", 400,
                         "The recipient phone number is not a valid phone number")
    kind = body.get("type", "text")
    if kind not in SENDABLE:
        raise _invalid(f"Unsupported message type {kind}")
    _validate(kind, body)
    _apply_fault(redis, to)
    wamid = "wamid.SANDBOX" + base64.b32encode(secrets.token_bytes(15)).decode().rstrip("=")
    record = {"wamid": wamid, "to": to, "type": kind, "phone_number_id": phone_number_id,
              "version": version, "payload": body, "at": time.time(), "preview": preview(body)}
    raw = json.dumps(record, ensure_ascii=False)
    pipe = redis.pipeline()
    pipe.rpush(SENT, raw)
    pipe.ltrim(SENT, -KEEP, -1)
    pipe.xadd(FEED, {"kind": "message", "record": raw}, maxlen=FEED_KEEP, approximate=True)
    pipe.execute()
    return jsonify(messaging_product="whatsapp", contacts=[{"input": to, "wa_id": to}],
                   messages=[{"id": wamid}])


def _require(condition: bool, details: str) -> None:
    if not condition:
        raise _invalid(details)


def _validate(kind: str, body: dict) -> None:
    """The checks Meta makes that our replies could plausibly get wrong."""
    part = body.get(kind)
    _require(isinstance(part, dict), f"{kind} object is required")
    if kind == "text":
        text = part.get("body")
        _require(isinstance(text, str) and text.strip() != "", "text.body is required")
        _require(len(text) <= 4096, "text.body is too long (max 4096)")
    elif kind == "interactive":
        _require(isinstance(part.get("body"), dict) and bool(part["body"].get("text")),
                 "interactive.body.text is required")
        _require(len(part["body"]["text"]) <= 1024, "interactive.body.text is too long (max 1024)")
        action = part.get("action") or {}
        if part.get("type") == "button":
            buttons = action.get("buttons") or []
            _require(1 <= len(buttons) <= 3, "interactive buttons: 1 to 3 are allowed")
            for b in buttons:
                title = (b.get("reply") or {}).get("title", "")
                _require(b.get("type") == "reply" and 0 < len(title) <= 20,
                         "button title is required, max 20 characters")
        elif part.get("type") == "list":
            _require(0 < len(action.get("button") or "") <= 20, "list button text max 20 characters")
            rows = [r for s in action.get("sections") or [] for r in s.get("rows") or []]
            _require(1 <= len(rows) <= 10, "a list has 1 to 10 rows")
            for r in rows:
                _require(0 < len(r.get("title") or "") <= 24, "row title max 24 characters")
                _require(len(r.get("description") or "") <= 72, "row description max 72 characters")
        else:
            raise _invalid("interactive.type must be button or list")
    elif kind == "template":
        _require(bool(part.get("name")), "template.name is required")
        _require(bool((part.get("language") or {}).get("code")), "template.language.code is required")
    elif kind in {"document", "image", "audio", "video", "sticker"}:
        _require(bool(part.get("link")) != bool(part.get("id")), f"{kind} needs exactly one of link or id")
        for key in ("caption", "filename"):
            _require(part.get(key) is None or isinstance(part[key], str), f"{kind}.{key} must be a string")
    elif kind == "location":
        for key, bound in (("latitude", 90), ("longitude", 180)):
            try:
                _require(abs(float(part.get(key))) <= bound, f"location.{key} out of range")
            except (TypeError, ValueError):
                raise _invalid(f"location.{key} is required") from None


def preview(body: dict) -> str:
    """One readable line for what was sent."""
    kind = body.get("type", "text")
    part = body.get(kind) or {}
    if kind == "text":
        return part.get("body", "")
    if kind == "interactive":
        action = part.get("action") or {}
        text = (part.get("body") or {}).get("text", "")
        if part.get("type") == "button":
            titles = [(b.get("reply") or {}).get("title", "") for b in action.get("buttons") or []]
        else:
            titles = [r.get("title", "") for s in action.get("sections") or [] for r in s.get("rows") or []]
        return f"{text} [{' | '.join(titles)}]"
    if kind == "template":
        params = [p.get("text", "") for c in part.get("components") or [] for p in c.get("parameters") or []]
        return f"[plantilla {part.get('name')}] " + " / ".join(params)
    if kind == "document":
        return f"📄 {part.get('filename') or part.get('link') or part.get('id')}" + (
            f" — {part['caption']}" if part.get("caption") else "")
    if kind == "location":
        return f"📍 {part.get('name') or ''} {part.get('address') or ''}".strip()
    return f"[{kind}]"


# -- faults ---------------------------------------------------------------------------------

def add_fault(redis: Redis, *, code: int | None = None, http_status: int = 400, title: str = "",
              count: int = 1, to: str | None = None, delay_ms: int = 0) -> None:
    redis.rpush(FAULTS, json.dumps({"code": code, "http_status": http_status, "title": title,
                                    "count": count, "to": to, "delay_ms": delay_ms}))


# Claim the first fault for this recipient (or for anyone) and spend one of its uses, atomically.
_TAKE_FAULT = """
local faults = redis.call('LRANGE', KEYS[1], 0, -1)
for i, raw in ipairs(faults) do
  local f = cjson.decode(raw)
  if f['to'] == cjson.null or f['to'] == ARGV[1] then
    f['count'] = f['count'] - 1
    if f['count'] <= 0 then
      redis.call('LSET', KEYS[1], i - 1, '__gone__')
      redis.call('LREM', KEYS[1], 1, '__gone__')
    else
      redis.call('LSET', KEYS[1], i - 1, cjson.encode(f))
    end
    return raw
  end
end
return false
"""


def _apply_fault(redis: Redis, to: str) -> None:
    raw = redis.eval(_TAKE_FAULT, 1, FAULTS, to)
    if not raw:
        return
    fault = json.loads(raw)
    if fault.get("delay_ms"):
        time.sleep(fault["delay_ms"] / 1000)
    if fault.get("code") is not None:
        code = int(fault["code"])
        raise GraphError(code, fault.get("title") or f"(#{code}) error", int(fault.get("http_status") or 400),
                         fault.get("title") or "")


@bp.post("/_faults")
def faults():
    spec = request.get_json(silent=True) or {}
    try:
        add_fault(parts.redis(current_app), code=spec.get("code"), http_status=int(spec.get("http_status", 400)),
                  title=str(spec.get("title", "")), count=int(spec.get("count", 1)),
                  to=spec.get("to"), delay_ms=int(spec.get("delay_ms", 0)))
    except (TypeError, ValueError):
        return jsonify(error="code, http_status, count and delay_ms must be numbers"), 400
    return jsonify(queued=True), 201


@bp.delete("/_faults")
def clear_faults():
    parts.redis(current_app).delete(FAULTS)
    return "", 204


# -- media ----------------------------------------------------------------------------------

def store_media(redis: Redis, content: bytes, mime: str) -> str:
    media_id = str(10**15 + secrets.randbelow(9 * 10**15))
    key = MEDIA.format(id=media_id)
    redis.hset(key, mapping={"content": content, "mime": mime})
    redis.expire(key, MEDIA_TTL)
    return media_id


def load_media(redis: Redis, media_id: str) -> tuple[bytes, str] | None:
    data = redis.hgetall(MEDIA.format(id=media_id))
    if not data:
        return None
    mime = data.get(b"mime", data.get("mime", b""))
    return data.get(b"content", data.get("content")), mime.decode() if isinstance(mime, bytes) else mime


@bp.post("/_media")
def upload_raw():
    """For the simulator and tests: the media a customer 'sent', as a raw body."""
    content = request.get_data()
    if not content:
        return jsonify(error="empty body"), 400
    return jsonify(id=store_media(parts.redis(current_app), content, request.mimetype or "application/octet-stream")), 201


@bp.post("/<version>/<phone_number_id>/media")
def upload(version: str, phone_number_id: str):
    """Meta's media upload (multipart `file`, `type`, `messaging_product`)."""
    file = request.files.get("file")
    if file is None:
        raise _invalid("file is required")
    content = file.read()
    mime = request.form.get("type") or file.mimetype or "application/octet-stream"
    return jsonify(id=store_media(parts.redis(current_app), content, mime))


@bp.get("/<version>/<media_id>")
def media_info(version: str, media_id: str):
    found = load_media(parts.redis(current_app), media_id)
    if found is None:
        raise GraphError(100, "(#100) Invalid media id", 404, f"media {media_id} not found")
    content, mime = found
    return jsonify(
        messaging_product="whatsapp", id=media_id, mime_type=mime, file_size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        url=url_for("sandbox_graph.download", media_id=media_id, _external=True),
    )


@bp.get("/_download/<media_id>")
def download(media_id: str):
    found = load_media(parts.redis(current_app), media_id)
    if found is None:
        return Response("not found", status=404)
    content, mime = found
    return Response(content, mimetype=mime)


# -- the record -----------------------------------------------------------------------------

def recorded(redis: Redis, to: str | None = None, since: float | None = None) -> list[dict]:
    """Messages the bot sent through the sandbox, oldest first."""
    out = []
    for raw in redis.lrange(SENT, 0, -1):
        item = json.loads(raw)
        if to is not None and item["to"] != to:
            continue
        if since is not None and item["at"] <= since:
            continue
        out.append(item)
    return out


def feed_after(redis: Redis, cursor: str = "0", *, block_ms: int | None = None,
               count: int = 1000) -> tuple[str, list[dict]]:
    """What the stand-in accepted after `cursor` (sends as their record with `kind` "message",
    read marks as {"kind": "read", "message_id", "at"}), oldest first, and the cursor to pass
    next; with `block_ms`, waits that long for something new. "0" reads from the oldest kept."""
    answer = redis.xread({FEED: cursor}, count=count, block=block_ms)
    out = []
    for _stream, entries in answer or ():
        for entry_id, fields in entries:
            cursor = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
            fields = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
                      for k, v in fields.items()}
            if fields.get("kind") == "message":
                out.append({**json.loads(fields["record"]), "kind": "message"})
            else:
                out.append({"kind": fields.get("kind"), "message_id": fields.get("message_id"),
                            "at": float(fields.get("at") or 0)})
    return cursor, out


def read_marks(redis: Redis) -> list[str]:
    return [json.loads(raw)["message_id"] for raw in redis.lrange(READ, 0, -1)]


def clear(redis: Redis) -> None:
    redis.delete(SENT, READ, FAULTS, FEED)
