"""Policies in the console, in headless Chromium on a real server: the thing page's Policy tab links the thing's
policy and shows the permission matrix for the signed-in user and for another subject (evaluated by the server);
the Policies section lists the policies of visible things and opens one by id; entries are edited as a form and as
JSON, saved with If-Match, and Ditto's refusals (a lockout, a concurrent change) are shown."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.console import ADMIN, USER, USER_PASSWORD, Console, replace_editor_text, sign_in

pytestmark = pytest.mark.xdist_group(__name__)

ALL = ["READ", "WRITE"]


@pytest.fixture
def thing(console: Console) -> str:
    """alice's thing with its own policy: alice may do everything, bob may read the thing but not its `secret`
    attribute, nor the policy, nor send messages."""
    thing_id = f"org.twinhub.e2e:policy-{uuid.uuid4().hex[:8]}"
    policy = {"entries": {
        "owner": {"subjects": {f"nginx:{ADMIN}": {"type": "owner"}},
                  "resources": {"thing:/": {"grant": ALL, "revoke": []}, "policy:/": {"grant": ALL, "revoke": []},
                                "message:/": {"grant": ALL, "revoke": []}}},
        "reader": {"subjects": {f"nginx:{USER}": {"type": "reader"}},
                   "resources": {"thing:/": {"grant": ["READ"], "revoke": []},
                                 "thing:/attributes/secret": {"grant": [], "revoke": ["READ"]}}},
    }}
    with console.api() as api:
        assert api.put(f"/api/2/policies/{thing_id}", json=policy).status_code == 201
        response = api.put(f"/api/2/things/{thing_id}", json={
            "policyId": thing_id, "attributes": {"secret": 1}, "features": {"lamp": {}, "fan": {}}})
    assert response.status_code == 201, response.text
    return thing_id


def policy_page(browser: Any, console: Console, policy_id: str) -> Any:
    page = sign_in(browser, console, path=f"/console/policies/{policy_id}")
    page.get_by_role("region", name="Entry owner").wait_for()
    return page


def verdicts(page: Any, subject: str) -> dict[str, tuple[str, str]]:
    """The matrix shown for `subject`: resource -> (READ, WRITE) verdicts as written (not as styled)."""
    table = page.get_by_role("table", name=f"Permissions of {subject}")
    table.wait_for()
    rows = table.locator("tbody tr")
    result = {}
    for index in range(rows.count()):
        row = rows.nth(index)
        result[row.get_attribute("data-resource")] = (
            row.locator("[data-permission=READ]").text_content(), row.locator("[data-permission=WRITE]").text_content())
    return result


def saved_with_alert(page: Any) -> str:
    """Save the policy and return the alert the page shows."""
    page.get_by_role("button", name="Save policy").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    return str(alert.inner_text())


def test_the_policy_tab_links_the_policy(browser: Any, console: Console, thing: str) -> None:
    page = sign_in(browser, console, path=f"/console/things/{thing}/policy")
    page.get_by_role("link", name=thing).click()
    page.wait_for_url(f"**/console/policies/{thing.replace(':', '%3A')}")
    page.get_by_role("region", name="Entry reader").wait_for()
    subjects = page.get_by_role("table", name="Subjects of reader").inner_text()
    assert f"nginx:{USER}" in subjects and "reader" in subjects


def test_the_permission_matrix_for_me_and_for_another_subject(browser: Any, console: Console, thing: str) -> None:
    page = sign_in(browser, console, path=f"/console/things/{thing}/policy")
    page.get_by_role("button", name="Check permissions").click()
    mine = verdicts(page, f"nginx:{ADMIN}")
    assert set(mine.values()) == {("allowed", "allowed")}
    assert {"thing:/features/lamp", "thing:/features/fan", "policy:/", "message:/"} <= set(mine)

    page.get_by_text("Another subject").click()
    page.get_by_label("Subject id").fill(f"nginx:{USER}")
    page.get_by_role("button", name="Check permissions").click()
    bobs = verdicts(page, f"nginx:{USER}")
    assert bobs["thing:/"] == ("denied", "denied")  # not unrestricted: the secret attribute is revoked
    assert bobs["thing:/features"] == ("allowed", "denied")
    assert bobs["thing:/features/lamp"] == ("allowed", "denied")
    assert bobs["thing:/attributes"] == ("denied", "denied")
    assert bobs["policy:/"] == ("denied", "denied")
    assert bobs["message:/"] == ("denied", "denied")


def test_bob_sees_his_own_matrix_but_may_not_ask_for_alice(browser: Any, console: Console, thing: str) -> None:
    page = sign_in(browser, console, USER, USER_PASSWORD, path=f"/console/things/{thing}/policy")
    page.get_by_role("button", name="Check permissions").click()
    assert verdicts(page, f"nginx:{USER}")["thing:/features"] == ("allowed", "denied")
    page.get_by_text("Another subject").click()
    page.get_by_label("Subject id").fill(f"nginx:{ADMIN}")
    page.get_by_role("button", name="Check permissions").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "things:thing.notfound" in alert.inner_text()  # bob may not read the policy, so may not ask


def test_the_section_lists_the_policies_of_visible_things_and_opens_by_id(browser: Any, console: Console,
                                                                          thing: str) -> None:
    page = sign_in(browser, console, path="/console/policies")
    page.get_by_role("table", name="Policies of your things").get_by_role("link", name=thing).click()
    page.get_by_role("region", name="Entry owner").wait_for()
    page.go_back()
    page.get_by_label("Policy id").fill(thing)
    page.get_by_role("button", name="Open").click()
    page.get_by_role("region", name="Entry owner").wait_for()
    page.get_by_label("Policy id").wait_for(state="detached")
    page.get_by_role("link", name="Policies").first.click()
    page.get_by_label("Policy id").wait_for()
    page.get_by_label("Policy id").fill("org.twinhub.e2e:no-such-policy")
    page.get_by_role("button", name="Open").click()
    assert "policies:policy.notfound" in page.get_by_role("alert").inner_text()


def test_editing_an_entry_in_the_form(browser: Any, console: Console, thing: str) -> None:
    page = policy_page(browser, console, thing)
    page.get_by_label("grant WRITE on thing:/ in reader").check()
    page.get_by_label("New subject of reader", exact=True).fill("nginx:carol")
    page.get_by_label("Type of the new subject of reader").fill("helper")
    page.get_by_role("button", name="Add subject to reader").click()
    page.get_by_label("New resource of reader").fill("message:/inbox")
    page.get_by_role("button", name="Add resource to reader").click()
    page.get_by_role("button", name="Remove resource thing:/attributes/secret from reader").click()
    page.get_by_role("button", name="Save policy").click()
    page.get_by_role("status").get_by_text("Saved.").wait_for()
    with console.api() as api:
        entry = api.get(f"/api/2/policies/{thing}/entries/reader").json()
    assert entry["subjects"] == {f"nginx:{USER}": {"type": "reader"}, "nginx:carol": {"type": "helper"}}
    assert entry["resources"] == {"thing:/": {"grant": ["READ", "WRITE"], "revoke": []},
                                  "message:/inbox": {"grant": ["READ"], "revoke": []}}


def test_removing_an_entry_asks_first(browser: Any, console: Console, thing: str) -> None:
    page = policy_page(browser, console, thing)
    page.get_by_role("button", name="Remove entry reader").click()
    page.get_by_role("button", name="Save policy").click()
    dialog = page.get_by_role("dialog", name="Remove entries?")
    assert "reader" in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").click()
    with console.api() as api:
        assert api.get(f"/api/2/policies/{thing}/entries/reader").status_code == 200
    page.get_by_role("button", name="Save policy").click()
    page.get_by_role("dialog", name="Remove entries?").get_by_role("button", name="Remove and save").click()
    page.get_by_role("status").get_by_text("Saved.").wait_for()
    with console.api() as api:
        assert api.get(f"/api/2/policies/{thing}/entries/reader").status_code == 404


def test_editing_as_json(browser: Any, console: Console, thing: str) -> None:
    page = policy_page(browser, console, thing)
    page.get_by_role("tab", name="JSON").click()
    replace_editor_text(page, "Policy (JSON)", (
        '{"entries": {"owner": {"subjects": {"nginx:alice": {"type": "owner"}}, '
        '"resources": {"policy:/": {"grant": ["READ", "WRITE"], "revoke": []}, '
        '"thing:/": {"grant": ["READ", "WRITE"], "revoke": []}}}, "json": {'
        '"subjects": {"nginx:dave": {"type": "t"}}, '
        '"resources": {"thing:/features": {"grant": ["READ"], "revoke": []}}}}}'))
    page.get_by_role("tab", name="Entries").click()  # the form shows what the JSON says
    page.get_by_role("region", name="Entry json").wait_for()
    page.get_by_role("button", name="Save policy").click()
    page.get_by_role("dialog", name="Remove entries?").get_by_role("button", name="Remove and save").click()
    page.get_by_role("status").get_by_text("Saved.").wait_for()
    with console.api() as api:
        entries = api.get(f"/api/2/policies/{thing}/entries").json()
    assert set(entries) == {"owner", "json"}
    assert entries["json"]["subjects"] == {"nginx:dave": {"type": "t"}}


def test_bad_json_is_not_sent(browser: Any, console: Console, thing: str) -> None:
    page = policy_page(browser, console, thing)
    page.get_by_role("tab", name="JSON").click()
    replace_editor_text(page, "Policy (JSON)", '{"entries": [1]}')
    page.get_by_text("'entries' must be an object").wait_for()
    assert page.get_by_role("button", name="Save policy").is_disabled()


def test_a_lockout_shows_dittos_refusal(browser: Any, console: Console, thing: str) -> None:
    page = policy_page(browser, console, thing)
    page.get_by_label("grant WRITE on policy:/ in owner").uncheck()
    assert "policies:policy.modificationinvalid" in saved_with_alert(page)
    with console.api() as api:
        owner = api.get(f"/api/2/policies/{thing}/entries/owner/resources/policy:/").json()
    assert owner["grant"] == ALL


def test_a_change_made_meanwhile_is_not_overwritten(browser: Any, console: Console, thing: str) -> None:
    page = policy_page(browser, console, thing)
    with console.api() as api:
        entry = {"subjects": {"nginx:erin": {"type": "t"}}, "resources": {"thing:/": {"grant": ["READ"]}}}
        assert api.put(f"/api/2/policies/{thing}/entries/meanwhile", json=entry).status_code == 201
    page.get_by_label("grant WRITE on thing:/ in reader").check()
    assert "412" in saved_with_alert(page)
    with console.api() as api:
        assert "meanwhile" in api.get(f"/api/2/policies/{thing}/entries").json()


def test_the_policy_page_fits_a_phone(browser: Any, console: Console, thing: str) -> None:
    page = sign_in(browser, console, path=f"/console/policies/{thing}", viewport={"width": 390, "height": 844})
    page.get_by_role("region", name="Entry owner").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_list_is_paged(browser: Any, console: Console) -> None:
    """bob's own things, each with its own policy: a page of 25 at first, the rest when asked for."""
    prefix = f"org.twinhub.e2e.paged{uuid.uuid4().hex[:6]}"
    with console.api(USER, USER_PASSWORD) as api:
        for index in range(30):
            assert api.put(f"/api/2/things/{prefix}:t{index}", json={}).status_code == 201
    page = sign_in(browser, console, USER, USER_PASSWORD, path="/console/policies")
    links = page.get_by_role("table", name="Policies of your things").get_by_role("link")
    page.get_by_role("button", name="Load more things").wait_for()
    assert links.count() == 25
    page.get_by_role("button", name="Load more things").click()
    links.nth(29).wait_for()  # the second page came
    for index in range(30):
        assert page.get_by_role("link", name=f"{prefix}:t{index}", exact=True).count() == 1


def test_the_policy_tab_fits_a_phone(browser: Any, console: Console, thing: str) -> None:
    page = sign_in(browser, console, path=f"/console/things/{thing}/policy", viewport={"width": 390, "height": 844})
    page.get_by_role("button", name="Check permissions").click()
    page.get_by_role("table", name=f"Permissions of nginx:{ADMIN}").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
