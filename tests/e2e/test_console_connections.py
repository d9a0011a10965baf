"""The console's Connections section in a real browser (headless Chromium) on a real server with the machine's
Mosquitto: an admin creates an MQTT connection from the template, tests it first, sees it open, a device's message
in its metrics and logs, closes and deletes it; JSON that is no connection is refused before anything is sent; a
user who is no admin is told that only admins manage connections; the list fits a phone-sized screen; a saved
configuration does not overwrite a change made meanwhile."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from playwright.sync_api import expect

from tests.connectivity.mqtt import forget_sessions
from tests.e2e.console import ADMIN, USER, USER_PASSWORD, Console, replace_editor_text, sign_in
from tests.integration.services import MOSQUITTO, require

pytestmark = pytest.mark.xdist_group(__name__)

LIST = re.compile(r".*/console/connections/?$")
MOSQUITTO_URL = f"tcp://{MOSQUITTO[0]}:{MOSQUITTO[1]}"


@pytest.fixture
def mosquitto() -> None:
    require("Mosquitto", MOSQUITTO)


def _connection(topic: str) -> dict[str, Any]:
    return {"name": f"console-{topic.split('/')[1]}", "connectionType": "mqtt", "connectionStatus": "open",
            "uri": MOSQUITTO_URL,
            "sources": [{"addresses": [topic], "qos": 1, "authorizationContext": [f"nginx:{ADMIN}"]}]}


def _publish(topic: str, payload: bytes) -> None:
    """A device's QoS 1 message to the broker (paho, independent of twinhub), returning once the broker has it."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"console-device-{uuid.uuid4().hex[:8]}")
    client.connect(MOSQUITTO[0], MOSQUITTO[1])
    client.loop_start()
    try:
        info = client.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout=15)
        assert info.is_published()
    finally:
        client.disconnect()
        client.loop_stop()


def test_an_admin_creates_watches_closes_and_deletes_an_mqtt_connection(
        browser: Any, console: Console, mosquitto: None) -> None:
    topic = f"console-test/{uuid.uuid4().hex[:12]}/telemetry"
    page = sign_in(browser, console, path="/console/connections")
    page.get_by_role("link", name="New connection").click()
    page.wait_for_url("**/console/connections/new")
    # the MQTT template is there to start from
    assert '"connectionType": "mqtt"' in page.get_by_role("textbox", name="Connection JSON").inner_text()

    replace_editor_text(page, "Connection JSON", json.dumps(_connection(topic), indent=2))
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_role("status")).to_contain_text("connected to the broker")

    page.get_by_role("button", name="Create connection").click()
    page.wait_for_url(re.compile(r".*/console/connections/[0-9a-f-]{36}$"))  # the new connection's page
    connection_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_test_id("live-status")).to_have_text("open")
    expect(page.get_by_role("table", name="Sources")).to_contain_text(topic)

    _publish(topic, b"no JSON at all")
    page.get_by_role("tab", name="Metrics").click()
    page.wait_for_url(f"**/console/connections/{connection_id}/metrics")
    page.get_by_label("Auto refresh").check()
    consumed = page.get_by_role("table", name="Inbound metrics").get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="consumed", exact=True))
    expect(consumed.get_by_role("cell").first).to_have_text("1")

    page.get_by_role("tab", name="Logs").click()
    logs = page.get_by_role("table", name="Connection logs")
    expect(logs).to_contain_text("could not be mapped")
    page.get_by_role("button", name="Enable logs").click()
    expect(page.get_by_test_id("logs-enabled")).to_contain_text("Successes are logged from")
    page.get_by_role("button", name="Reset logs").click()
    expect(page.get_by_text("No log entries.")).to_be_visible()

    with console.api() as api:
        client_id = api.get(f"/api/2/connections/{connection_id}/status").json()["clientStatus"][0]["client"]
    page.get_by_role("tab", name="Status").click()
    page.get_by_role("button", name="Close", exact=True).click()
    expect(page.get_by_test_id("desired-status")).to_have_text("desired: closed")
    expect(page.get_by_test_id("live-status")).to_have_text("closed")
    page.get_by_role("button", name="Open", exact=True).click()
    expect(page.get_by_test_id("live-status")).to_have_text("open")

    page.get_by_role("link", name="Connections").first.click()
    page.wait_for_url(LIST)
    row = page.get_by_role("table", name="Connections").get_by_role("row").filter(has_text=connection_id)
    expect(row).to_contain_text("mqtt")
    expect(row).to_contain_text("open")
    row.get_by_role("link").click()

    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog", name="Delete this connection?")
    dialog.get_by_role("button", name="Delete connection").click()
    page.wait_for_url(LIST)
    with console.api() as api:
        assert api.get(f"/api/2/connections/{connection_id}").status_code == 404
    # the broker keeps the connection's persistent session; Playwright's loop runs in this thread
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, forget_sessions(MOSQUITTO_URL, [client_id])).result()


def test_json_that_is_no_connection_is_refused_before_it_is_sent(browser: Any, console: Console) -> None:
    with console.api() as api:
        before = api.get("/api/2/connections", params={"ids-only": "true"}).json()
    page = sign_in(browser, console, path="/console/connections/new")
    page.locator("label", has_text="HTTP push").click()  # the template switch (its radio is visually hidden)
    expect(page.get_by_role("radio", name="HTTP push")).to_be_checked()
    assert '"connectionType": "http-push"' in page.get_by_role("textbox", name="Connection JSON").inner_text()
    replace_editor_text(page, "Connection JSON", '{"uri": ')
    page.get_by_role("button", name="Create connection").click()
    expect(page.get_by_text("Not valid JSON")).to_be_visible()
    replace_editor_text(page, "Connection JSON", '{"uri": "tcp://127.0.0.1:1883"}')
    page.get_by_role("button", name="Create connection").click()
    expect(page.get_by_text("Needs a connectionType")).to_be_visible()
    # what only the server knows comes back as its error
    replace_editor_text(page, "Connection JSON", '{"connectionType": "mqtt", "uri": "tcp://127.0.0.1:1883"}')
    page.get_by_role("button", name="Create connection").click()
    expect(page.get_by_role("alert")).to_contain_text("connectivity:connection.configuration.invalid")
    with console.api() as api:
        assert api.get("/api/2/connections", params={"ids-only": "true"}).json() == before


def test_a_user_who_is_no_admin_is_told_only_admins_manage_connections(browser: Any, console: Console) -> None:
    page = sign_in(browser, console, USER, USER_PASSWORD, path="/console/connections")
    expect(page.get_by_role("alert")).to_contain_text("Only admins manage connections")


def test_the_list_fits_a_phone_sized_screen(browser: Any, console: Console) -> None:
    with console.api() as api:
        created = api.post("/api/2/connections",
                           json={**_connection("console-test/phone/telemetry"), "connectionStatus": "closed"})
    assert created.status_code == 201
    try:
        page = sign_in(browser, console, path="/console/connections",
                       viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        expect(page.get_by_role("table", name="Connections")).to_contain_text(created.json()["id"])
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_role("link", name=created.json()["name"]).click()  # and so does a connection's page
        page.get_by_role("tab", name="Metrics").click()
        expect(page.get_by_role("table", name="Inbound metrics")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        with console.api() as api:
            api.delete(f"/api/2/connections/{created.json()['id']}")


def test_the_configuration_is_saved_unless_it_changed_meanwhile(browser: Any, console: Console) -> None:
    connection = {**_connection("console-test/edit/telemetry"), "connectionStatus": "closed"}
    with console.api() as api:
        connection_id = api.post("/api/2/connections", json=connection).json()["id"]
    try:
        page = sign_in(browser, console, path=f"/console/connections/{connection_id}/configuration")
        editor = page.get_by_role("textbox", name="Connection JSON")
        expect(editor).to_contain_text(connection_id)  # as stored, its id and URI included
        replace_editor_text(page, "Connection JSON", json.dumps({**connection, "name": "renamed in the console"}))
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", name="renamed in the console")).to_be_visible()

        with console.api() as api:  # someone else changes it
            assert api.put(f"/api/2/connections/{connection_id}",
                           json={**connection, "name": "renamed elsewhere"}).status_code == 204
        replace_editor_text(page, "Connection JSON", json.dumps({**connection, "name": "renamed again"}))
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("alert", name="Request failed")).to_contain_text("412")
        with console.api() as api:
            assert api.get(f"/api/2/connections/{connection_id}").json()["name"] == "renamed elsewhere"
    finally:
        with console.api() as api:
            api.delete(f"/api/2/connections/{connection_id}")
