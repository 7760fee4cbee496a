"""Reading the spec's files (YAML, JSON, record schemas) and validating documents against a schema,
with one-line messages that name the YAML path and never show a secret value.

PyYAML and jsonschema are imported where they are used: a run whose declaration was already judged
(`validation_cache.py`) and whose credential passes `form_check` never loads them, which is most of a
run's start-up."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from insightly_connector.errors import ConfigError
from insightly_connector.spec import validation_cache
from insightly_connector.spec.form_check import surely_valid

if TYPE_CHECKING:
    import yaml
    from jsonschema.exceptions import ValidationError

_SECRET_MARKERS = ("secret", "airbyte_secret", "writeOnly")
_RECORDINGS: list[list[Path]] = []  # the lists of the `files_read` blocks that are open
_SAFE_MESSAGES = frozenset({"required", "additionalProperties", "dependencies"})


def validate_against(schema: dict, instance: Any, label: str) -> None:
    """Validate `instance` (draft-07); raise one `ConfigError` line naming the JSON path.

    The offending value is shown only for scalars outside properties marked secret / writeOnly, so
    this is safe to use on credentials. A document `form_check` finds valid is not shown to jsonschema:
    it is imported only to judge what that check cannot, and to explain a failure."""
    if surely_valid(schema, instance):
        return
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import best_match

    error = best_match(Draft7Validator(schema).iter_errors(instance))
    if error is None:
        return
    location = _location(error.absolute_path)
    reveal = not _is_secret(schema, error)
    prefix = f"{label}: {location}: " if location else f"{label}: "
    raise ConfigError(prefix + _explain(error, reveal))


@contextlib.contextmanager
def files_read() -> Iterator[list[Path]]:
    """The files read here while the block runs (every file of a spec is): what a result built from them
    depends on. A block open on another thread may see more files than its own, never fewer."""
    files: list[Path] = []
    _RECORDINGS.append(files)
    try:
        yield files
    finally:
        _RECORDINGS.remove(files)


def _file_bytes(path: Path) -> bytes:
    depends_on(path)
    return path.read_bytes()


def depends_on(path: Path) -> None:
    """Count `path` among the files read in the open `files_read` blocks though it is not read now: what is
    built depends on it all the same (a judgement of it was remembered)."""
    for files in _RECORDINGS:
        files.append(path)


@functools.cache
def _strict_loader() -> type:
    """A safe loader (libyaml's when present) that refuses duplicate keys, which PyYAML would
    otherwise silently overwrite."""
    import yaml

    class StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
            seen: set = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark)
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return StrictLoader


def load_declaration(path: Path, meta_schema_path: Path, meta_label: str) -> dict:
    """`read_yaml`, then validation against the meta-schema, both skipped when these exact bytes of
    the YAML and the meta-schema were judged valid before (the parsed document is kept as JSON)."""
    raw = _read_bytes(path)
    meta = _read_bytes(meta_schema_path, meta_label)
    key = validation_cache.digest("declaration", raw, meta)
    cached = validation_cache.recall(key)
    if cached is not None:
        try:
            document = orjson.loads(cached)
        except orjson.JSONDecodeError:
            document = None
        if isinstance(document, dict):
            return document
    document = read_yaml(path, raw)
    validate_against(_json_object(meta, meta_schema_path, meta_label), document, path.name)
    try:
        payload = orjson.dumps(document)
    except TypeError:  # YAML-only values (dates, non-string keys): validated every time instead
        return document
    if orjson.loads(payload) == document:
        validation_cache.remember(key, payload)
    return document


def _read_bytes(path: Path, label: str | None = None) -> bytes:
    try:
        return _file_bytes(path)
    except OSError as exc:
        where = f"{label}: {path.name}" if label else path.name
        raise ConfigError(f"{where}: cannot be read ({exc.strerror or exc})") from None


def read_yaml(path: Path, raw: bytes | None = None) -> dict:
    import yaml

    label = path.name
    try:
        text = (raw if raw is not None else _file_bytes(path)).decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"{label}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
                          "save it as UTF-8") from None
    try:
        document = yaml.load(text, Loader=_strict_loader())  # a safe loader: no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        position = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{label}: {position}invalid YAML ({problem})") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{label}: must be a mapping with connector, credential, http, defaults, resources")
    return document


def read_json(path: Path, label: str) -> dict:
    try:
        raw = _file_bytes(path)
    except OSError as exc:
        raise ConfigError(f"{label}: {path.name} cannot be read ({exc.strerror or exc})") from None
    return _json_object(raw, path, label)


def _json_object(raw: bytes, path: Path, label: str) -> dict:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{label}: {path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
                          f"{exc.start}); save it as UTF-8") from None
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"{label}: {path.name} is not valid JSON (line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: {path.name} must hold a JSON object")
    return data


def load_record_schema(path: Path, label: str) -> dict:
    """A record schema must be an object schema. The full draft-07 check is left to the tests and
    the generator: run on every load it would cost more than everything else here together."""
    schema = read_json(path, label)
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        raise ConfigError(f"{label}: must be an object schema with properties")
    return schema


def check_schema(schema: dict, label: str) -> None:
    """A valid draft-07 schema, or a `ConfigError`; a schema judged valid before is not judged again."""
    key = validation_cache.digest("draft-07 schema", orjson.dumps(schema, option=orjson.OPT_SORT_KEYS))
    if validation_cache.recall(key) is not None:
        return
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft7Validator.check_schema(schema)
    except SchemaError as exc:
        raise ConfigError(f"{label}: not a valid draft-07 schema ({exc.message})") from None
    validation_cache.remember(key, b"")


# -- messages ------------------------------------------------------------------------------------------


def _location(path: Iterable[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _is_secret(schema: dict, error: ValidationError) -> bool:
    """True if the failing value sits at (or under) a property marked secret in the schema."""
    nodes = [error.schema]
    node: Any = schema
    for part in error.absolute_path:
        if not isinstance(node, dict):
            break
        if isinstance(part, str) and part in node.get("properties", {}):
            node = node["properties"][part]
        elif isinstance(part, int) and isinstance(node.get("items"), dict):
            node = node["items"]
        else:
            break
        nodes.append(node)
    return any(isinstance(n, dict) and (any(n.get(m) for m in _SECRET_MARKERS)
                                        or n.get("x-nexla", {}).get("secured")) for n in nodes)


_MAX_SHOWN_VALUE_CHARS = 120


def _explain(error: ValidationError, reveal: bool) -> str:
    """jsonschema's own sentence when it is safe and short; otherwise one built without the value."""
    scalar = error.instance is None or isinstance(error.instance, (str, int, float, bool))
    reveal = reveal and len(repr(error.instance)) <= _MAX_SHOWN_VALUE_CHARS  # a megabyte echoed back helps nobody
    if error.validator == "not" and error.validator_value == {}:  # `not: {}`: the key may not be here
        return "is not allowed here"
    examples = error.schema.get("examples") if isinstance(error.schema, dict) else None
    if error.validator == "pattern" and examples:  # a form field: show what is expected, not a regex
        shown = f"{error.instance!r} " if reveal else ""
        return f"{shown}does not have the expected format (for example {', '.join(map(str, examples))})"
    if error.validator in _SAFE_MESSAGES or (reveal and scalar):
        return error.message
    expected = error.validator_value
    generic = {
        "type": f"must be of type {expected}",
        "maxLength": "must be blank" if expected == 0 else f"is longer than {expected} characters",
        "minLength": "must not be empty" if expected == 1 else f"is shorter than {expected} characters",
        "pattern": "does not have the expected format",
        "const": f"must be {expected!r}",
        "enum": f"must be one of {expected}",
        "minProperties": "must not be empty",
        "minItems": "must not be empty",
        "oneOf": "does not match any accepted form",
        "anyOf": "does not match any accepted form",
    }
    return generic.get(error.validator, f"does not satisfy the {error.validator} rule")


def unknown(what: str, name: str, known: Iterable[str]) -> str:
    import difflib  # for a mistake's message only

    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"unknown {what}{hint}"
