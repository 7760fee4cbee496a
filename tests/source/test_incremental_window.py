"""The incremental window in isolation: bound, drops, boundary ties, next cursor."""

from datetime import datetime, timedelta, timezone

import pytest

from insightly_connector.source.incremental import CursorPolicy, Window, record_digest

CONFIG = {"cursor_field": "DATE_UPDATED_UTC", "cursor_format": "%Y-%m-%d %H:%M:%S", "path": "/X/Search",
          "param": "updated_after_utc", "param_format": "%Y-%m-%dT%H:%M:%SZ", "granularity_seconds": 1,
          "lookback_seconds": 0}
POLICY = CursorPolicy.from_config(CONFIG)
SERVER_NOW = datetime(2025, 5, 1, 12, 0, 30, 700000, tzinfo=timezone.utc)


def rec(key: int, updated: str) -> dict:
    return {"ID": key, "DATE_UPDATED_UTC": updated}


def test_request_bound_is_one_granularity_before_the_cursor_in_the_param_format():
    window = Window(POLICY, cursor="2025-05-01 10:00:00")
    assert window.request_bound() == "2025-05-01T09:59:59Z"


def test_records_below_the_cursor_and_boundary_ties_are_dropped_but_changed_ties_kept():
    window = Window(POLICY, cursor="2025-05-01 10:00:00",
                    boundary={"1": "2025-05-01 10:00:00", "2": "2025-05-01 10:00:00"})
    window.start(SERVER_NOW)
    page = [rec(1, "2025-05-01 10:00:00"),  # emitted last run with this very value: drop
            rec(2, "2025-05-01 10:00:05"),  # in the boundary but updated since: keep
            rec(3, "2025-05-01 09:59:59"),  # below the cursor (an inclusive server returns it): drop
            rec(4, "2025-05-01 10:00:00"),  # a tie nobody emitted yet: keep
            {"ID": 5}]                       # no cursor value: keep, never guess
    assert [r["ID"] for r in window.select(page, "ID")] == [2, 4, 5]


def test_full_window_keeps_everything_and_remembers_records_at_or_after_the_next_cursor():
    window = Window(POLICY)
    window.start(SERVER_NOW)  # S = 12:00:30.7 floored to the second
    page = [rec(1, "2025-05-01 11:00:00"), rec(2, "2025-05-01 12:00:30"), rec(3, "2025-05-01 12:00:31")]
    assert len(window.select(page, "ID")) == 3
    assert window.completed() == {"cursor": "2025-05-01 12:00:30", "boundary": {
        "2": ["2025-05-01 12:00:30", record_digest(page[1])], "3": ["2025-05-01 12:00:31", record_digest(page[2])]}}


def test_a_second_change_within_the_same_second_is_not_hidden_by_the_boundary():
    first = rec(1, "2025-05-01 12:00:30")
    window = Window(POLICY, cursor="2025-05-01 12:00:30",
                    boundary={"1": ["2025-05-01 12:00:30", record_digest(first)]})
    window.start(SERVER_NOW)
    assert window.select([first], "ID") == []  # the same version again: a duplicate
    changed = {**first, "FIRST_NAME": "changed in the same second"}
    assert window.select([changed], "ID") == [changed]


def test_next_cursor_is_the_sync_start_not_the_highest_value_seen_and_old_boundary_expires():
    window = Window(POLICY, cursor="2025-05-01 10:00:00", boundary={"9": "2025-05-01 10:00:00"})
    window.start(SERVER_NOW)
    window.select([rec(7, "2025-05-01 11:00:00")], "ID")
    state = window.completed()
    assert state == {"cursor": "2025-05-01 12:00:30", "boundary": {}}


def test_lookback_moves_the_next_cursor_back():
    policy = CursorPolicy.from_config({**CONFIG, "lookback_seconds": 60})
    window = Window(policy)
    window.start(SERVER_NOW)
    assert window.completed()["cursor"] == "2025-05-01 11:59:30"


def test_a_resumed_window_keeps_its_sync_start_and_pending_boundary():
    first = Window(POLICY, cursor="2025-05-01 10:00:00")
    first.start(SERVER_NOW)
    page = [rec(3, "2025-05-01 12:00:40")]
    first.select(page, "ID")
    saved = first.in_progress()
    assert saved["mode"] == "incremental" and saved["bound"] == "2025-05-01T09:59:59Z"
    resumed = Window(POLICY, cursor="2025-05-01 10:00:00", sync_start=saved["sync_start"],
                     pending=saved["boundary"])
    resumed.start(datetime(2025, 5, 2, tzinfo=timezone.utc))  # later clock: ignored, S is kept
    assert resumed.completed() == {"cursor": "2025-05-01 12:00:30",
                                   "boundary": {"3": ["2025-05-01 12:00:40", record_digest(page[0])]}}


@pytest.mark.parametrize("cursor_format", ["%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S"])
def test_fast_and_general_parsers_agree(cursor_format):
    policy = CursorPolicy.from_config({**CONFIG, "cursor_format": cursor_format})
    moment = datetime(2024, 12, 31, 23, 59, 58)
    assert policy.parser()(moment.strftime(cursor_format)) == moment


def test_a_cursor_with_a_zone_is_compared_in_utc():
    policy = CursorPolicy.from_config({**CONFIG, "cursor_format": "%Y-%m-%dT%H:%M:%S%z"})
    assert policy.parser()("2025-05-01T14:00:00+0200") == datetime(2025, 5, 1, 12, 0, 0)


@pytest.mark.parametrize(("cursor_format", "text_sortable"), [
    ("%Y-%m-%d %H:%M:%S", True), ("%Y-%m-%dT%H:%M:%S.%f", True), ("%Y%m%d", True),
    ("%d/%m/%Y %H:%M:%S", False), ("%Y-%m-%dT%H:%M:%S%z", False), ("%H:%M:%S", False)])
def test_text_comparison_is_used_only_for_formats_that_sort_like_time(cursor_format, text_sortable):
    assert CursorPolicy.from_config({**CONFIG, "cursor_format": cursor_format}).sorts_as_text() is text_sortable


@pytest.mark.parametrize("cursor_format", ["%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S"])
def test_text_and_parsed_comparisons_select_the_same_records(cursor_format):
    policy = CursorPolicy.from_config({**CONFIG, "cursor_format": cursor_format})
    cursor = datetime(2025, 5, 1, 10, 0, 0)
    window = Window(policy, cursor=cursor.strftime(cursor_format))
    window.start(SERVER_NOW)
    offsets = [-86400 * 40, -1, 0, 1, 86400 * 400]  # across day, month and year boundaries
    page = [{"ID": n, "DATE_UPDATED_UTC": (cursor + timedelta(seconds=s)).strftime(cursor_format)}
            for n, s in enumerate(offsets)]
    assert [r["ID"] for r in window.select(page, "ID")] == [2, 3, 4]
    assert set(window.completed()["boundary"]) == {"4"}
