"""The app's shared parts as the back-office sees them (set up by `web.create_app`)."""

from __future__ import annotations

from flask import current_app
from redis import Redis

from core.db import Database
from core.settings import Settings
from services import app_parts as parts
from services.dispatch import Dispatcher


def db() -> Database:
    return parts.db(current_app)


def redis() -> Redis:
    return parts.redis(current_app)


def settings() -> Settings:
    return parts.settings(current_app)


def dispatcher() -> Dispatcher:
    return Dispatcher(redis())
