"""Paging over generated records plus an overlay of changes gives exactly the slices of the full list."""

from __future__ import annotations

import random
from datetime import datetime

import orjson

from insightly_connector.harness.dataset import Dataset
from insightly_connector.harness.table import load_table


def test_pages_equal_slices_of_the_full_list_under_random_changes():
    dataset = Dataset(load_table(), 3, 400)
    contacts = dataset.collection("Contacts")
    rng = random.Random(5)
    for round_ in range(30):
        for _ in range(rng.randint(0, 6)):
            action = rng.random()
            if action < 0.4 and len(contacts):
                contacts.delete(contacts.key_at(rng.randrange(len(contacts))))
            elif action < 0.7 and len(contacts):
                record = contacts.get(contacts.key_at(rng.randrange(len(contacts))))
                contacts.put({**record, "LAST_NAME": f"round {round_}"})
            else:
                contacts.put({**contacts.get(contacts.key_at(0)), "CONTACT_ID": contacts.next_key()})
        everything = contacts.everything()
        full = [orjson.loads(item)["CONTACT_ID"] for item in contacts.render_page(everything, 0, 10_000, False)]
        assert full == sorted(full) == contacts.ids() and len(full) == len(contacts)
        for _ in range(20):
            skip, top = rng.randrange(0, len(full) + 5), rng.choice((1, 7, 50, 100, 500))
            page = [orjson.loads(item)["CONTACT_ID"] for item in contacts.render_page(everything, skip, top, True)]
            assert page == full[skip:skip + top], (round_, skip, top)


def test_search_pages_equal_slices_of_a_filtered_scan():
    dataset = Dataset(load_table(), 4, 300)
    contacts = dataset.collection("Contacts")
    rng = random.Random(9)
    for key in rng.sample(contacts.ids(), 40):
        contacts.delete(key)
    for key in rng.sample(contacts.ids(), 40):
        contacts.put({**contacts.get(key), "DATE_UPDATED_UTC": "2030-01-01 00:00:00"})
    records = [contacts.get(key) for key in contacts.ids()]
    cut = sorted(r["DATE_UPDATED_UTC"] for r in records)[len(records) // 3]
    instant = int(datetime.fromisoformat(cut + "+00:00").timestamp())
    expected = [r["CONTACT_ID"] for r in records if r["DATE_UPDATED_UTC"] > cut]
    selection = dataset.search("Contacts", updated_after=instant)
    assert len(selection) == len(expected)
    for skip in range(0, len(expected) + 10, 13):
        page = [orjson.loads(item)["CONTACT_ID"] for item in contacts.render_page(selection, skip, 25, False)]
        assert page == expected[skip:skip + 25]
