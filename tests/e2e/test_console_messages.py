"""The thing page's Messages tab in headless Chromium on a real server: a message sent from the page is answered by
a device (a Ditto Protocol WebSocket client beside the browser) and the page shows the answer; a message no device
receives shows Ditto's 408; a live command is answered by the device instead of the twin; the exchanges of the
visit stay listed."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.api.websocket import DittoSocket, basic, open_socket, topic
from tests.e2e.console import ADMIN, ADMIN_PASSWORD, Console, sign_in

pytestmark = pytest.mark.xdist_group(__name__)


@pytest.fixture
def thing(console: Console) -> str:
    thing_id = f"org.twinhub.e2e:lamp-{uuid.uuid4().hex[:8]}"
    with console.api() as api:
        response = api.put(f"/api/2/things/{thing_id}", json={"attributes": {"on": False}, "features": {"lamp": {}}})
    assert response.status_code == 201, response.text
    return thing_id


def device(console: Console, stream: str) -> DittoSocket:
    socket = open_socket(console.base_url, headers=basic(ADMIN, ADMIN_PASSWORD))
    socket.control(f"START-SEND-{stream}")
    return socket


def answer_next(socket: DittoSocket, thing_id: str, criterion: str, value: object, status: int = 200) -> dict[str, Any]:
    """Wait for the next live message or command to the thing and answer it with `value`; returns what came."""
    prefix = topic(thing_id, f"things/live/{criterion}/")
    frame = socket.receive_until(lambda f: isinstance(f, dict) and f["topic"].startswith(prefix), 30)
    assert isinstance(frame, dict)
    socket.send({"topic": frame["topic"], "path": frame["path"], "status": status, "value": value,
                 "headers": {"correlation-id": frame["headers"]["correlation-id"], "content-type": "application/json"}})
    return frame


def messages_tab(browser: Any, console: Console, thing_id: str) -> Any:
    page = sign_in(browser, console, path=f"/console/things/{thing_id}/messages")
    page.get_by_role("button", name="Send message").wait_for()
    return page


def test_a_message_from_the_page_is_answered_by_the_device(browser: Any, console: Console, thing: str) -> None:
    page = messages_tab(browser, console, thing)
    with device(console, "MESSAGES") as lamp, ThreadPoolExecutor(1) as pool:
        answered = pool.submit(answer_next, lamp, thing, "messages", {"brightness": 42})
        form = page.get_by_role("form", name="Send a message")
        form.get_by_label("Subject").fill("status")
        form.get_by_label("Feature (optional)").fill("lamp")
        form.get_by_role("button", name="Send message").click()
        message = answered.result()
    assert message["path"] == "/features/lamp/inbox/messages/status"
    assert message["value"] == {}
    exchange = page.get_by_role("listitem", name="message POST /features/lamp/inbox/messages/status")
    exchange.get_by_test_id("answer-payload").wait_for()
    assert '"brightness": 42' in exchange.get_by_test_id("answer-payload").inner_text()
    assert exchange.get_by_test_id("exchange-status").inner_text() == "200"
    assert "application/json" in exchange.get_by_role("table", name="Answer headers").inner_text()


def test_a_text_message_and_the_devices_error_status(browser: Any, console: Console, thing: str) -> None:
    page = messages_tab(browser, console, thing)
    with device(console, "MESSAGES") as lamp, ThreadPoolExecutor(1) as pool:
        answered = pool.submit(answer_next, lamp, thing, "messages", {"brewed": False}, 418)
        form = page.get_by_role("form", name="Send a message")
        form.get_by_label("Subject").fill("brew")
        form.get_by_text("Text", exact=True).click()  # the segmented control's visible label
        form.get_by_label("Content type").fill("text/plain")
        form.get_by_label("Payload (text)").fill("two cups")
        form.get_by_role("button", name="Send message").click()
        message = answered.result()
    assert message["value"] == "two cups"
    assert message["headers"]["content-type"] == "text/plain"
    exchange = page.get_by_role("listitem", name="message POST /inbox/messages/brew")
    exchange.get_by_test_id("answer-payload").wait_for()  # the device's own 418 is an answer, not a failure
    assert exchange.get_by_test_id("exchange-status").inner_text() == "418"
    assert '"brewed": false' in exchange.get_by_test_id("answer-payload").inner_text()


def test_a_message_without_a_device_shows_the_timeout(browser: Any, console: Console, thing: str) -> None:
    page = messages_tab(browser, console, thing)
    form = page.get_by_role("form", name="Send a message")
    form.get_by_label("Subject").fill("anyone")
    form.get_by_label("Timeout (seconds)").fill("5")
    form.get_by_role("button", name="Send message").click()
    exchange = page.get_by_role("listitem", name="message POST /inbox/messages/anyone")
    exchange.get_by_text("No answer in time").wait_for()
    assert exchange.get_by_test_id("exchange-status").inner_text() == "408"
    assert "command.timeout" in exchange.inner_text()


def test_a_live_command_is_answered_by_the_device(browser: Any, console: Console, thing: str) -> None:
    page = messages_tab(browser, console, thing)
    with device(console, "LIVE-COMMANDS") as lamp, ThreadPoolExecutor(1) as pool:
        answered = pool.submit(answer_next, lamp, thing, "commands", {"on": True, "live": "yes"})
        form = page.get_by_role("form", name="Send a live command")
        form.get_by_label("Path").fill("/attributes")
        form.get_by_role("button", name="Send live command").click()
        command = answered.result()
    assert command["topic"] == topic(thing, "things/live/commands/retrieve")
    assert command["path"] == "/attributes"
    exchange = page.get_by_role("listitem", name="live command retrieve /attributes")
    exchange.get_by_test_id("answer-payload").wait_for()
    assert '"live": "yes"' in exchange.get_by_test_id("answer-payload").inner_text()  # the device's, not the twin's


def test_the_visit_keeps_its_exchanges_newest_first(browser: Any, console: Console, thing: str) -> None:
    page = messages_tab(browser, console, thing)
    form = page.get_by_role("form", name="Send a message")
    for subject in ("first", "second"):
        form.get_by_label("Subject").fill(subject)
        form.get_by_label("Timeout (seconds)").fill("0")  # fire and forget: 202 at once
        form.get_by_role("button", name="Send message").click()
        page.get_by_role("listitem", name=f"message POST /inbox/messages/{subject}").wait_for()
    items = page.get_by_role("list", name="Exchanges").get_by_role("listitem")
    assert items.count() == 2
    assert "second" in items.nth(0).inner_text() and "202" in items.nth(0).inner_text()


def test_the_tab_fits_a_phone(browser: Any, console: Console, thing: str) -> None:
    page = sign_in(browser, console, path=f"/console/things/{thing}/messages", viewport={"width": 390, "height": 844})
    page.get_by_role("button", name="Send message").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
