"""One-time codes on a real redis-server, and their trip to the fake Graph API through RQ."""

from __future__ import annotations

import pytest
from rq import Queue, SimpleWorker

from core.settings import load_settings
from services import otp
from services.dispatch import Dispatcher
from services.ratelimit import SlidingWindow
from tests.bot.conftest import export_env
from tests.waiting import wait_until

SECRET = "test-secret-key"
PHONE = "+5491155550101"


@pytest.fixture
def codes(redisdb) -> otp.OneTimeCodes:
    return otp.OneTimeCodes(redisdb, SECRET)


def _all_redis_text(redis) -> str:
    """Every key and value in Redis, as one string (to look for a plaintext code)."""
    parts = []
    for key in redis.keys("*"):
        parts.append(key.decode())
        kind = redis.type(key).decode()
        if kind == "string":
            parts.append(redis.get(key).decode(errors="replace"))
        elif kind == "hash":
            parts.extend(f"{k.decode()}={v.decode(errors='replace')}" for k, v in redis.hgetall(key).items())
        elif kind == "zset":
            parts.extend(m.decode() for m in redis.zrange(key, 0, -1))
        elif kind == "list":
            parts.extend(m.decode(errors="replace") for m in redis.lrange(key, 0, -1))
    return "\n".join(parts)


def test_a_code_is_six_digits_good_once_and_kept_only_as_an_hmac(codes, redisdb):
    code = codes.issue(otp.Purpose.SIGNUP, "pending-1", PHONE)
    assert len(code) == 6 and code.isdigit()
    stored = _all_redis_text(redisdb)
    assert code not in stored and PHONE not in stored and "pending-1" not in stored
    [key] = [k for k in redisdb.keys("campotech:otp:code:*")]
    assert 590 <= redisdb.ttl(key) <= 600
    assert codes.verify(otp.Purpose.SIGNUP, "pending-1", f" {code[:3]} {code[3:]} ").ok
    assert codes.verify(otp.Purpose.SIGNUP, "pending-1", code).result is otp.Check.EXPIRED


def test_codes_belong_to_their_purpose_and_subject(codes):
    code = codes.issue(otp.Purpose.SIGNUP, "pending-1", PHONE)
    assert codes.verify(otp.Purpose.LOGIN, "pending-1", code).result is otp.Check.EXPIRED
    assert codes.verify(otp.Purpose.SIGNUP, "pending-2", code).result is otp.Check.EXPIRED
    assert codes.verify(otp.Purpose.SIGNUP, "pending-1", code).ok


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_five_wrong_tries_burn_the_code(codes):
    code = codes.issue(otp.Purpose.LOGIN, "7", PHONE)
    lefts = [codes.verify(otp.Purpose.LOGIN, "7", _wrong(code)) for _ in range(4)]
    assert [v.result for v in lefts] == [otp.Check.WRONG] * 4
    assert [v.attempts_left for v in lefts] == [4, 3, 2, 1]
    assert codes.verify(otp.Purpose.LOGIN, "7", "abc").result is otp.Check.BURNED
    # The right code no longer opens anything.
    assert codes.verify(otp.Purpose.LOGIN, "7", code).result is otp.Check.EXPIRED


def test_the_right_code_on_the_fifth_try_still_works(codes):
    code = codes.issue(otp.Purpose.LOGIN, "7", PHONE)
    for _ in range(4):
        codes.verify(otp.Purpose.LOGIN, "7", _wrong(code))
    assert codes.verify(otp.Purpose.LOGIN, "7", code).ok


def test_an_expired_code_is_refused(codes, redisdb):
    code = codes.issue(otp.Purpose.SIGNUP, "pending-1", PHONE)
    [key] = redisdb.keys("campotech:otp:code:*")
    redisdb.pexpire(key, 1)
    wait_until(lambda: not redisdb.exists(key), 2, every=0.005, what="the code to expire")
    assert codes.verify(otp.Purpose.SIGNUP, "pending-1", code).result is otp.Check.EXPIRED


def test_resend_waits_a_minute_and_replaces_the_old_code(codes, redisdb):
    first = codes.issue(otp.Purpose.SIGNUP, "pending-1", PHONE)
    with pytest.raises(otp.CodeRefused) as refused:
        codes.issue(otp.Purpose.SIGNUP, "pending-1", PHONE)
    assert refused.value.reason == "cooldown" and 55 <= refused.value.retry_in <= 60
    assert 55 <= codes.resend_in(otp.Purpose.SIGNUP, "pending-1") <= 60
    # The minute passes.
    redisdb.delete(*redisdb.keys("campotech:otp:cooldown:*"))
    second = codes.issue(otp.Purpose.SIGNUP, "pending-1", PHONE)
    if second != first:
        assert codes.verify(otp.Purpose.SIGNUP, "pending-1", first).result is otp.Check.WRONG
    assert codes.verify(otp.Purpose.SIGNUP, "pending-1", second).ok


def test_at_most_five_codes_an_hour_to_one_phone(codes):
    for n in range(5):
        codes.issue(otp.Purpose.SIGNUP, f"pending-{n}", PHONE)
    with pytest.raises(otp.CodeRefused) as refused:
        codes.issue(otp.Purpose.SIGNUP, "pending-9", PHONE)
    assert refused.value.reason == "hourly" and 3500 < refused.value.retry_in <= 3600
    # Another phone is not affected.
    assert codes.issue(otp.Purpose.SIGNUP, "pending-9", "+5491155550199")


def test_the_sliding_window_frees_slots_as_they_age(redisdb):
    now = [1000.0]
    window = SlidingWindow(redisdb, "test", 2, 60, secret=SECRET, clock=lambda: now[0])
    assert window.hit("1.2.3.4") == 0
    now[0] += 30
    assert window.hit("1.2.3.4") == 0
    assert window.hit("1.2.3.4") == 30  # the first one ages out at 1060
    now[0] += 31
    assert window.hit("1.2.3.4") == 0
    assert window.hit("5.6.7.8") == 0


def test_a_sealed_code_opens_only_for_its_recipient():
    settings = load_settings(env="test")
    sealed = otp.seal_code(settings, "5491155550101", "123456")
    assert "123456" not in sealed
    assert otp.open_code(settings, "5491155550101", sealed) == "123456"
    with pytest.raises(ValueError):
        otp.open_code(settings, "5491155550199", sealed)


def test_the_code_reaches_whatsapp_in_the_authentication_template(redisdb, redis_url, fake_graph,
                                                                  monkeypatch):
    settings = load_settings(env="test", redis_url=redis_url, whatsapp_access_token="deploy-token",
                             whatsapp_phone_number_id="100000000000009",
                             whatsapp_graph_url=fake_graph.url, log_json=False)
    export_env(monkeypatch, settings)
    otp.send_code(Dispatcher(redisdb), settings, PHONE, "482913", otp.Purpose.SIGNUP)
    queue = Queue("high", connection=redisdb)
    [job] = queue.jobs
    assert "482913" not in repr(job.args) and "482913" not in job.description
    assert job.timeout <= 30
    SimpleWorker([queue], connection=redisdb).work(burst=True)

    [sent] = fake_graph.sent(to="5491155550101")
    assert sent["phone_number_id"] == "100000000000009"  # the platform's own number
    template = sent["payload"]["template"]
    assert template["name"] == "codigo_verificacion"
    assert template["language"] == {"code": "es_AR"}
    assert template["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "482913"}]},
        {"type": "button", "sub_type": "url", "index": "0",
         "parameters": [{"type": "text", "text": "482913"}]},
    ]
    assert fake_graph.codes(to="5491155550101") == ["482913"]
    assert job.get_status(refresh=True) == "finished"
    assert job.return_value()["status"] == "sent"
