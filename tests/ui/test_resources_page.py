"""The resource browser in a real browser: `discover` against a harness lists its custom objects (found live,
with their custom fields), and Preview shows a sample read of 20 records as a table."""

from __future__ import annotations

from insightly_connector.ui.resources import SAMPLE_SIZE
from tests.ui.conftest import screenshot, write_credential


def test_the_browser_lists_the_harness_custom_objects_and_previews_20_records(page, serve, harness, tmp_path):
    server = serve(credential=write_credential(tmp_path / "credential.json", harness))
    page.goto(server.url + "#/resources")
    page.wait_for_selector("[data-testid=resources] tbody tr")
    rows = {row.get_attribute("data-resource"): row for row in page.locator("tr[data-resource]").all()}
    assert harness.custom_objects
    for custom_object in harness.custom_objects:
        name = next(n for n in rows if n.lower() == custom_object.lower())
        row = rows[name]
        assert "found live" in row.inner_text()
        assert "read" in row.locator("span.cap").all_inner_texts()
        assert row.locator("td.custom-fields span").count() > 0  # the object's live custom fields
    page.get_by_label("Filter resources by name").fill("__c")  # custom objects' names end so on this account
    shown = page.locator("tr[data-resource]").evaluate_all("rows => rows.map(r => r.dataset.resource)")
    assert shown and all("__c" in name for name in shown) and len(shown) < len(rows)
    page.get_by_label("Filter resources by name").fill("")
    contacts = rows["contacts"]
    assert {"read", "incremental", "create", "upsert"} <= set(contacts.locator("span.cap").all_inner_texts())
    contacts.get_by_role("button", name="Preview").click()
    sample = page.locator("[data-testid=sample]")
    sample.wait_for()
    assert sample.locator("tbody tr").count() == SAMPLE_SIZE  # of the harness's 40 contacts
    headers = sample.locator("th").all_inner_texts()
    assert "CONTACT_ID" in headers and "FIRST_NAME" in headers
    assert harness.api_key not in page.content()
    rows[name].scroll_into_view_if_needed()  # the last custom object, with its custom fields, in the picture
    screenshot(page, "resources.png")


def test_without_a_saved_credential_the_browser_says_what_to_do(page, serve):
    page.goto(serve().url + "#/resources")
    assert "Save first" in page.locator("[role=alert]").inner_text()
