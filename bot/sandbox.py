"""The sandbox's own pages: what the bot sent to a phone, as JSON (the simulator builds on it)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from bot import sandbox_graph

bp = Blueprint("sandbox", __name__)


@bp.get("/sandbox/messages")
def messages():
    wa_id = request.args.get("wa_id") or None
    try:
        since = float(request.args["since"]) if request.args.get("since") else None
    except ValueError:
        return jsonify(error="since must be a number (epoch seconds)"), 400
    redis = current_app.extensions["campotech.redis"]
    return jsonify(messages=sandbox_graph.recorded(redis, to=wa_id, since=since))
