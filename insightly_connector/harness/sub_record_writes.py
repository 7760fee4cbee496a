"""Writes to what lives under a record (api-notes §2.3 and §6), as the emulated API answers them.

    POST   /{Object}/{id}/Tags                {"TAG_NAME"}            201, the tag (added once)
    DELETE /{Object}/{id}/Tags                {"TAG_NAME"}            202 (absent: 202 too, as a set)
    POST   /{Object}/{id}/Links               APILinkDto              201, the stored link with its LINK_ID
    DELETE /{Object}/{id}/Links/{linkId}                              202, 404 when the record has no such link
    PUT    /{Object}/{id}/Pipeline            {PIPELINE_ID, PIPELINE_STAGE_CHANGE?}   200, the record
    DELETE /{Object}/{id}/Pipeline                                    202, pipeline and stage cleared
    PUT    /{Object}/{id}/PipelineStage       {STAGE_ID}              200; the stage must be of its pipeline
    PUT    /Opportunities/{id}/StateChange    {FOR_OPPORTUNITY_STATE, STATE_REASON_ID?, ...}  200
    POST   /{Object}/{id}/ActivitySetAssignment  {ACTIVITYSET_ID, ...}   201, the assignment
    PUT    /{Object}/{id}/Dates               APIDate                 200, the date (new DATE_ID or replaced)
    PUT    /Organisations/{id}/EmailDomains   APIEmailDomain          200, the domain
    POST   /{Object}/{id}/FileAttachments     multipart: file, file_name, content_type, file_category_id
                                                                      201, the attachment's metadata
    DELETE /FileAttachments/{id}                                      202, 404 when no record has it
    POST   /{Object}/{id}/Comments            the comment             201, the stored comment

What the notes leave open is chosen here and said here: removing a tag the record does not carry is
a 202 (tags are a set); a state change records a StateHistory entry; a date or an e-mail domain with
an id replaces that one and without one is added; an upload takes exactly one file part ("only one
file per request") and a comment is stored as sent. Children (attachments, comments, state history)
go to the harness's child store (`children.py`), so a read of the child route sees the write.
"""

from __future__ import annotations

import copy
from email.parser import BytesParser
from email.policy import HTTP

import orjson

from insightly_connector.harness.datetimes import format_record_date

OPPORTUNITY_STATES = ("OPEN", "WON", "LOST", "ABANDONED", "SUSPENDED")
MAX_TAG = 255


class SubRecordError(Exception):
    """The emulated API refuses the write: `status` and Insightly's message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def handles(sub: str) -> bool:
    return sub in _HANDLERS


def write(api, spec, key, sub: str, argument: list[str], method: str, body: bytes, headers: dict,
          user_id: int) -> tuple[int, object]:
    """One sub-record write on record `key` of `spec`: (status, answer body or None)."""
    handler = _HANDLERS[sub].get(method)
    if handler is None:
        raise SubRecordError(405, f"The requested resource does not support http method '{method}'.")
    return handler(_Target(api, spec, key, user_id), argument, body, headers)


def delete_file_attachment(api, file_id: int) -> bool:
    """`DELETE /FileAttachments/{id}`: the attachment under whichever record holds it."""
    for (kind, collection, parent), stored in list(api.children._children.items()):
        if kind != "FileAttachments":
            continue
        for key, item in list(stored.items()):  # by the record's FILE_ID, whatever the store keys it by
            if item.record.get("FILE_ID") == file_id:
                return api.children.remove(kind, collection, parent, key)
    return False


class _Target:
    """The record a sub-write changes, and the harness parts it needs."""

    def __init__(self, api, spec, key, user_id: int):
        self.api, self.spec, self.key, self.user_id = api, spec, key, user_id
        self.store = api.dataset.collection(spec.name)

    @property
    def record(self) -> dict:
        return self.store.get(self.key)

    def save(self, changes: dict) -> dict:
        """Store changed fields of the record (nested ones as given) and stamp its update time."""
        record = copy.deepcopy(self.record)
        record.update(changes)
        if "DATE_UPDATED_UTC" in record:
            record["DATE_UPDATED_UTC"] = format_record_date(self.api.clock.epoch())
        self.store.put(record)
        return record

    def reference(self, collection: str, value, field: str) -> dict:
        if not isinstance(value, int) or isinstance(value, bool):
            raise SubRecordError(400, f"Data validation error. {field} must be an integer")
        found = self.api.dataset.collection(collection).get(value)
        if found is None:
            raise SubRecordError(400, f"Data validation error. {field} {value} does not exist")
        return found


def _json_object(body: bytes) -> dict:
    try:
        document = orjson.loads(body or b"null")
    except orjson.JSONDecodeError:
        raise SubRecordError(400, "Data validation error. The request body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise SubRecordError(400, "Data validation error. The request body must be a JSON object.")
    return document


def _text(document: dict, field: str, max_length: int = MAX_TAG) -> str:
    value = document.get(field)
    if not isinstance(value, str) or not value.strip():
        raise SubRecordError(400, f"Data validation error. {field} is required")
    if len(value) > max_length:
        raise SubRecordError(400, f"Data validation error. {field} is longer than {max_length} characters")
    return value


# ---- tags --------------------------------------------------------------------------------------------


def _add_tag(target: _Target, argument, body, headers):
    name = _text(_json_object(body), "TAG_NAME")
    tags = list(target.record.get("TAGS") or [])
    if all(tag.get("TAG_NAME") != name for tag in tags):
        target.save({"TAGS": [*tags, {"TAG_NAME": name}]})
    return 201, {"TAG_NAME": name}


def _remove_tag(target: _Target, argument, body, headers):
    name = _text(_json_object(body), "TAG_NAME")
    tags = list(target.record.get("TAGS") or [])
    kept = [tag for tag in tags if tag.get("TAG_NAME") != name]
    if len(kept) != len(tags):
        target.save({"TAGS": kept})
    return 202, None


# ---- links -------------------------------------------------------------------------------------------


def _add_link(target: _Target, argument, body, headers):
    link = _json_object(body)
    titles = {spec.title: spec.name for spec in target.api.dataset.specs.values()}
    name = link.get("LINK_OBJECT_NAME")
    if name not in titles:  # the plural ("Organisations") is the common mistake: a 400
        raise SubRecordError(400, f"Data validation error. unknown LINK_OBJECT_NAME {name!r}")
    target.reference(titles[name], link.get("LINK_OBJECT_ID"), "LINK_OBJECT_ID")
    links = list(target.record.get("LINKS") or [])
    link_id = max([target.key * 10, *(item.get("LINK_ID") or 0 for item in links)]) + 1
    stored = {"LINK_ID": link_id, "OBJECT_NAME": target.spec.title, "OBJECT_ID": target.key,
              "LINK_OBJECT_NAME": name, "LINK_OBJECT_ID": link["LINK_OBJECT_ID"], "ROLE": link.get("ROLE"),
              "DETAILS": link.get("DETAILS"), "RELATIONSHIP_ID": link.get("RELATIONSHIP_ID"), "IS_FORWARD": True}
    target.save({"LINKS": [*links, stored]})
    return 201, stored


def _remove_link(target: _Target, argument, body, headers):
    try:
        link_id = int(argument[0])
    except (IndexError, ValueError):
        raise SubRecordError(400, "Often missing or invalid parameter. The link id must be an integer.") from None
    links = list(target.record.get("LINKS") or [])
    kept = [item for item in links if item.get("LINK_ID") != link_id]
    if len(kept) == len(links):
        raise SubRecordError(404, "Record not found.")
    target.save({"LINKS": kept})
    return 202, None


# ---- pipelines, stages, state ------------------------------------------------------------------------


def _set_pipeline(target: _Target, argument, body, headers):
    change = _json_object(body)
    pipeline = target.reference("Pipelines", change.get("PIPELINE_ID"), "PIPELINE_ID")
    stages = _stages_of(target, pipeline["PIPELINE_ID"])
    stage_change = change.get("PIPELINE_STAGE_CHANGE") or {}
    stage_id = stage_change.get("STAGE_ID") if isinstance(stage_change, dict) else None
    if stage_id is None:
        stage_id = stages[0]["STAGE_ID"] if stages else None
    elif stage_id not in {stage["STAGE_ID"] for stage in stages}:
        raise SubRecordError(400, f"Data validation error. STAGE_ID {stage_id} is not a stage of the pipeline")
    return 200, target.save({"PIPELINE_ID": pipeline["PIPELINE_ID"], "STAGE_ID": stage_id})


def _clear_pipeline(target: _Target, argument, body, headers):
    if target.record.get("PIPELINE_ID") is None:
        raise SubRecordError(417, "Delete failed.")
    target.save({"PIPELINE_ID": None, "STAGE_ID": None})
    return 202, None


def _set_stage(target: _Target, argument, body, headers):
    change = _json_object(body)
    pipeline_id = target.record.get("PIPELINE_ID")
    if pipeline_id is None:
        raise SubRecordError(400, "Data validation error. The record is not in a pipeline")
    stage = target.reference("PipelineStages", change.get("STAGE_ID"), "STAGE_ID")
    if stage["PIPELINE_ID"] != pipeline_id:
        raise SubRecordError(400, f"Data validation error. STAGE_ID {stage['STAGE_ID']} is not a stage of "
                                  f"pipeline {pipeline_id}")
    return 200, target.save({"STAGE_ID": stage["STAGE_ID"]})


def _stages_of(target: _Target, pipeline_id: int) -> list[dict]:
    store = target.api.dataset.collection("PipelineStages")
    stages = [store.get(key) for key in store.keys]
    return sorted((stage for stage in stages if stage and stage["PIPELINE_ID"] == pipeline_id),
                  key=lambda stage: stage.get("STAGE_ORDER") or 0)


def _change_state(target: _Target, argument, body, headers):
    change = _json_object(body)
    state = change.get("FOR_OPPORTUNITY_STATE")
    if not isinstance(state, str) or state.upper() not in OPPORTUNITY_STATES:
        raise SubRecordError(400, f"Data validation error. FOR_OPPORTUNITY_STATE must be one of "
                                  f"{', '.join(OPPORTUNITY_STATES)}")
    reason_id = change.get("STATE_REASON_ID")
    if reason_id is not None:
        reason = target.reference("OpportunityStateReasons", reason_id, "STATE_REASON_ID")
        if str(reason.get("FOR_OPPORTUNITY_STATE", "")).upper() != state.upper():
            raise SubRecordError(400, f"Data validation error. STATE_REASON_ID {reason_id} is a reason for "
                                      f"{reason.get('FOR_OPPORTUNITY_STATE')}, not {state}")
    record = target.save({"OPPORTUNITY_STATE": state.upper()})
    target.api.children.add("StateHistory", target.spec.name, target.key, {
        "OPPORTUNITY_ID": target.key, "FOR_OPPORTUNITY_STATE": state.upper(), "STATE_REASON_ID": reason_id,
        "STATE_REASON": change.get("STATE_REASON"),
        "DATE_CHANGED_UTC": change.get("DATE_CHANGED_UTC") or format_record_date(target.api.clock.epoch())})
    return 200, record


def _assign_activity_set(target: _Target, argument, body, headers):
    assignment = _json_object(body)
    target.reference("ActivitySets", assignment.get("ACTIVITYSET_ID"), "ACTIVITYSET_ID")
    return 201, assignment


# ---- dates and e-mail domains ------------------------------------------------------------------------


def _replace_or_add(target: _Target, field: str, key_field: str, item: dict) -> dict:
    items = list(target.record.get(field) or [])
    if item.get(key_field) is not None:
        if all(existing.get(key_field) != item[key_field] for existing in items):
            raise SubRecordError(404, "Record not found.")
        items = [item if existing.get(key_field) == item[key_field] else existing for existing in items]
    else:
        item = {**item, key_field: max([target.key * 10, *(e.get(key_field) or 0 for e in items)]) + 1}
        items.append(item)
    target.save({field: items})
    return item


def _set_date(target: _Target, argument, body, headers):
    date = _json_object(body)
    _text(date, "OCCASION_NAME")
    _text(date, "OCCASION_DATE", 19)
    item = {name: date.get(name) for name in ("DATE_ID", "OCCASION_NAME", "OCCASION_DATE", "REPEAT_YEARLY",
                                              "CREATE_TASK_YEARLY")}
    return 200, _replace_or_add(target, "DATES", "DATE_ID", item)


def _set_email_domain(target: _Target, argument, body, headers):
    domain = _json_object(body)
    item = {"EMAIL_DOMAIN_ID": domain.get("EMAIL_DOMAIN_ID"), "EMAIL_DOMAIN": _text(domain, "EMAIL_DOMAIN")}
    return 200, _replace_or_add(target, "EMAILDOMAINS", "EMAIL_DOMAIN_ID", item)


# ---- file attachments and comments -------------------------------------------------------------------


def _attach_file(target: _Target, argument, body, headers):
    content_type = headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise SubRecordError(400, "Often missing or invalid parameter. The upload must be multipart/form-data.")
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    files, fields = [], {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename() is not None:
            files.append(part)
        elif name:
            fields[name] = part.get_content().strip()
    if len(files) != 1:
        raise SubRecordError(400, f"Often missing or invalid parameter. Only one file per request ({len(files)} "
                                  "sent).")
    data = files[0].get_payload(decode=True) or b""
    category = fields.get("file_category_id")
    record = target.api.children.add("FileAttachments", target.spec.name, target.key, {
        "FILE_NAME": fields.get("file_name") or files[0].get_filename(),
        "CONTENT_TYPE": fields.get("content_type") or files[0].get_content_type(), "FILE_SIZE": len(data),
        "FILE_CATEGORY_ID": int(category) if category and category.isdigit() else None,
        "OWNER_USER_ID": target.user_id, "URL": None})
    return 201, record


def _add_comment(target: _Target, argument, body, headers):
    comment = _json_object(body)
    comment.setdefault("OWNER_USER_ID", target.user_id)
    return 201, target.api.children.add("Comments", target.spec.name, target.key, comment)


_HANDLERS = {
    "Tags": {"POST": _add_tag, "DELETE": _remove_tag},
    "Links": {"POST": _add_link, "DELETE": _remove_link},
    "Pipeline": {"PUT": _set_pipeline, "DELETE": _clear_pipeline},
    "PipelineStage": {"PUT": _set_stage},
    "StateChange": {"PUT": _change_state},
    "ActivitySetAssignment": {"POST": _assign_activity_set},
    "Dates": {"PUT": _set_date},
    "EmailDomains": {"PUT": _set_email_domain},
    "FileAttachments": {"POST": _attach_file},
    "Comments": {"POST": _add_comment},
}
