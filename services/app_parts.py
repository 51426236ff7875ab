"""The app's shared parts, one typed accessor each: what `web.create_app` keeps in `app.extensions`.

Callers pass the app (`current_app` in a request, the app itself in the CLI); a part is put once
and read by its accessor, never by its key string. A package above services that owns a part of
its own (the bot's transport) declares it with `Part` the same way.
"""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar

from redis import Redis

from core.db import Database
from core.settings import Settings
from services.dispatch import Dispatcher

T = TypeVar("T")


class HasExtensions(Protocol):
    """A Flask app as far as its parts go (services never import Flask)."""

    extensions: dict[str, Any]


class Part(Generic[T]):
    """One shared part of the app, kept under `key` in `app.extensions`."""

    def __init__(self, key: str) -> None:
        self.key = key

    def put(self, app: HasExtensions, value: T) -> T:
        app.extensions[self.key] = value
        return value

    def of(self, app: HasExtensions) -> T:
        return app.extensions[self.key]


SETTINGS: Part[Settings] = Part("campotech.settings")
DB: Part[Database] = Part("campotech.db")
REDIS: Part[Redis] = Part("campotech.redis")


def settings(app: HasExtensions) -> Settings:
    return SETTINGS.of(app)


def db(app: HasExtensions) -> Database:
    return DB.of(app)


def redis(app: HasExtensions) -> Redis:
    return REDIS.of(app)


def dispatcher(app: HasExtensions) -> Dispatcher:
    return Dispatcher(redis(app))
