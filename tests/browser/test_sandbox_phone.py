"""The WhatsApp simulator on a phone (390x844) and a desktop: the composer stays on screen while
the chat grows, a reaction and a sticker reach the bot as Meta's payloads, and the bot's
messages show their delivery ticks as the page's receipts come back through the webhook."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.models import Message
from core.models.enums import DeliveryStatus, Direction
from tests.bot.test_sandbox import PHONE_NUMBER_ID, Sandbox
from tests.factories import add_technician, create_org

CUSTOMER = "5491155550000"
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "es-AR",
           "timezone_id": "America/Argentina/Buenos_Aires"}


@pytest.fixture
def sandbox_app(make_live_app, tmp_path):
    live = make_live_app(whatsapp_phone_number_id=PHONE_NUMBER_ID, burst_quiet_seconds=0.2,
                         burst_max_seconds=1.0, media_dir=str(tmp_path / "media"))
    assert live.settings.whatsapp_sandbox
    org_id = create_org(live.db, "Plomería Rápida", slug="plomeria-rapida", wa_phone_number_id=PHONE_NUMBER_ID)
    add_technician(live.db, org_id, "Carlos Técnico", "+5491155550101")
    live.org_id = org_id
    return live


def _layout(page) -> dict:
    return page.evaluate("""() => {
        const box = sel => { const r = document.querySelector(sel).getBoundingClientRect();
                             return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,
                                     width: r.width, height: r.height}; };
        const chat = document.getElementById("chat");
        return {width: innerWidth, height: innerHeight,
                scrollWidth: document.documentElement.scrollWidth,
                scrollHeight: document.documentElement.scrollHeight,
                chatOverflows: chat.scrollHeight > chat.clientHeight,
                text: box("#text"), send: box("#send"), pin: box("#pin"),
                sticker: box("#sticker-toggle"), file: box("label.file")};
    }""")


def _composer_on_screen(page) -> dict:
    """The text box and the buttons are inside the viewport without scrolling; nothing sideways."""
    at = _layout(page)
    assert at["scrollWidth"] <= at["width"], at  # no horizontal scroll
    assert at["scrollHeight"] <= at["height"], at  # the page itself never scrolls, only the chat
    for name in ("text", "send", "pin", "sticker", "file"):
        box = at[name]
        assert 0 <= box["top"] and box["bottom"] <= at["height"], (name, box, at["height"])
        assert 0 <= box["left"] and box["right"] <= at["width"], (name, box, at["width"])
        assert box["height"] >= 44 and (name == "text" or box["width"] >= 44), (name, box)
    return at


def _settled(live, kinds: set[str] = frozenset()) -> bool:
    """Every message the customer sent (including one of each of `kinds`) has been processed."""
    with live.db.org_session(live.org_id) as s:
        inbound = s.scalars(select(Message).where(Message.direction == Direction.INBOUND)).all()
        return kinds <= {m.type for m in inbound} and all(m.processed_at for m in inbound)


def _sent_by_bot(live) -> int:
    with live.db.org_session(live.org_id) as s:
        return len(s.scalars(select(Message.id).where(Message.direction == Direction.OUTBOUND,
                                                      Message.wa_message_id.is_not(None))).all())


def _say(page, text: str) -> None:
    page.fill("#text", text)
    page.get_by_role("button", name="Enviar").click()
    expect(page.locator(".row.me .msg", has_text=text)).to_be_visible()


def test_the_simulator_on_a_phone_keeps_the_composer_on_screen_and_shows_ticks_reactions_and_stickers(
        sandbox_app, page, browser, shot):
    sandbox = Sandbox(sandbox_app.app, sandbox_app.url)
    bot_bubbles = page.locator(".row.bot .msg")

    def turn(count: int) -> None:
        """Run the clock and the worker until the page shows `count` messages from the bot."""
        sandbox.work(lambda: bot_bubbles.count() >= count)

    page.goto(sandbox_app.link("/sandbox"))
    expect(page.locator("#phone")).to_have_value(CUSTOMER)
    _composer_on_screen(page)

    _say(page, "hola")
    turn(1)
    expect(bot_bubbles.first).to_contain_text("Pedir un servicio")
    # The phone reports the menu delivered, then read after a second on screen: blue ticks.
    first_ticks = page.locator(".row.bot .ticks").first
    expect(first_ticks).to_have_attribute("data-state", "read")
    expect(first_ticks).to_have_text("✓✓")
    expect(first_ticks).to_have_css("color", "rgb(52, 183, 241)")

    page.get_by_role("button", name="Pedir un servicio").first.click()
    turn(2)
    _say(page, "se me rompió el termotanque y pierde agua por abajo")
    turn(3)
    _say(page, "Gorriti 3400, Palermo")
    turn(4)
    for n in range(3):
        _say(page, f"otra cosa más, mensaje {n + 1}")
    sandbox.work(lambda: _settled(sandbox_app))
    answered = _sent_by_bot(sandbox_app)
    expect(bot_bubbles).to_have_count(answered)
    at = _composer_on_screen(page)
    assert at["chatOverflows"], "the chat should be longer than the screen by now"
    # The newest message is in view above the composer, not hidden below it.
    last = page.locator(".row.me").last.bounding_box()
    assert last["y"] + last["height"] <= at["text"]["top"]

    # React 👍 to the bot's first message (scrolled out of view: the tap brings it back).
    page.locator(".row.bot .react").first.click()
    _composer_on_screen(page)
    shot(page, "sandbox-phone-reacting")
    page.get_by_role("button", name="Reaccionar con 👍").click()
    expect(page.locator(".row.bot .reaction").first).to_have_text("👍")
    page.get_by_role("button", name="Sticker").click()
    page.get_by_role("button", name="Sticker ¡Gracias!").click()
    expect(page.locator(".row.me .msg.sticker img").last).to_be_visible()
    _composer_on_screen(page)

    sandbox.work(lambda: _settled(sandbox_app, {"reaction", "sticker"}))
    with sandbox_app.db.org_session(sandbox_app.org_id) as s:
        menu_wamid = page.locator(".row.bot .msg").first.get_attribute("data-wamid")
        reaction = s.scalar(select(Message).where(Message.type == "reaction"))
        assert (reaction.body, reaction.reacted_to) == ("👍", menu_wamid)
        sticker = s.scalar(select(Message).where(Message.type == "sticker"))
        assert sticker.media_mime == "image/webp"
        menu = s.scalar(select(Message).where(Message.wa_message_id == menu_wamid))
        assert menu.status is DeliveryStatus.READ
    # Neither the reaction nor the sticker got an answer; every bot message ends read.
    assert _sent_by_bot(sandbox_app) == answered
    expect(bot_bubbles).to_have_count(answered)
    expect(page.locator(".row.bot .ticks[data-state=read]")).to_have_count(answered)
    # The bot marked the customer's messages read: blue ticks on the phone's own side too.
    expect(page.locator(".row.me .ticks[data-state=read]").first).to_be_visible()
    shot(page, "sandbox-phone")

    desktop = browser.new_context(**DESKTOP)
    try:
        tab = desktop.new_page()
        tab.goto(sandbox_app.link("/sandbox"))
        expect(tab.locator(".row.bot .msg")).to_have_count(answered)  # the conversation so far
        at = _composer_on_screen(tab)
        assert at["width"] == 1280
        # Opened on the latest message, just above the composer.
        newest = tab.locator(".row").last.bounding_box()
        assert 0 < newest["y"] and newest["y"] + newest["height"] <= at["text"]["top"]
        expect(tab.locator(".row.bot .ticks").last).to_have_attribute("data-state", re.compile("read"))
        shot(tab, "sandbox-desktop")
    finally:
        desktop.close()
