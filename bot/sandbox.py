"""The sandbox: chat with the bot locally, no Meta account needed (registered only without a token).

- `GET /sandbox` — the simulator page: pick a phone, type, tap buttons, share a location,
  upload a voice note or a photo, react to the bot's messages, send a sticker, and see the
  bot's answers with their delivery ticks.
- `POST /sandbox/send` — what the page and `python -m bot chat` call: the action becomes the
  exact payload Meta would post, signed with the app secret, and goes through the real webhook.
- `POST /sandbox/receipts` — the page is the customer's phone: it reports the bot's messages
  as delivered (shown) and read (seen on a visible screen); each becomes Meta's status webhook,
  through the real webhook path, so the stored message's status moves as in production. The
  answer carries each message's stored status, for the ticks.
- `GET /sandbox/messages?wa_id=&since=` — what the bot sent to a phone, as JSON.
- `GET /sandbox/media/<id>` — media the bot sent or a user uploaded, to open in the browser.
- `GET /sandbox/static/...` — the page's script, styles and stickers.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from sqlalchemy import select

from bot import sandbox_graph, simulator, webhook
from core.db import Database
from core.models import Message
from core.organizations import find_by_phone_number_id
from services import app_parts as parts

log = logging.getLogger("campotech.bot.sandbox")

STATIC = Path(__file__).with_name("sandbox_static")
bp = Blueprint("sandbox", __name__, static_folder=str(STATIC), static_url_path="/sandbox/static")

# The stickers the page offers (WhatsApp's shape: 512x512 WebP), by name, with what they say.
STICKERS = {"dale": "¡Dale!", "gracias": "¡Gracias!", "jaja": "Jaja"}
RECEIPTS = ("delivered", "read")  # what a phone reports; "sent" is the sender's own
RECEIPTS_MAX = 50  # wamids per receipts call





@bp.get("/sandbox")
def page():
    settings = parts.settings(current_app)
    phones = simulator.phone_book(parts.db(current_app), settings.whatsapp_phone_number_id)
    return render_template("sandbox.html", phones=phones, stickers=STICKERS)


@bp.post("/sandbox/send")
def send():
    settings = parts.settings(current_app)
    form = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if not isinstance(form, dict):
        return jsonify(error="Mandá un objeto JSON o un formulario."), 400
    media_id = media_mime = None
    upload = request.files.get("file")
    if upload is not None:
        content = upload.read(settings.media_max_bytes * 2 + 1)
        if not content:
            return jsonify(error="El archivo está vacío."), 400
        if len(content) > settings.media_max_bytes * 2:
            return jsonify(error="El archivo es demasiado grande para el simulador."), 413
        media_mime = upload.mimetype or "application/octet-stream"
        if form.get("kind") == "sticker" and media_mime != "image/webp":
            return jsonify(error="Un sticker tiene que ser una imagen WebP."), 400
        media_id = sandbox_graph.store_media(parts.redis(current_app), content, media_mime)
        form.setdefault("kind", simulator.kind_for_mime(media_mime))
        form.setdefault("filename", upload.filename or "archivo")
    elif form.get("kind") == "sticker":
        name = str(form.get("sticker") or "")
        if name not in STICKERS:
            return jsonify(error="Elegí uno de los stickers."), 400
        media_mime = "image/webp"
        media_id = sandbox_graph.store_media(parts.redis(current_app), (STATIC / "stickers" / f"{name}.webp").read_bytes(),
                                             media_mime)
    try:
        payload = simulator.inbound_payload(settings.whatsapp_phone_number_id, form, media_id, media_mime)
    except simulator.SimulatorError as exc:
        return jsonify(error=str(exc)), 400
    body = simulator.encode(payload)
    at = time.time()
    # Through the real webhook, signature and all: the sandbox exercises the production path.
    result, status = webhook.handle(body, simulator.sign(settings.whatsapp_app_secret, body),
                                    settings, webhook.transport())
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    if status != 200:
        log.warning("sandbox message refused by the webhook: %s %s", status, result)
        return jsonify(error="El webhook no aceptó el mensaje.", webhook_status=status, detail=result), 502
    return jsonify(wamid=message["id"], type=message["type"], at=at, media_id=media_id,
                   stored=result.get("stored", 0))


@bp.post("/sandbox/receipts")
def receipts():
    """`{"wa_id", "delivered": [wamid...], "read": [wamid...], "mine": [wamid...]}`: emit the
    phone's receipts for the bot's messages and answer their stored statuses, plus which of
    the phone's own messages (`mine`) the bot has marked as read."""
    settings = parts.settings(current_app)
    form = request.get_json(silent=True)
    if not isinstance(form, dict):
        return jsonify(error="Mandá un objeto JSON."), 400
    wa_id = str(form.get("wa_id") or "")
    lists = {key: form.get(key) or [] for key in (*RECEIPTS, "mine")}
    if not all(isinstance(v, list) and len(v) <= RECEIPTS_MAX and all(isinstance(i, str) for i in v)
               for v in lists.values()):
        return jsonify(error=f"delivered, read y mine son listas de hasta {RECEIPTS_MAX} ids."), 400
    wanted = {wamid: state for state in RECEIPTS for wamid in lists[state]}  # read wins
    if wanted:
        # Only for what the stand-in delivered to this phone: the page cannot speak for others.
        ours = {m["wamid"] for m in sandbox_graph.recorded(parts.redis(current_app), to=wa_id)}
        wanted = {wamid: state for wamid, state in wanted.items() if wamid in ours}
        for wamid, state in wanted.items():
            body = simulator.encode(simulator.status(settings.whatsapp_phone_number_id, wamid, wa_id, state))
            result, code = webhook.handle(body, simulator.sign(settings.whatsapp_app_secret, body),
                                          settings, webhook.transport())
            if code != 200:
                log.warning("sandbox receipt refused by the webhook: %s %s", code, result)
    seen = set(sandbox_graph.read_marks(parts.redis(current_app))) & set(lists["mine"]) if lists["mine"] else set()
    return jsonify(statuses=delivery_states(parts.db(current_app), settings.whatsapp_phone_number_id, list(wanted)),
                   seen=sorted(seen))


def delivery_states(db: Database, phone_number_id: str, wamids: list[str]) -> dict[str, str]:
    """The stored delivery status of each of our messages among `wamids` (unknown ones left out:
    the sender may not have recorded the wamid Meta gave it yet)."""
    if not wamids:
        return {}
    with db.system_session() as session:
        org = find_by_phone_number_id(session, phone_number_id)
        org_id = org.id if org else None
    if org_id is None:
        return {}
    with db.org_session(org_id) as session:
        rows = session.execute(select(Message.wa_message_id, Message.status)
                               .where(Message.wa_message_id.in_(wamids)))
        return {wamid: str(status) for wamid, status in rows}


@bp.get("/sandbox/messages")
def messages():
    wa_id = request.args.get("wa_id") or None
    try:
        since = float(request.args["since"]) if request.args.get("since") else None
    except ValueError:
        return jsonify(error="since must be a number (epoch seconds)"), 400
    return jsonify(messages=sandbox_graph.recorded(parts.redis(current_app), to=wa_id, since=since), now=time.time())


@bp.get("/sandbox/media/<media_id>")
def media(media_id: str):
    found = sandbox_graph.load_media(parts.redis(current_app), media_id)
    if found is None:
        return Response("No encontré ese archivo (el sandbox guarda los archivos una semana).", 404)
    content, mime = found
    return Response(content, mimetype=mime)
