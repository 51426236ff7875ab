"""The app's shared parts as the back-office sees them (set up by `web.create_app`)."""

from __future__ import annotations

from flask import current_app
from redis import Redis

from core.db import Database
from core.settings import Settings
from services.dispatch import Dispatcher


def db() -> Database:
    return current_app.extensions["campotech.db"]


def redis() -> Redis:
    return current_app.extensions["campotech.redis"]


def settings() -> Settings:
    return current_app.extensions["campotech.settings"]


def dispatcher() -> Dispatcher:
    return Dispatcher(redis())
