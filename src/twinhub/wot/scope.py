"""A Thing Description scoped to what its reader may do (Ditto 3.9, "Security: TD access / authorization" in
`basic-wot-integration.md`; `things/service/.../enforcement/WotThingDescriptionEnforcement.java`).

Properties the reader may not READ (unrestricted, at the attribute or feature property) go; those it may READ
but not WRITE become `readOnly` without `writeproperty` forms; actions need WRITE on their inbox message, events
READ on their outbox message; `item` links to features the reader cannot READ at all go; root read (write) forms
go when no readable (writable) property is left.
"""

from __future__ import annotations

from collections.abc import Collection

from twinhub.model.policy import READ, WRITE
from twinhub.model.types import JsonObject, JsonValue, Pointer
from twinhub.policy import Enforcer

__all__ = ["scope_description"]

_READ_OPS = frozenset({"readallproperties", "readmultipleproperties", "observeallproperties"})
_WRITE_OPS = frozenset({"writeallproperties", "writemultipleproperties"})


def _op(form: JsonValue) -> str | None:
    op = form.get("op") if isinstance(form, dict) else None
    if isinstance(op, list):
        op = next((entry for entry in op if isinstance(entry, str)), None)
    return op if isinstance(op, str) else None


def _pointer(text: str) -> Pointer:
    return tuple(key for key in text.partition("{")[0].split("/") if key)


def scope_description(td: JsonObject, feature_id: str | None, enforcer: Enforcer,
                      subjects: Collection[str]) -> JsonObject:
    """`td` as `subjects` may see it under `enforcer`."""
    def can(resource: str, path: Pointer, permission: str) -> bool:
        return enforcer.has_unrestricted(subjects, resource, path, [permission])

    owner: Pointer = () if feature_id is None else ("features", feature_id)
    out = dict(td)
    readable = writable = False
    properties = td.get("properties")
    if isinstance(properties, dict):
        kept: JsonObject = {}
        for name, prop in properties.items():
            path = owner + (_property_path(prop, name, feature_id))
            if not isinstance(prop, dict) or not can("thing", path, READ):
                continue
            readable = True
            if can("thing", path, WRITE):
                writable = True
                kept[name] = prop
            else:
                forms = prop.get("forms")
                kept[name] = {**prop, "readOnly": True, **({"forms": [
                    form for form in forms if _op(form) != "writeproperty"]} if isinstance(forms, list) else {})}
        _set_or_drop(out, "properties", kept)
    for kind, box, permission in (("actions", "inbox", WRITE), ("events", "outbox", READ)):
        affordances = td.get(kind)
        if isinstance(affordances, dict):
            _set_or_drop(out, kind, {name: value for name, value in affordances.items()
                                     if can("message", (*owner, box, "messages", name), permission)})
    links = td.get("links")
    if isinstance(links, list):
        out["links"] = [link for link in links if not _hidden_item(link, enforcer, subjects)]
    forms = td.get("forms")
    if isinstance(forms, list):
        kept_forms = [form for form in forms if not ((_op(form) in _READ_OPS and not readable)
                                                     or (_op(form) in _WRITE_OPS and not writable))]
        if kept_forms:
            out["forms"] = kept_forms
        else:
            out.pop("forms", None)
    return out


def _property_path(prop: JsonValue, name: str, feature_id: str | None) -> Pointer:
    """The resource of a property: its first form's href (without URI variables), else the attribute or
    feature property of its name (Ditto: `extractResourcePathFromProperty`)."""
    forms = prop.get("forms") if isinstance(prop, dict) else None
    if isinstance(forms, list) and forms and isinstance(forms[0], dict) and isinstance(forms[0].get("href"), str):
        href = forms[0]["href"]
        assert isinstance(href, str)
        return _pointer(href)
    return ("attributes", name) if feature_id is None else ("properties", name)


def _hidden_item(link: JsonValue, enforcer: Enforcer, subjects: Collection[str]) -> bool:
    if not isinstance(link, dict) or link.get("rel") != "item":
        return False
    href = link.get("href")
    if not isinstance(href, str) or not href.startswith("features/") or "/" in href[len("features/"):]:
        return False
    return not enforcer.has_partial(subjects, "thing", ("features", href[len("features/"):]), [READ])


def _set_or_drop(td: JsonObject, key: str, value: JsonObject) -> None:
    if value:
        td[key] = value
    else:
        td.pop(key, None)
