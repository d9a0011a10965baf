"""In-memory RQL evaluation with Ditto's semantics for conditions and event filters (`ThingPredicateVisitor`).

This is not how search answers (see the SQL compiler); where the two engines differ, this one follows Ditto's
`ThingPredicatePredicateVisitor`, `ExistsThingPredicateVisitor` and `EmptyThingPredicateVisitor`:

* A field's value is read with `getValueFlatteningArrays`: a pointer walks on through arrays of objects, and the
  values found, arrays flattened, are the candidates; objects are never comparable. A comparison holds when
  any candidate satisfies it, `ne` when none equals (so `ne` is TRUE for a missing field; search says false).
* Comparisons follow Java (`twinhub.rql._java`): numbers as BigDecimal; a string against a number is parsed
  as a number when it is one (`ge(attributes/anInteger,"41")` holds for 42); other mixed pairs compare their
  `toString()` texts. `eq(f,null)` holds only for a JSON null; null never orders and never matches `like`.
* `like`/`ilike` as `twinhub.rql.like`, against the Java text of the value (numbers and booleans included).
* `exists(f)` holds when the field is present, even as null; `empty(f)` when absent, null, `""`, `[]` or `{}`.
  Ditto evaluates both on the thing's JSON without hidden fields, so `exists` of `_namespace`, `_revision`,
  `_created`, `_modified` and bare `_metadata` is false and `empty` of them true; `_metadata/<ptr>` does not
  walk through arrays there. Comparisons see all fields; `_namespace` is derived from `thingId`.
* `features/*/…` reads the path in every feature (Ditto would look for a feature named `*`): a comparison or
  `exists` holds when it does for one feature, `empty` when it does for all.

Properties that are not thing fields are looked up in `extra` by their exact text: the values of placeholders
such as `topic:action` or `resource:path` in event filters (Ditto's additional placeholder resolvers).
Unresolved placeholder values (`time:now`) are looked up there too, else they are null; resolve them first with
`resolve_placeholders`. Unknown properties count as missing: validate a filter once with
`validate_filter_fields` before evaluating it many times.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TypeAlias

from twinhub.model.errors import RqlInvalid
from twinhub.model.types import JsonObject, JsonValue
from twinhub.rql._java import Comparable, compare, java_string, json_comparable, value_comparable
from twinhub.rql.ast import And, Comparison, Empty, Exists, In, Node, Not, Or, Placeholder, Value
from twinhub.rql.fields import FieldPath, resolve_field
from twinhub.rql.like import like_matches

__all__ = ["matches"]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


_MISSING = _Missing()
_Found: TypeAlias = "JsonValue | _Missing"
_Scalar: TypeAlias = str | bool | int | float | None
_HIDDEN_KINDS = frozenset({"namespace", "revision", "created", "modified"})
_SIMPLE_KEYS = {
    "thingId": "thingId",
    "policyId": "policyId",
    "revision": "_revision",
    "created": "_created",
    "modified": "_modified",
    "definition": "definition",
}
_ORDERINGS: dict[str, Callable[[int], bool]] = {
    "gt": lambda sign: sign > 0,
    "ge": lambda sign: sign >= 0,
    "lt": lambda sign: sign < 0,
    "le": lambda sign: sign <= 0,
}


def matches(node: Node, thing: JsonObject, *, extra: Mapping[str, JsonValue] | None = None) -> bool:
    """Whether `thing` (Ditto thing JSON) satisfies the filter, by Ditto's in-memory rules (module docstring)."""
    return _Evaluation(thing, extra or {}).test(node)


class _Evaluation:
    def __init__(self, thing: JsonObject, extra: Mapping[str, JsonValue]) -> None:
        self.thing = thing
        self.extra = extra

    def test(self, node: Node) -> bool:
        match node:
            case And(children):
                return all(self.test(child) for child in children)
            case Or(children):
                return any(self.test(child) for child in children)
            case Not(child):
                return not self.test(child)
            case Exists(field):
                return any(found is not _MISSING for found in self._found(field, exists=True))
            case Empty(field):
                return all(_is_empty(found) for found in self._found(field, exists=True))
            case In(field, values):
                wanted = [c for c in (self._comparable(value) for value in values) if c is not None]
                return any(
                    any(compare(value, candidate) == 0 for value in wanted) for candidate in self._comparables(field)
                )
            case Comparison(op, field, value):
                return self._compare(op, field, value)
        raise TypeError(f"not an RQL node: {node!r}")

    def _compare(self, op: str, field: str, value: Value) -> bool:
        if op in ("like", "ilike"):
            if not isinstance(value, str):
                return False  # Ditto refuses such a filter; see validate_filter_fields
            insensitive = op == "ilike"
            return any(
                like_matches(value, java_string(scalar), case_insensitive=insensitive)
                for scalar in self._scalars(field)
                if scalar is not None
            )
        if op in ("eq", "ne"):
            equal = self._equals(field, value)
            return equal if op == "eq" else not equal
        literal = self._comparable(value)
        if literal is None:
            return False
        ordering = _ORDERINGS[op]
        return any(ordering(compare(literal, candidate)) for candidate in self._comparables(field))

    def _equals(self, field: str, value: Value) -> bool:
        literal = self._comparable(value)
        if literal is None:
            return any(scalar is None for scalar in self._scalars(field))
        return any(compare(literal, candidate) == 0 for candidate in self._comparables(field))

    def _comparable(self, value: Value) -> Comparable | None:
        if isinstance(value, Placeholder):
            resolved = self.extra.get(value.name)
            return value_comparable(resolved) if not isinstance(resolved, list | dict) else None
        return value_comparable(value)

    def _comparables(self, field: str) -> Iterator[Comparable]:
        for scalar in self._scalars(field):
            comparable = json_comparable(scalar) if scalar is not None else None
            if comparable is not None:
                yield comparable

    def _scalars(self, field: str) -> Iterator[_Scalar]:
        """The candidates of a comparison: every scalar found, arrays flattened, objects skipped."""
        stack = [found for found in self._found(field, exists=False) if not isinstance(found, _Missing)]
        stack.reverse()
        while stack:
            value = stack.pop()
            if isinstance(value, list):
                stack.extend(reversed(value))
            elif not isinstance(value, dict):
                yield value

    def _found(self, field: str, *, exists: bool) -> list[_Found]:
        """What the field reads, once per branch (one, or one per feature for `features/*/…`)."""
        try:
            path = resolve_field(field, for_exists=exists)
        except RqlInvalid:
            return [self.extra.get(field, _MISSING)]
        return self._read(path, exists=exists)

    def _read(self, path: FieldPath, *, exists: bool) -> list[_Found]:
        thing = self.thing
        if exists and (path.kind in _HIDDEN_KINDS or path.pointer == ("_metadata",)):
            return [_MISSING]
        if path.kind == "namespace":
            thing_id = thing.get("thingId")
            return [thing_id.split(":", 1)[0] if isinstance(thing_id, str) and ":" in thing_id else _MISSING]
        if path.kind != "json":
            key = _SIMPLE_KEYS[path.kind]
            return [thing.get(key, _MISSING)]
        pointer = path.pointer
        if exists and pointer[0] == "_metadata":
            return [_get_plain(thing, pointer)]
        if len(pointer) >= 2 and pointer[:2] == ("features", "*"):
            features = thing.get("features")
            if not isinstance(features, dict):
                return []
            return [_get_flattening(thing, ("features", feature_id, *pointer[2:])) for feature_id in features]
        return [_get_flattening(thing, pointer)]


def _get_flattening(doc: JsonObject, keys: Sequence[str]) -> _Found:
    """Ditto's `JsonObject.getValueFlatteningArrays`: a walk that fans out over arrays of objects.

    Through an array the result is the array of what was found below its objects (never empty: nothing found
    is missing); without one it is the single value found.
    """
    if not keys:
        return doc
    level: list[JsonObject] = [doc]
    through_array = False
    for key in keys[:-1]:
        below: list[JsonObject] = []
        for obj in level:
            value = obj.get(key, _MISSING)
            if isinstance(value, dict):
                below.append(value)
            elif isinstance(value, list):
                through_array = True
                below.extend(element for element in value if isinstance(element, dict))
        if not below:
            return _MISSING
        level = below
    last = keys[-1]
    found = [obj[last] for obj in level if last in obj]
    if not found:
        return _MISSING
    return found if through_array else found[0]


def _get_plain(doc: JsonObject, keys: Sequence[str]) -> _Found:
    value: JsonValue = doc
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return _MISSING
        value = value[key]
    return value


def _is_empty(found: _Found) -> bool:
    return found is _MISSING or found is None or found == "" or found == [] or found == {}
