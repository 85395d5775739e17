"""Check recorded API exchanges against the vendor's OpenAPI spec (NetSapiens API v2, an apidog export).

The spec is data kept outside the repository (``../shared/netsapiens/openapi-v2.json`` next to the checkout,
or ``$SKYCONF_SPEC``); it is read at run time and never copied into the tree.

How the export is read (API-NOTES section 0), i.e. interpretation, not tolerance:

* ``#N`` suffixes on path keys are variants of one METHOD + path; they are stripped for matching and an
  exchange is valid when at least one variant accepts it.
* the exporter's own ref and override extensions are ignored: ``properties`` and ``required`` hold the merged
  result. Response keys ``x-NNN-K`` are further alternatives for status NNN.
* readOnly properties are not required in requests and writeOnly ones not in responses (OpenAPI 3.1);
  applied to every schema, through nested objects, arrays and allOf/anyOf/oneOf.
* ``format`` is an annotation (the Draft 2020-12 default), so ``"email": "a@x;b@x"`` is not a problem.
* Literal path segments beat parameters (``users/count`` is not the user "count").

Stricter than bare JSON Schema, on purpose:

* Request bodies may only use declared property names (at every level where the schema lists properties and
  does not allow extras). The server tells variants apart by body keys (API-NOTES section 4) and the client
  must send schema names only (section 0: the examples' v1 snake_case names are silently ignored by a real
  server). Without this, a days-of-week body with broken entries would pass as an "always" time frame.
  Responses stay open: servers add fields (``ordinal-priority``).
* Query parameters and multipart field names must be declared by the operation.

Every tolerance of a spec bug is a named entry of ``RELAXATIONS``; ``SpecChecker.without()`` turns one off.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, NamedTuple, Protocol
from urllib.parse import quote, unquote

from jsonschema import Draft202012Validator, ValidationError  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = [
    "LIVE_SPELLINGS",
    "RELAXATIONS",
    "SERVER_PREFIX",
    "SPEC_ENV",
    "ExchangeLike",
    "Operation",
    "Report",
    "SpecChecker",
    "default_spec_path",
]

SPEC_ENV: Final = "SKYCONF_SPEC"
SERVER_PREFIX: Final = "/ns-api/v2"

RELAXATIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        # Two path keys are typos (API-NOTES section 0): `PUT /domains/{domain}/users/{user}/moh/{index}/#2`
        # has a trailing slash and `GET /domains/{domain}/users/{user}number-filters` lacks one. Matched
        # as the evident intended templates (see PATH_KEY_TYPOS) so clients can use the sane path.
        "path-key-typos": "match the trailing-slash MOH key and `{user}number-filters` as the intended paths",
        # The Synchronous schema says: "yes" answers 200 with the resource, "no"/absent answers 202
        # "Accepted". Several operations whose body carries `synchronous` document only one of the two
        # (time frame creates: only 200; answer rule create: only 202). For such operations an
        # undocumented 202 must be a SuccessResponse, an undocumented 200 must be a JSON object (the
        # resource; its schema is not documented for that operation).
        "synchronous-status": "ops taking `synchronous` may answer 200 (an object) or 202 (SuccessResponse)",
        # Error statuses are documented per operation at random (GET .../users/{user} lists only 200, yet
        # an unknown user is a 404; API-NOTES sections 1 and 4). An undocumented 400/401/403/404/409 is
        # accepted only with an ErrorResponse body {code, message}. Other statuses (5xx, 422, 2xx
        # mismatches) are still "not documented".
        "undocumented-error-status": "undocumented 400/401/403/404/409 accepted with an ErrorResponse body",
        # Boolean query parameters: `includeDomain` is typed boolean but its text says "yes"/"no".
        "boolean-query-yes-no": 'boolean query parameters accept "yes"/"no" besides "true"/"false"',
        # The time-frame update flag is `update_only` in the specific-dates schema and `update-only` in
        # the others; API-NOTES section 5 tells the client to send both. The undeclared twin is allowed
        # when the other spelling is declared.
        "update-only-spelling": "`update_only` and `update-only` are accepted for each other",
        # The vendor's own guide ("Pagination and API data", docs.ns-api.com) says every list GET takes
        # START and LIMIT; the spec declares only `limit` on some lists (the phone lists). Where `limit`
        # is declared, `start` is accepted and checked against the Start schema.
        "list-start": "`start` is accepted on list GETs that declare `limit`",
        # The conference create and update schemas are the response type (a one-item array of all-string
        # objects with `aor`), while the operations' own request examples send one object with
        # `conference`, `conference_type` and integer counts (API-NOTES 2.8 and 7). A JSON object body the
        # schema rejects is accepted when each key is one of the example's and each value has the JSON
        # type of the example's value (a string where the example has a number is accepted too).
        "request-example-shape": "a JSON object body shaped like the operation's own request example",
        # User fields that live servers and every public client spell differently from the spec
        # (docs/api-evidence.md section 5): `directory-annouce-in-dial-by-name-enabled` (sic) and
        # `voicemail-playback-announce-date-time-received`. Accepted where the spec spelling is declared.
        "live-field-spellings": "the live spellings of two user fields are accepted for the spec's",
    }
)

#: Live spelling -> the spec spelling it stands for, under "live-field-spellings".
LIVE_SPELLINGS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "directory-annouce-in-dial-by-name-enabled": "directory-announce-in-dial-by-name-enabled",
        "voicemail-playback-announce-date-time-received": "voicemail-playback-announce-datetime-received",
    }
)

#: Spec path keys (without `#N`) and the templates they are matched as under "path-key-typos".
PATH_KEY_TYPOS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "/domains/{domain}/users/{user}/moh/{index}/": "/domains/{domain}/users/{user}/moh/{index}",
        "/domains/{domain}/users/{user}number-filters": "/domains/{domain}/users/{user}/number-filters",
    }
)

_TWIN_SPELLINGS: Final = {"update_only": "update-only", "update-only": "update_only"}
_ERROR_STATUSES: Final = frozenset({400, 401, 403, 404, 409})
_METHODS: Final = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_REQUEST_URI: Final = "urn:skyconf:netsapiens-v2:request"
_RESPONSE_URI: Final = "urn:skyconf:netsapiens-v2:response"
_MAX_MESSAGE: Final = 240
_PARAM_RE: Final = re.compile(r"(\{[^}]+\})")

# Schema keywords whose values are schemas, maps of schemas, or lists of schemas.
_SUB_ONE: Final = (
    "items", "additionalProperties", "unevaluatedProperties", "unevaluatedItems", "not",
    "if", "then", "else", "contains", "propertyNames", "contentSchema",
)  # fmt: skip
_SUB_MAP: Final = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SUB_LIST: Final = ("allOf", "anyOf", "oneOf", "prefixItems")


def _fits_example(body: Any, example: Any) -> bool:
    """Every key of `body` is in `example`, with the example value's JSON type (or a string)."""
    if not isinstance(body, dict) or not isinstance(example, dict) or not body:
        return False
    for key, value in body.items():
        if key not in example:
            return False
        wanted = example[key]
        same = type(value) is type(wanted) or (isinstance(value, int) and isinstance(wanted, int))
        if not same and not isinstance(value, str):
            return False
    return True


def default_spec_path() -> Path:
    """`$SKYCONF_SPEC`, else `../shared/netsapiens/openapi-v2.json` beside the repository root."""
    override = os.environ.get(SPEC_ENV)
    if override:
        return Path(override)
    repo_root = Path(__file__).resolve().parents[2]
    return repo_root.parent / "shared" / "netsapiens" / "openapi-v2.json"


class ExchangeLike(Protocol):
    """What `check_exchanges` reads; `skyconf.sandbox.log.Exchange` fits."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def query(self) -> Mapping[str, Any]: ...
    @property
    def request_body(self) -> Any: ...
    @property
    def request_content_type(self) -> str | None: ...
    @property
    def status(self) -> int: ...
    @property
    def response_body(self) -> Any: ...


@dataclass(frozen=True)
class Operation:
    """One variant: an (upper-case) method on one spec path key, `#N` included."""

    method: str
    key: str
    template: str
    operation_id: str | None
    summary: str
    spec: Mapping[str, Any] = field(repr=False, compare=False)
    segments: tuple[re.Pattern[str], ...] = field(repr=False, compare=False)
    param_names: tuple[tuple[str, ...], ...] = field(repr=False, compare=False)
    specificity: tuple[int, ...] = field(repr=False, compare=False)

    @property
    def label(self) -> str:
        name = self.operation_id or self.summary.strip()
        return f"{self.method} {self.key} ({name})"

    @property
    def pointer(self) -> str:
        """JSON pointer of the operation object inside the spec document."""
        return _pointer("paths", self.key, self.method.lower())

    def path_params(self, path: str) -> dict[str, str] | None:
        """The decoded path parameters, or None when the template does not match."""
        parts = _split_path(path)
        if len(parts) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for part, pattern, names in zip(parts, self.segments, self.param_names, strict=True):
            found = pattern.fullmatch(part)
            if found is None:
                return None
            params.update(zip(names, found.groups(), strict=True))
        return params


def _pointer(*parts: str | int) -> str:
    """An URI-fragment-safe JSON pointer (`referencing` unquotes it, then unescapes `~1`/`~0`)."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "".join("/" + quote(p, safe="~") for p in escaped)


def _split_path(path: str) -> list[str]:
    """Decoded segments of a concrete path, relative to the server prefix."""
    path = path.split("?", 1)[0]
    if path == SERVER_PREFIX or path.startswith(SERVER_PREFIX + "/"):
        path = path[len(SERVER_PREFIX) :]
    return [unquote(p) for p in path.lstrip("/").split("/")]


def _compile_template(
    template: str,
) -> tuple[tuple[re.Pattern[str], ...], tuple[tuple[str, ...], ...], tuple[int, ...]]:
    """Per-segment regexes, parameter names, and a sort key preferring literal segments."""
    patterns: list[re.Pattern[str]] = []
    names: list[tuple[str, ...]] = []
    ranks: list[int] = []  # per segment: 2 literal, 1 literal text around a parameter, 0 a bare parameter
    for segment in template.lstrip("/").split("/"):
        pieces = _PARAM_RE.split(segment)
        params = tuple(p[1:-1] for p in pieces if _PARAM_RE.fullmatch(p))
        patterns.append(re.compile("".join("([^/]+)" if _PARAM_RE.fullmatch(p) else re.escape(p) for p in pieces)))
        names.append(params)
        ranks.append(0 if _PARAM_RE.fullmatch(segment) else (1 if params else 2))
    # More literal segments first, then fewer bare parameters, then literals further left.
    return tuple(patterns), tuple(names), (ranks.count(2), ranks.count(1), *ranks)


def _short(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _message(error: ValidationError) -> str:
    """jsonschema's message, without dumping whole bodies or 200-value enums into the report."""
    if error.validator == "type":
        return f"{_brief(error.instance)} is not of type {error.validator_value!r}"
    if error.validator == "enum" and isinstance(error.validator_value, list) and len(error.validator_value) > 12:
        shown = ", ".join(map(repr, error.validator_value[:8]))
        return f"{_brief(error.instance)} is not one of [{shown}, …] ({len(error.validator_value)} values)"
    if error.validator == "anyOf" or (error.validator == "oneOf" and error.context):
        return f"{_brief(error.instance)} fits none of the {error.validator} alternatives"
    return _short(error.message)


def _media_type(content_type: str | None) -> str | None:
    return None if content_type is None else content_type.split(";", 1)[0].strip().lower()


def _is_empty(body: Any) -> bool:
    return body is None or body == b"" or body == ""


def _where(prefix: str, path: Iterable[str | int]) -> str:
    out = prefix
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


# --------------------------------------------------------------------------------------------------------
# Document views: the spec with `required` adjusted for requests (drop readOnly) or responses (drop
# writeOnly). Each view is a fresh parse of the same text, so the two never share nodes.


def _lookup(doc: Mapping[str, Any], ref: str) -> Any:
    """Resolve a local `#/...` reference; None when it is not local or points nowhere."""
    if not ref.startswith("#/"):
        return None
    node: Any = doc
    for raw in ref[2:].split("/"):
        key = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(key)] if key.isdigit() and int(key) < len(node) else None
        elif isinstance(node, dict):
            node = node.get(key)
        else:
            return None
    return node


def _subschemas(node: Mapping[str, Any]) -> Iterator[Any]:
    for key in _SUB_ONE:
        if isinstance(node.get(key), dict):
            yield node[key]
    for key in _SUB_MAP:
        if isinstance(node.get(key), dict):
            yield from node[key].values()
    for key in _SUB_LIST:
        if isinstance(node.get(key), list):
            yield from node[key]


def _schema_roots(doc: Mapping[str, Any]) -> Iterator[Any]:
    """Every top-level schema of the document: components and the operations' inline schemas."""
    yield from doc.get("components", {}).get("schemas", {}).values()
    for item in doc.get("paths", {}).values():
        for method, op in item.items():
            if method not in _METHODS or not isinstance(op, dict):
                continue
            for param in op.get("parameters", []):
                yield param.get("schema")
            for media in op.get("requestBody", {}).get("content", {}).values():
                yield media.get("schema")
            for response in op.get("responses", {}).values():
                for media in (response.get("content") or {}).values():
                    yield media.get("schema")


def _has_flag(doc: Mapping[str, Any], schema: Any, flag: str, depth: int = 0) -> bool:
    """Whether a property schema carries readOnly/writeOnly: itself, via $ref, or on every non-null
    alternative of an anyOf/oneOf (`[{type: string, readOnly}, {type: integer, readOnly}, {type: null}]`).
    """
    if not isinstance(schema, dict) or depth > 16:
        return False
    if schema.get(flag) is True:
        return True
    ref = schema.get("$ref")
    if isinstance(ref, str) and _has_flag(doc, _lookup(doc, ref), flag, depth + 1):
        return True
    for key in ("anyOf", "oneOf"):
        branches = [b for b in schema.get(key, []) if isinstance(b, dict) and b.get("type") != "null"]
        if branches and all(_has_flag(doc, b, flag, depth + 1) for b in branches):
            return True
    return False


def _drop_flagged_required(doc: dict[str, Any], flag: str) -> None:
    """Remove `flag` (readOnly/writeOnly) properties from every `required`, allOf branches included."""
    seen: set[int] = set()
    stack = [s for s in _schema_roots(doc) if isinstance(s, dict)]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        # Properties may come from the node, its allOf branches, and what they (or the node) $ref.
        branches = [b for b in node.get("allOf", []) if isinstance(b, dict)]
        refs = [x["$ref"] for x in (node, *branches) if isinstance(x.get("$ref"), str)]
        owners = [node, *branches, *(_lookup(doc, r) for r in refs)]
        hidden = {
            name
            for owner in owners
            if isinstance(owner, dict)
            for name, prop in (owner.get("properties") or {}).items()
            if _has_flag(doc, prop, flag)
        }
        if hidden:
            for target in (node, *branches):
                if isinstance(target.get("required"), list):
                    target["required"] = [r for r in target["required"] if r not in hidden]
        stack.extend(s for s in _subschemas(node) if isinstance(s, dict))


# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """A checked session: its problems, and per relaxation the number of exchanges it excused."""

    exchanges: int
    problems: list[str]
    excused: dict[str, int]

    def lines(self) -> list[str]:
        out = [f"{self.exchanges} exchanges, {len(self.problems)} problems", *self.problems]
        return out + [f"excused by {name}: {n}" for name, n in self.excused.items() if n]


class _Problem(NamedTuple):
    """A problem, and how strongly it says "the request was not meant for this variant"."""

    text: str
    misfit: int = 0  # 2: media type / body presence, 1: an undeclared name, 0: a wrong value


def _plain(texts: Iterable[str], misfit: int = 0) -> list[_Problem]:
    return [_Problem(t, misfit) for t in texts]


@dataclass(frozen=True)
class _Outcome:
    """Problems of one variant; `ok` when there are none."""

    operation: Operation
    problems: list[_Problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def distance(self) -> tuple[int, int, int]:
        """How far the exchange is from this variant, dispatch keys first (API-NOTES section 4)."""
        misfits = [p.misfit for p in self.problems]
        return misfits.count(2), misfits.count(1), len(misfits)


class SpecChecker:
    """The spec, indexed for matching concrete requests, with validators for both directions."""

    def __init__(self, text: str, *, relaxations: Iterable[str] = RELAXATIONS, source: str = "") -> None:
        enabled = frozenset(relaxations)
        unknown = enabled - RELAXATIONS.keys()
        if unknown:
            raise ValueError(f"unknown relaxations: {sorted(unknown)}")
        self.relaxations: frozenset[str] = enabled
        self.source = source
        self._text = text
        self.request_doc: dict[str, Any] = json.loads(text)
        self.response_doc: dict[str, Any] = json.loads(text)
        _drop_flagged_required(self.request_doc, "readOnly")
        _drop_flagged_required(self.response_doc, "writeOnly")
        self._registry: Registry[Any] = (
            Registry()
            .with_resource(_REQUEST_URI, Resource.from_contents(self.request_doc, DRAFT202012))
            .with_resource(_RESPONSE_URI, Resource.from_contents(self.response_doc, DRAFT202012))
        )
        self._validators: dict[str, Draft202012Validator] = {}
        self.operations: list[Operation] = list(self._index())

    # -- construction ---------------------------------------------------------------------------------

    @classmethod
    def load(
        cls, path: str | os.PathLike[str] | None = None, *, relaxations: Iterable[str] = RELAXATIONS
    ) -> SpecChecker:
        """Load once per (file, relaxations): the spec is 2 MB and every test module wants it."""
        resolved = Path(path) if path is not None else default_spec_path()
        resolved = resolved.resolve()
        return _load_cached(str(resolved), resolved.stat().st_mtime_ns, frozenset(relaxations))

    def without(self, *names: str) -> SpecChecker:
        """The same spec with some relaxations switched off: shows what each one tolerates."""
        missing = set(names) - RELAXATIONS.keys()
        if missing:
            raise ValueError(f"unknown relaxations: {sorted(missing)}")
        kept = self.relaxations - set(names)
        if self.source:  # share the cache with load()
            return _load_cached(self.source, Path(self.source).stat().st_mtime_ns, kept)
        return SpecChecker(self._text, relaxations=kept)

    def _on(self, name: str) -> bool:
        assert name in RELAXATIONS, name
        return name in self.relaxations

    def _index(self) -> Iterator[Operation]:
        for key, item in self.request_doc["paths"].items():
            base = key.split("#", 1)[0]
            template = PATH_KEY_TYPOS.get(base, base) if self._on("path-key-typos") else base
            patterns, names, specificity = _compile_template(template)
            for method, op in item.items():
                if method not in _METHODS or not isinstance(op, dict):
                    continue
                yield Operation(
                    method=method.upper(),
                    key=key,
                    template=template,
                    operation_id=op.get("operationId"),
                    summary=op.get("summary", ""),
                    spec=op,
                    segments=patterns,
                    param_names=names,
                    specificity=specificity,
                )

    # -- matching -------------------------------------------------------------------------------------

    def match(self, method: str, path: str) -> list[Operation]:
        """Variants of the most specific template that has `method` and matches `path`."""
        method = method.upper()
        found = [op for op in self.operations if op.method == method and op.path_params(path) is not None]
        if not found:
            return []
        best = max(op.specificity for op in found)
        return [op for op in found if op.specificity == best]

    def _no_operation(self, method: str, path: str) -> str:
        methods = sorted({op.method for op in self.operations if op.path_params(path) is not None})
        hint = f" (the path has {', '.join(methods)})" if methods else ""
        return f"no such operation in the spec: {method.upper()} {path}{hint}"

    # -- requests -------------------------------------------------------------------------------------

    def check_request(
        self,
        method: str,
        path: str,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
    ) -> list[str]:
        """[] when some variant accepts the request, else the problems of the closest variants."""
        ops = self.match(method, path)
        if not ops:
            return [self._no_operation(method, path)]
        return _summarise(self._request_outcomes(ops, path, query or {}, body, content_type))

    def _request_outcomes(
        self,
        ops: Sequence[Operation],
        path: str,
        query: Mapping[str, Any],
        body: Any,
        content_type: str | None,
    ) -> list[_Outcome]:
        return [_Outcome(op, self._request_problems(op, path, query, body, content_type)) for op in ops]

    def _request_problems(
        self, op: Operation, path: str, query: Mapping[str, Any], body: Any, content_type: str | None
    ) -> list[_Problem]:
        problems = self._parameter_problems(op, path, query)
        problems += self._body_problems(op, body, content_type)
        return problems

    def _parameter_problems(self, op: Operation, path: str, query: Mapping[str, Any]) -> list[_Problem]:
        problems: list[_Problem] = []
        declared = {(p.get("in"), p.get("name")): (i, p) for i, p in enumerate(op.spec.get("parameters", []))}
        for name, value in (op.path_params(path) or {}).items():
            if ("path", name) in declared:
                index, param = declared[("path", name)]
                problems += self._value_problems(op, index, param, f"path parameter {name!r}", value)
        for name, raw in query.items():
            if ("query", name) not in declared:
                if name == "start" and ("query", "limit") in declared and self._on("list-start"):
                    problems += self._start_problems(raw)
                    continue
                problems.append(_Problem(f"unknown query parameter {name!r}", 1))
                continue
            index, param = declared[("query", name)]
            values = raw if isinstance(raw, list | tuple) else [raw]
            for value in values:
                problems += self._value_problems(op, index, param, f"query parameter {name!r}", value)
        for (where, name), (_, param) in declared.items():
            if where == "query" and param.get("required") and name not in query:
                problems.append(_Problem(f"missing required query parameter {name!r}"))
        return problems

    def _start_problems(self, raw: Any) -> list[_Problem]:
        """`start` where the spec omits it: a whole number >= 0, as its Start schema says."""
        text = str(raw[0] if isinstance(raw, list | tuple) else raw)
        return [] if text.isdigit() else [_Problem(f"query parameter 'start': {text!r} is not a whole number >= 0")]

    def _value_problems(
        self, op: Operation, index: int, param: Mapping[str, Any], what: str, raw: Any
    ) -> list[_Problem]:
        """Coerce a string parameter to its schema's type, then validate it."""
        schema = param.get("schema")
        if not isinstance(schema, dict):
            return []
        value = self._coerce(schema, raw)
        pointer = op.pointer + _pointer("parameters", index, "schema")
        errors = self._validator(_REQUEST_URI, pointer).iter_errors(value)
        return _plain(f"{what}={raw!r}: {_message(e)}" for e in errors)

    def _coerce(self, schema: Mapping[str, Any], raw: Any) -> Any:
        if not isinstance(raw, str):
            return raw
        resolved = schema
        for _ in range(16):
            ref = resolved.get("$ref")
            if not isinstance(ref, str):
                break
            target = _lookup(self.request_doc, ref)
            if not isinstance(target, dict):
                break
            resolved = target
        declared = resolved.get("type", "string")
        types = declared if isinstance(declared, list) else [declared]
        if "string" in types:
            return raw
        for kind in types:
            if kind == "integer" and re.fullmatch(r"-?\d+", raw):
                return int(raw)
            if kind == "number" and re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", raw):
                return float(raw) if any(c in raw for c in ".eE") else int(raw)
            if kind == "boolean":
                words = {"true": True, "false": False}
                if self._on("boolean-query-yes-no"):
                    words |= {"yes": True, "no": False}
                if raw.lower() in words:
                    return words[raw.lower()]
            if kind == "null" and raw in ("", "null"):
                return None
        return raw  # left as a string: validation reports the type mismatch

    def _body_problems(self, op: Operation, body: Any, content_type: str | None) -> list[_Problem]:
        request_body = op.spec.get("requestBody")
        if request_body is None:
            return [] if _is_empty(body) else [_Problem("request body sent, but the operation takes none", 2)]
        if _is_empty(body):
            return [_Problem("missing required request body", 2)] if request_body.get("required") else []
        media = _media_type(content_type)
        if media is None:
            return [_Problem("request body without a Content-Type", 2)]
        content: Mapping[str, Any] = request_body.get("content", {})
        chosen = _pick_media(content, media)
        if chosen is None:
            return [_Problem(f"Content-Type {media} not accepted (spec: {', '.join(content) or 'none'})", 2)]
        pointer = op.pointer + _pointer("requestBody", "content", chosen, "schema")
        schema = content[chosen].get("schema")
        if chosen == "multipart/form-data":
            return self._multipart_problems(schema, body)
        if isinstance(body, bytes | bytearray):
            try:
                body = json.loads(body)
            except ValueError:
                return [_Problem("request body is not valid JSON")]
        problems = _plain(self._schema_problems(_REQUEST_URI, pointer, body, "body"))
        example = content[chosen].get("example")
        if problems and self._on("request-example-shape") and _fits_example(body, example):
            return []
        unknown = self._unknown_keys(schema, body)
        problems += _plain((f"{where}: property {name!r} is not in the spec" for where, name in unknown), 1)
        return problems

    def _multipart_problems(self, schema: Any, body: Any) -> list[_Problem]:
        """Multipart parts are checked by name only: values are files and strings."""
        if isinstance(body, Mapping):
            names = [str(k) for k in body]
        elif isinstance(body, list | tuple) and all(isinstance(p, list | tuple) and p for p in body):
            names = [str(p[0]) for p in body]
        elif isinstance(body, list | tuple) and all(isinstance(p, str) for p in body):
            names = list(body)
        else:
            return [_Problem(f"cannot read multipart field names from a {type(body).__name__} body")]
        schema = self._deref(_REQUEST_URI, schema) or {}
        declared = set(schema.get("properties") or {})
        problems = _plain((f"multipart field {n!r} is not in the spec" for n in names if n not in declared), 1)
        required = (r for r in schema.get("required", []) if r not in names)
        return problems + _plain(f"missing required multipart field {r!r}" for r in required)

    def _unknown_keys(self, schema: Any, value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str, str]]:
        """Keys of request objects that no (merged) schema declares: the server would ignore them."""
        schemas = self._flatten(schema)
        if isinstance(value, dict):
            declared: dict[str, list[Any]] = {}
            open_object = not schemas
            for s in schemas:
                props = s.get("properties")
                if s.get("additionalProperties") not in (None, False) or "patternProperties" in s:
                    open_object = True
                for name, sub in (props or {}).items():
                    declared.setdefault(name, []).append(sub)
            if not declared:
                open_object = True  # a free-form object (`{"type": "object"}`)
            for key, item in value.items():
                if key in declared:
                    for sub in declared[key]:
                        yield from self._unknown_keys(sub, item, (*path, key))
                elif not open_object and not (
                    (self._on("update-only-spelling") and _TWIN_SPELLINGS.get(key) in declared)
                    or (self._on("live-field-spellings") and LIVE_SPELLINGS.get(key) in declared)
                ):
                    yield _where("body", path), key
        elif isinstance(value, list):
            items = [s["items"] for s in schemas if isinstance(s.get("items"), dict)]
            for i, item in enumerate(value):
                for sub in items:
                    yield from self._unknown_keys(sub, item, (*path, i))

    def _flatten(self, schema: Any, depth: int = 0) -> list[dict[str, Any]]:
        """A schema with its $ref targets and allOf/anyOf/oneOf branches, as a flat list."""
        if not isinstance(schema, dict) or depth > 16:
            return []
        out = [schema]
        if isinstance(schema.get("$ref"), str):
            out += self._flatten(_lookup(self.request_doc, schema["$ref"]), depth + 1)
        for key in ("allOf", "anyOf", "oneOf"):
            for branch in schema.get(key, []):
                out += self._flatten(branch, depth + 1)
        return out

    # -- responses ------------------------------------------------------------------------------------

    def check_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """[] when some variant documents `status` with a schema the body fits."""
        ops = self.match(method, path)
        if not ops:
            return [self._no_operation(method, path)]
        return _summarise([_Outcome(op, _plain(self._response_problems(op, status, body))) for op in ops])

    def _response_problems(self, op: Operation, status: int, body: Any) -> list[str]:
        responses: Mapping[str, Any] = op.spec.get("responses", {})
        keys = [k for k in responses if k == str(status) or re.fullmatch(rf"x-{status}-\d+", k)]
        if not keys:
            keys = [k for k in responses if k.upper() == f"{status // 100}XX"] or (
                ["default"] if "default" in responses else []
            )
        if not keys:
            return self._undocumented_status(op, status, body)
        problems: list[str] = []
        for key in keys:
            for media in responses[key].get("content") or {}:
                if not (media == "*/*" or media.endswith("json")):
                    return []  # a non-JSON body (a file download): nothing to validate
                pointer = op.pointer + _pointer("responses", key, "content", media, "schema")
                found = self._schema_problems(_RESPONSE_URI, pointer, body, "response body")
                if not found:
                    return []
                problems += found
        return problems  # empty when the documented status has no content to check

    def _undocumented_status(self, op: Operation, status: int, body: Any) -> list[str]:
        documented = ", ".join(op.spec.get("responses", {})) or "none"
        strict = [f"status {status} not documented (spec: {documented})"]
        if self._on("synchronous-status") and status in (200, 202) and self._takes_synchronous(op):
            if status == 200:
                return [] if isinstance(body, dict) else [f"status 200 (synchronous) body is not an object: {body!r}"]
            return self._schema_problems(_RESPONSE_URI, "/components/schemas/SuccessResponse", body, "response body")
        if self._on("undocumented-error-status") and status in _ERROR_STATUSES:
            found = self._schema_problems(_RESPONSE_URI, "/components/schemas/ErrorResponse", body, "response body")
            return [*strict, *found] if found else []
        return strict

    def _takes_synchronous(self, op: Operation) -> bool:
        content = op.spec.get("requestBody", {}).get("content", {})
        return any(
            "synchronous" in (s.get("properties") or {})
            for media in content.values()
            for s in self._flatten(media.get("schema"))
        )

    # -- exchanges ------------------------------------------------------------------------------------

    def check_exchanges(self, exchanges: Iterable[ExchangeLike]) -> list[str]:
        """All problems of a recorded session, each prefixed with `METHOD path`."""
        problems: list[str] = []
        for ex in exchanges:
            prefix = f"{ex.method.upper()} {ex.path}"
            ops = self.match(ex.method, ex.path)
            if not ops:
                problems.append(f"{prefix}: {self._no_operation(ex.method, ex.path)}")
                continue
            outcomes = self._request_outcomes(ops, ex.path, ex.query or {}, ex.request_body, ex.request_content_type)
            problems += [f"{prefix}: {p}" for p in _summarise(outcomes)]
            # The response is judged against the variants the request fits (all of them if none does).
            fitting = [o.operation for o in outcomes if o.ok] or list(ops)
            responses = [
                _Outcome(op, _plain(self._response_problems(op, ex.status, ex.response_body))) for op in fitting
            ]
            problems += [f"{prefix} -> {ex.status}: {p}" for p in _summarise(responses)]
        return problems

    def report(self, exchanges: Iterable[ExchangeLike]) -> Report:
        """`check_exchanges`, plus how many of the exchanges each relaxation excused: those that pass
        here but not with that one relaxation switched off."""
        exchanges = list(exchanges)
        problems = self.check_exchanges(exchanges)
        passing = [ex for ex in exchanges if not self.check_exchanges([ex])]
        excused: dict[str, int] = {}
        for name in sorted(self.relaxations):
            strict = self.without(name)
            excused[name] = sum(1 for ex in passing if strict.check_exchanges([ex]))
        return Report(len(exchanges), problems, excused)

    # -- schema plumbing ------------------------------------------------------------------------------

    def _validator(self, uri: str, pointer: str) -> Draft202012Validator:
        key = f"{uri}#{pointer}"
        validator = self._validators.get(key)
        if validator is None:
            validator = Draft202012Validator({"$ref": key}, registry=self._registry)
            self._validators[key] = validator
        return validator

    def _schema_problems(self, uri: str, pointer: str, value: Any, what: str) -> list[str]:
        if _is_empty(value):
            return [f"{what} is empty, the spec documents a JSON body"]
        errors = sorted(self._validator(uri, pointer).iter_errors(value), key=lambda e: list(map(str, e.path)))
        return [f"{_where(what, e.absolute_path)}: {_message(e)}" for e in errors]

    def _deref(self, uri: str, schema: Any) -> Any:
        doc = self.request_doc if uri == _REQUEST_URI else self.response_doc
        for _ in range(16):
            if not (isinstance(schema, dict) and isinstance(schema.get("$ref"), str)):
                break
            schema = _lookup(doc, schema["$ref"])
        return schema


def _pick_media(content: Mapping[str, Any], media: str) -> str | None:
    if media in content:
        return media
    wildcard = media.split("/", 1)[0] + "/*"
    return wildcard if wildcard in content else ("*/*" if "*/*" in content else None)


def _summarise(outcomes: Sequence[_Outcome]) -> list[str]:
    """[] if any variant passed; else the problems of the closest variants, tagged when there are several."""
    if not outcomes or any(o.ok for o in outcomes):
        return []
    if len(outcomes) == 1:
        return [p.text for p in outcomes[0].problems]
    closest = min(o.distance for o in outcomes)
    return [f"[{o.operation.label}] {p.text}" for o in outcomes if o.distance == closest for p in o.problems]


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int, relaxations: frozenset[str]) -> SpecChecker:
    del mtime_ns  # part of the cache key only: a changed file is read again
    return SpecChecker(Path(path).read_text(encoding="utf-8"), relaxations=relaxations, source=path)
