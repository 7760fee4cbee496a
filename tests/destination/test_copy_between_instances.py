"""A copy between two harnesses: read from one, write with `--mode create` into the other, through an id map
(`--id-map`), in the order organisations, contacts, opportunities, leads, projects, notes. Every record is
created, and every reference the YAML declares points at the copied record: a contact's organisation,
`LINKS`, a note's parent, an opportunity's organisation, pipeline and stage."""

import orjson

from insightly_connector.api import Connector
from insightly_connector.destination.id_map import IdMap

from .conftest import Harness, credential_for

ORDER = ("organisations", "contacts", "opportunities", "leads", "projects", "notes")
COLLECTION = {"organisations": "Organisations", "contacts": "Contacts", "opportunities": "Opportunities",
              "leads": "Leads", "projects": "Projects", "notes": "Notes"}


def read_all(harness, resources, folder) -> dict[str, list[dict]]:
    with Connector({**credential_for(harness), "requests_per_second": 100}) as connector:
        connector.read(list(resources), output_dir=folder)
    return {name: [orjson.loads(line) for line in (folder / f"{name}.jsonl").read_bytes().splitlines()]
            for name in resources}


def test_copying_keeps_every_reference(module_harness, tmp_path):
    source_dir, target_dir = tmp_path / "source", tmp_path / "target"
    source_dir.mkdir(), target_dir.mkdir()
    copied = read_all(module_harness, (*ORDER, "pipelines", "pipeline_stages"), source_dir)
    with Harness(pod="na1", seed=11, plan="enterprise", contacts=4, rate_limit_per_second=None) as target:
        ids = tmp_path / "ids.jsonl"
        # Reference lists a copy does not create are mapped by name, by the user: here pipelines and stages.
        there = read_all(target, ("pipelines", "pipeline_stages"), target_dir)
        with ids.open("wb") as handle:
            for resource, key, name in (("pipelines", "PIPELINE_ID", "PIPELINE_NAME"),
                                        ("pipeline_stages", "STAGE_ID", "STAGE_NAME")):
                theirs = {(r.get("PIPELINE_ID") if resource == "pipeline_stages" else None, r[name]): r[key]
                          for r in there[resource]}
                for record in copied[resource]:
                    parent = record.get("PIPELINE_ID") if resource == "pipeline_stages" else None
                    handle.write(orjson.dumps({"resource": resource, "sourceId": record[key],
                                               "id": theirs[parent, record[name]]}) + b"\n")
        before = {name: target.count(COLLECTION[name]) for name in ORDER}
        with Connector({**credential_for(target), "requests_per_second": 100}) as connector:
            for name in ORDER:
                report = connector.write(name, "create", copied[name], id_map_path=str(ids),
                                         rejects_path=str(tmp_path / f"{name}.rejects.jsonl"))
                rejects = tmp_path / f"{name}.rejects.jsonl"
                assert report.counts["rejected"] == 0, rejects.read_text() if rejects.exists() else ""
                assert report.counts["created"] + report.counts["collapsed"] == len(copied[name])
                assert target.count(COLLECTION[name]) == before[name] + report.counts["created"]
        mapped = IdMap(ids, append=False)

        def new(resource, source_id):
            found = mapped.new_id(resource, source_id)
            assert found is not None, (resource, source_id)
            return found

        for contact in copied["contacts"]:
            made = target.get("Contacts", new("contacts", contact["CONTACT_ID"]))
            assert made["FIRST_NAME"] == contact["FIRST_NAME"]
            if contact["ORGANISATION_ID"] is not None:
                assert made["ORGANISATION_ID"] == new("organisations", contact["ORGANISATION_ID"])
            wanted = [(link["LINK_OBJECT_NAME"], link["LINK_OBJECT_ID"]) for link in contact["LINKS"] or []]
            assert [(link["LINK_OBJECT_NAME"], link["LINK_OBJECT_ID"]) for link in made["LINKS"]] == \
                [(kind, new(_resource_of(kind), source)) for kind, source in wanted]
        for opportunity in copied["opportunities"]:
            made = target.get("Opportunities", new("opportunities", opportunity["OPPORTUNITY_ID"]))
            for field, resource in (("ORGANISATION_ID", "organisations"), ("PIPELINE_ID", "pipelines"),
                                    ("STAGE_ID", "pipeline_stages")):
                if opportunity[field] is not None:
                    assert made[field] == new(resource, opportunity[field]), field
        assert copied["notes"], "the source has notes to copy"
        for note in copied["notes"]:
            made = target.get("Notes", new("notes", note["NOTE_ID"]))
            parents = {(link["LINK_OBJECT_NAME"], link["LINK_OBJECT_ID"]) for link in made["LINKS"]}
            for link in note["LINKS"]:
                assert (link["LINK_OBJECT_NAME"], new(_resource_of(link["LINK_OBJECT_NAME"]),
                                                      link["LINK_OBJECT_ID"])) in parents
            assert made["TITLE"] == note["TITLE"]


def _resource_of(link_object_name: str) -> str:
    return {"Contact": "contacts", "Organisation": "organisations", "Opportunity": "opportunities",
            "Lead": "leads", "Project": "projects", "Note": "notes"}[link_object_name]


def test_every_declared_reference_names_a_resource_and_a_field():
    from insightly_connector.spec.loader import load_spec
    spec = load_spec()
    for resource in spec.resources.values():
        properties = resource.schema.get("properties") or {}
        for field, target in resource.references.items():
            assert field in properties, (resource.name, field)
            targets = target["resources"].values() if isinstance(target, dict) else [target]
            for name in targets:
                assert name in spec.resources, (resource.name, field, name)


def test_a_reference_the_map_lacks_is_rejected_and_one_it_cannot_map_is_kept_with_a_warning(
        module_harness, run_write, tmp_path):
    organisation = module_harness.ids("Organisations")[0]
    ids = tmp_path / "ids.jsonl"
    ids.write_bytes(orjson.dumps({"resource": "organisations", "sourceId": 501, "id": organisation}) + b"\n")
    opportunity = module_harness.ids("Opportunities")[0]
    link = {"LINK_OBJECT_NAME": "Opportunity", "LINK_OBJECT_ID": opportunity}
    report = run_write("contacts", "create", [
        {"CONTACT_ID": 9001, "FIRST_NAME": "Mapped", "ORGANISATION_ID": 501, "LINKS": [link]},
        {"CONTACT_ID": 9002, "FIRST_NAME": "Unmapped", "ORGANISATION_ID": 502},
    ], id_map_path=str(ids), rejects_path=str(tmp_path / "rejects.jsonl"), results_path=str(tmp_path / "r.jsonl"))
    assert (report.counts["created"], report.counts["rejected"]) == (1, 1), report.summary_table()
    (reject,) = [orjson.loads(line) for line in (tmp_path / "rejects.jsonl").read_bytes().splitlines()]
    assert reject["error"]["category"] == "unmapped_reference" and "502" in reject["error"]["message"]
    created = next(orjson.loads(line) for line in (tmp_path / "r.jsonl").read_bytes().splitlines()
                   if orjson.loads(line)["outcome"] == "created")
    made = module_harness.get("Contacts", created["id"])
    assert made["ORGANISATION_ID"] == organisation
    assert [(lk["LINK_OBJECT_NAME"], lk["LINK_OBJECT_ID"]) for lk in made["LINKS"]] == [("Opportunity", opportunity)]
    assert report.warnings == 2  # the dropped CONTACT_ID, and the link kept because the map has no opportunities
    dry = run_write("contacts", "create", [{"FIRST_NAME": "Dry", "LINKS": [link]}], id_map_path=str(ids),
                    dry_run=True)
    assert dry.plan[0]["warnings"] == [f"kept LINKS.LINK_OBJECT_ID {opportunity}: the id map has no opportunities"]
    mapped = IdMap(ids, append=False)
    assert mapped.new_id("contacts", 9001) == created["id"] and created["sourceId"] == 9001


def test_the_readme_s_pipe_copies_with_the_command_line(module_harness, tmp_path):
    """`read --resources R | write --resource R --mode create --id-map ids.jsonl`, as the README shows."""
    import subprocess
    import sys

    def credential_file(harness, name):
        path = tmp_path / name
        path.write_bytes(orjson.dumps({**credential_for(harness), "requests_per_second": 100}))
        return str(path)

    source = credential_file(module_harness, "source.json")
    with Harness(pod="na1", seed=13, plan="enterprise", contacts=3, rate_limit_per_second=None) as target_harness:
        target = credential_file(target_harness, "target.json")
        ids = tmp_path / "ids.jsonl"
        for resource in ("organisations", "contacts"):
            read = subprocess.run([sys.executable, "-m", "insightly_connector", "read", "--credential", source,
                                   "--resources", resource, "--quiet"], capture_output=True, timeout=60, check=False)
            assert read.returncode == 0, read.stderr
            written = subprocess.run([sys.executable, "-m", "insightly_connector", "write", "--credential", target,
                                      "--resource", resource, "--mode", "create", "--id-map", str(ids), "--quiet",
                                      "--rejects", str(tmp_path / f"{resource}.rejects.jsonl")],
                                     input=read.stdout, capture_output=True, timeout=60, check=False)
            assert written.returncode == 0 and written.stderr == b"", written.stderr
        mapped = IdMap(ids, append=False)
        for line in read.stdout.splitlines():
            contact = orjson.loads(line)
            made = target_harness.get("Contacts", mapped.new_id("contacts", contact["CONTACT_ID"]))
            assert made["FIRST_NAME"] == contact["FIRST_NAME"]
            if contact["ORGANISATION_ID"] is not None:
                assert made["ORGANISATION_ID"] == mapped.new_id("organisations", contact["ORGANISATION_ID"])
