"""The credential form in a real browser: react-jsonschema-form renders the credential schema with every UI
hint in effect; Test runs `check` against a harness; Save writes the file 0600 and the key never comes back."""

from __future__ import annotations

import json
import stat

from tests.ui.conftest import screenshot


def open_form(page, server):
    page.goto(server.url + "#/credential")
    page.wait_for_selector("form #root_name")


def fill(page, harness, key: str) -> None:
    page.get_by_label("Show advanced fields").check()
    page.fill("#root_name", "harness account")
    page.fill("#root_api_key", key)
    page.fill("#root_pod", harness.pod)
    page.fill("#root_base_url", harness.base_url)


def outcome(page):
    box = page.locator(".outcome")
    box.wait_for()
    return box


def test_every_hint_of_the_schema_takes_effect(page, serve, spec):
    open_form(page, serve())
    properties = spec.credential_form["properties"]
    visible = [name for name, prop in properties.items() if not prop.get("x-hidden")]
    hidden = [name for name, prop in properties.items() if prop.get("x-hidden")]
    ids = page.eval_on_selector_all("form input[id^=root_], form select[id^=root_]", "els => els.map(e => e.id)")
    assert [i.removeprefix("root_") for i in ids] == sorted(properties, key=lambda n: properties[n]["x-order"])
    for name in hidden:
        assert page.get_attribute(f"#root_{name}", "type") == "hidden"
    for name in visible:
        prop = properties[name]
        label = page.locator(f"label[for=root_{name}]")
        assert label.inner_text().rstrip("*").strip().startswith(prop["title"])
        assert page.locator(f"#root_{name}__description").inner_text() == prop["description"]
        if "x-placeholder" in prop:
            assert page.get_attribute(f"#root_{name}", "placeholder") == prop["x-placeholder"]
        secret = prop.get("secret") or prop.get("x-nexla", {}).get("secured")
        assert (page.get_attribute(f"#root_{name}", "type") == "password") == bool(secret), name
        allowed = prop.get("x-nexla", {}).get("allowed_values")
        if allowed and "enum" not in prop:
            options = page.eval_on_selector_all(f"#root_{name}__examples option", "els => els.map(e => e.value)")
            assert set(allowed) <= set(options)
        if "enum" in prop:
            options = page.eval_on_selector_all(f"#root_{name} option", "els => els.map(e => e.textContent)")
            assert set(prop["enum"]) <= set(options)
    advanced = [name for name in visible if properties[name].get("x-advanced")]
    assert advanced and all(not page.locator(f"#root_{name}").is_visible() for name in advanced)
    page.get_by_label("Show advanced fields").check()
    assert all(page.locator(f"#root_{name}").is_visible() for name in advanced)


def test_test_against_a_harness_says_verified(page, serve, harness):
    open_form(page, serve())
    fill(page, harness, harness.api_key)
    page.get_by_role("button", name="Test").click()
    box = outcome(page)
    assert box.get_attribute("data-status") == "verified"
    assert box.locator("strong").inner_text() == "Verified"
    assert f"verified on pod {harness.pod}" in box.inner_text()
    page.fill("#root_api_key", "")  # the screenshot shows the form, not a key
    screenshot(page, "credential-form.png")


def test_a_wrong_key_shows_its_message(page, serve, harness, spec):
    open_form(page, serve())
    fill(page, harness, "not-the-key-0000")
    page.get_by_role("button", name="Test").click()
    box = outcome(page)
    assert box.get_attribute("data-status") == "wrong_key"
    assert box.locator("strong").inner_text() == "Wrong key"
    assert spec.credential_policy.check.refused_hint in box.inner_text()


def test_save_writes_the_file_0600_and_the_key_is_not_in_the_page_afterwards(page, serve, harness, tmp_path):
    credential = tmp_path / "saved" / "credential.json"
    server = serve(credential=credential)
    open_form(page, server)
    fill(page, harness, harness.api_key)
    page.get_by_role("button", name="Save").click()
    box = outcome(page)
    assert box.locator("strong").inner_text() == "Saved"
    assert stat.S_IMODE(credential.stat().st_mode) == 0o600
    saved = json.loads(credential.read_text())
    assert saved["api_key"] == harness.api_key and saved["base_url"] == harness.base_url
    page.wait_for_selector("[data-testid=saved-note]")
    values = page.eval_on_selector_all("input", "els => els.map(e => e.value)")
    assert harness.api_key not in page.content() and harness.api_key not in json.dumps(values)
    assert page.get_attribute("#root_api_key", "type") == "password"
    assert "saved" in page.get_attribute("#root_api_key", "placeholder")
    # A reload shows the saved fields, masked; Test with the key's field left blank uses the saved key.
    page.reload()
    page.wait_for_selector("[data-testid=saved-note]")
    assert page.input_value("#root_name") == "harness account"
    assert harness.api_key not in page.content()
    page.get_by_role("button", name="Test").click()
    assert outcome(page).get_attribute("data-status") == "verified"
    screenshot(page, "credential-saved.png")
