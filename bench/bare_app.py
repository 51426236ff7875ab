"""The baseline for bench/webhook.py: a bare Flask app that reads the body and answers 200."""

from __future__ import annotations

from flask import Flask, request

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.post("/webhooks/whatsapp")
def webhook():
    request.get_data()
    return {"ok": True}
