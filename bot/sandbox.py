"""The sandbox: chat with the bot locally, no Meta account needed (registered only without a token).

- `GET /sandbox` — the simulator page: pick a phone, type, tap buttons, share a location,
  upload a voice note or a photo, and see the bot's answers.
- `POST /sandbox/send` — what the page and `python -m bot chat` call: the action becomes the
  exact payload Meta would post, signed with the app secret, and goes through the real webhook.
- `GET /sandbox/messages?wa_id=&since=` — what the bot sent to a phone, as JSON.
- `GET /sandbox/media/<id>` — media the bot sent or a user uploaded, to open in the browser.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from bot import sandbox_graph, simulator, webhook

log = logging.getLogger("campotech.bot.sandbox")

bp = Blueprint("sandbox", __name__)


def _settings():
    return current_app.extensions["campotech.settings"]


def _redis():
    return current_app.extensions["campotech.redis"]


@bp.get("/sandbox")
def page():
    settings = _settings()
    phones = simulator.phone_book(current_app.extensions["campotech.db"], settings.whatsapp_phone_number_id)
    return render_template("sandbox.html", phones=phones)


@bp.post("/sandbox/send")
def send():
    settings = _settings()
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
        media_id = sandbox_graph.store_media(_redis(), content, media_mime)
        form.setdefault("kind", simulator.kind_for_mime(media_mime))
        form.setdefault("filename", upload.filename or "archivo")
    try:
        payload = simulator.inbound_payload(settings.whatsapp_phone_number_id, form, media_id, media_mime)
    except simulator.SimulatorError as exc:
        return jsonify(error=str(exc)), 400
    body = simulator.encode(payload)
    at = time.time()
    # Through the real webhook, signature and all: the sandbox exercises the production path.
    result, status = webhook.handle(body, simulator.sign(settings.whatsapp_app_secret, body))
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    if status != 200:
        log.warning("sandbox message refused by the webhook: %s %s", status, result)
        return jsonify(error="El webhook no aceptó el mensaje.", webhook_status=status, detail=result), 502
    return jsonify(wamid=message["id"], type=message["type"], at=at, media_id=media_id,
                   stored=result.get("stored", 0))


@bp.get("/sandbox/messages")
def messages():
    wa_id = request.args.get("wa_id") or None
    try:
        since = float(request.args["since"]) if request.args.get("since") else None
    except ValueError:
        return jsonify(error="since must be a number (epoch seconds)"), 400
    return jsonify(messages=sandbox_graph.recorded(_redis(), to=wa_id, since=since), now=time.time())


@bp.get("/sandbox/media/<media_id>")
def media(media_id: str):
    found = sandbox_graph.load_media(_redis(), media_id)
    if found is None:
        return Response("No encontré ese archivo (el sandbox guarda los archivos una semana).", 404)
    content, mime = found
    return Response(content, mimetype=mime)
