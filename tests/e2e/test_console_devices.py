"""The console's Devices section in a real browser (headless Chromium) on a real server with the MQTT device
endpoint: an admin adds a device and sees its password once (with a copy button), the device logs in over MQTT
with it, a regenerated password replaces it at once, a removed device can log in no more; the list is paged; a
user who is no admin is told that only admins manage devices; the page fits a phone-sized screen."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.connectivity.device_mqtt import Device
from tests.e2e.console import USER, USER_PASSWORD, Console, console_server, sign_in

pytestmark = pytest.mark.xdist_group(__name__)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    yield from console_server(tmp_path_factory.mktemp("console-devices") / "data", args=("--mqtt-port", "0"))


def _login(console: Console, device_id: str, password: str) -> object:
    """The CONNACK's return code of the device's MQTT login (0: accepted)."""
    device = Device(console.server.mqtt_port, device_id, password, client_id=f"console-{uuid.uuid4().hex[:8]}")
    try:
        return device.wait_connected()
    finally:
        device.close()


def _issued_password(page: Any) -> str:
    """The password in the dialog that shows it once, after checking the warning and copying it; the dialog closed."""
    dialog = page.get_by_role("dialog", name="The device's password")
    expect(dialog).to_contain_text("Shown only this once")
    password: str = dialog.get_by_test_id("device-password").inner_text().strip()
    dialog.get_by_role("button", name="Copy password").click()
    assert page.evaluate("navigator.clipboard.readText()") == password
    dialog.get_by_role("button", name="I have saved it").click()
    expect(dialog).to_be_hidden()
    assert password not in page.content()  # shown once: gone with its dialog
    return password


def test_an_admin_adds_regenerates_and_removes_a_device(browser: Any, console: Console) -> None:
    device_id = f"org.example.console:{uuid.uuid4().hex[:12]}"
    page = sign_in(browser, console, path="/console/devices", permissions=["clipboard-read", "clipboard-write"])
    page.get_by_label("Device ID").fill(device_id)
    page.get_by_role("button", name="Add device").click()
    password = _issued_password(page)
    row = page.get_by_role("table", name="Devices").get_by_role("row").filter(has_text=device_id)
    expect(row).to_contain_text(f"device:{device_id}")
    assert _login(console, device_id, password) == 0

    row.get_by_role("button", name="Regenerate password").click()
    page.get_by_role("dialog", name="Issue a new password?").get_by_role("button", name="Issue new password").click()
    renewed = _issued_password(page)
    assert renewed != password
    assert _login(console, device_id, password) == "Not authorized"
    assert _login(console, device_id, renewed) == 0

    row.get_by_role("button", name="Remove").click()
    page.get_by_role("dialog", name="Remove this device?").get_by_role("button", name="Remove device").click()
    expect(row).to_have_count(0)
    assert _login(console, device_id, renewed) == "Not authorized"
    with console.api() as api:
        assert api.get(f"/api/2/devices/{device_id}").status_code == 404


def test_adding_a_device_twice_shows_the_servers_conflict(browser: Any, console: Console) -> None:
    device_id = f"org.example.console:{uuid.uuid4().hex[:12]}"
    with console.api() as api:
        assert api.put(f"/api/2/devices/{device_id}", json={}).status_code == 201
    page = sign_in(browser, console, path="/console/devices")
    page.get_by_label("Device ID").fill(device_id)
    page.get_by_role("button", name="Add device").click()
    expect(page.get_by_role("alert")).to_contain_text("devices:device.conflict")
    expect(page.get_by_role("dialog")).to_have_count(0)  # no password was issued


def test_the_devices_are_paged(browser: Any, console: Console) -> None:
    prefix = f"org.example.paged{uuid.uuid4().hex[:6]}"
    with console.api() as api:
        for index in range(21):
            assert api.put(f"/api/2/devices/{prefix}:d{index:02d}", json={}).status_code == 201
    page = sign_in(browser, console, path="/console/devices")
    table = page.get_by_role("table", name="Devices")
    expect(table.get_by_role("row")).to_have_count(21)  # a header and a page of 20
    number = 1
    while page.get_by_role("button", name="Next page").is_enabled():
        page.get_by_role("button", name="Next page").click()
        number += 1
        expect(page.get_by_text(f"Page {number}", exact=True)).to_be_visible()
        expect(table).to_have_attribute("aria-busy", "false")  # the page has come
    expect(table).to_contain_text(f"{prefix}:d20")
    assert number >= 2
    page.get_by_role("button", name="Previous page").click()
    expect(page.get_by_text(f"Page {number - 1}", exact=True)).to_be_visible()
    expect(table).to_have_attribute("aria-busy", "false")
    expect(table.get_by_role("row")).to_have_count(21)


def test_a_user_who_is_no_admin_is_told_only_admins_manage_devices(browser: Any, console: Console) -> None:
    page = sign_in(browser, console, USER, USER_PASSWORD, path="/console/devices")
    expect(page.get_by_role("alert")).to_contain_text("Only admins manage devices")


def test_the_devices_fit_a_phone_sized_screen(browser: Any, console: Console) -> None:
    device_id = f"org.example.console:{uuid.uuid4().hex[:12]}"
    with console.api() as api:
        assert api.put(f"/api/2/devices/{device_id}", json={}).status_code == 201
    page = sign_in(browser, console, path="/console/devices",
                   viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    expect(page.get_by_role("table", name="Devices")).to_contain_text(device_id)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
