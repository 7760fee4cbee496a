"""A re-run with the same journal: what an earlier run rejected stays rejected (exit 3, no request, its reject
kept once in the file) unless `--retry-rejects` sends it again."""

from insightly_connector.errors import ExitCode

from .conftest import mutations, read_lines


def test_earlier_rejects_stay_rejects_and_retry_rejects_sends_them_again(harness, run_write, tmp_path):
    target = harness.ids("Contacts")[0]
    journal, rejects, results = tmp_path / "journal.jsonl", tmp_path / "rejects.jsonl", tmp_path / "results.jsonl"
    records = [{"CONTACT_ID": target, "TITLE": "Kept"}, {"CONTACT_ID": 999_999_999, "TITLE": "No such contact"}]
    options = {"journal_path": str(journal), "rejects_path": str(rejects), "results_path": str(results)}
    first = run_write("contacts", "update", records, **options)
    assert (first.exit_code, first.counts["updated"], first.counts["rejected"]) == (ExitCode.REJECTED, 1, 1)
    assert [r["error"]["status"] for r in read_lines(rejects)] == [404]

    harness.clear_requests()
    again = run_write("contacts", "update", records, **options)
    assert again.exit_code == ExitCode.REJECTED, again.summary_table()
    assert (again.counts["already_done"], again.counts["rejected"]) == (1, 1)
    assert not mutations(harness)
    assert len(read_lines(rejects)) == 1, "the earlier reject is still there, not written twice"
    assert {line["inputLine"]: line["outcome"] for line in read_lines(results)} == {1: "updated", 2: "rejected"}
    assert all(line["fromJournal"] for line in read_lines(results))

    retried = run_write("contacts", "update", records, retry_rejects=True, **options)
    assert (retried.counts["already_done"], retried.counts["rejected"]) == (1, 1)
    assert [entry.path for entry in mutations(harness)] == ["/Contacts"]  # line 2 sent again; still no such id
    assert [r["nexlaMetaData"]["inputLine"] for r in read_lines(rejects)] == [2]
    assert read_lines(rejects)[0]["nexlaMetaData"]["runId"] == retried.run_id


def test_retry_rejects_confirms_what_can_now_be_written(harness, run_write, tmp_path):
    journal, rejects = tmp_path / "journal.jsonl", tmp_path / "rejects.jsonl"
    records = [{"FIRST_NAME": "Limited", "EMAIL_ADDRESS": "limited@retry.test"}]
    harness.set_record_limit(0)
    first = run_write("contacts", "create", records, journal_path=str(journal), rejects_path=str(rejects))
    assert first.counts["rejected"] == 1 and read_lines(rejects)[0]["error"]["status"] == 402
    harness.set_record_limit(None)
    retried = run_write("contacts", "create", records, journal_path=str(journal), rejects_path=str(rejects),
                        retry_rejects=True)
    assert (retried.exit_code, retried.counts["created"], retried.counts["rejected"]) == (ExitCode.OK, 1, 0)
    assert read_lines(rejects) == [], "the retried record's old reject is gone"
