"""Pure operations on Thing Model documents (JSON objects): Ditto's merge of `tm:extends` and `tm:ref`,
relative hrefs made absolute, the `tm:submodel` links.

Ditto's rules (`wot/api/.../generator/DefaultWotThingModelExtensionResolver.java`): a model that extends another
is deep-merged over it (the extending model wins on every leaf, objects merge key by key, arrays and scalars are
replaced); its `links` are the extended model's links followed by its own (the extended model's `tm:extends`
links dropped). An object holding `tm:ref` is deep-merged over the value the reference points at.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin

from twinhub.model.types import JsonObject, JsonValue

__all__ = [
    "TM_EXTENDS",
    "TM_REF",
    "TM_SUBMODEL",
    "Submodel",
    "absolutize",
    "extends_hrefs",
    "merge_extended",
    "merge_over",
    "submodels",
]

TM_EXTENDS = "tm:extends"
TM_REF = "tm:ref"
TM_SUBMODEL = "tm:submodel"


@dataclass(frozen=True, slots=True)
class Submodel:
    """A `tm:submodel` link: the feature `instance_name` modelled by the Thing Model at `href`."""

    instance_name: str
    href: str


def merge_over(preferred: JsonValue, other: JsonValue) -> JsonValue:
    """`preferred` deep-merged over `other` (Ditto's JsonFactory.mergeJsonValues): objects merge key by key,
    anything else is `preferred`."""
    if not (isinstance(preferred, dict) and isinstance(other, dict)):
        return preferred
    merged = dict(other)
    for key, value in preferred.items():
        merged[key] = merge_over(value, other[key]) if key in other else value
    return merged


def _links(doc: JsonObject) -> list[JsonObject]:
    links = doc.get("links")
    return [link for link in links if isinstance(link, dict)] if isinstance(links, list) else []


def _is_extends(link: JsonObject) -> bool:
    return link.get("rel") == TM_EXTENDS


def merge_extended(model: JsonObject, extended: JsonObject) -> JsonObject:
    """`model` merged over the (already resolved) model it extends, links as Ditto merges them."""
    merged = merge_over(model, extended)
    assert isinstance(merged, dict)
    if "links" in extended:
        own = _links(model)
        drop_extends = any(_is_extends(link) for link in own)
        inherited = [link for link in _links(extended) if not (drop_extends and _is_extends(link))]
        merged["links"] = [*inherited, *own]
    return merged


def extends_hrefs(model: JsonObject) -> list[str]:
    """The hrefs of the model's `tm:extends` links, in order (string hrefs only)."""
    return [href for link in _links(model) if _is_extends(link) and isinstance(href := link.get("href"), str)]


def submodels(model: JsonObject) -> list[Submodel]:
    """The model's `tm:submodel` links with a string `href` and `instanceName`, in order. Raises ValueError for
    a submodel link without them (Ditto refuses such a model as invalid)."""
    found: list[Submodel] = []
    for link in _links(model):
        if link.get("rel") != TM_SUBMODEL:
            continue
        href, name = link.get("href"), link.get("instanceName")
        if not isinstance(href, str) or not isinstance(name, str) or not name:
            raise ValueError("a 'tm:submodel' link needs a string 'href' and 'instanceName'")
        found.append(Submodel(name, href))
    return found


def absolutize(doc: JsonObject, base_url: str) -> JsonObject:
    """`doc` (fetched from `base_url`) with relative link hrefs and the URI parts of external `tm:ref`s made
    absolute against `base_url`, so that they keep their meaning once merged into another model. Local refs
    (`#/...`) stay local, as Ditto resolves them against the root model."""
    out = _absolutize_refs(doc, base_url)
    links = doc.get("links")
    if isinstance(links, list):
        out["links"] = [
            {**link, "href": urljoin(base_url, href)}
            if isinstance(link, dict) and isinstance(href := link.get("href"), str) else link
            for link in links
        ]
    return out


def _absolutize_refs(obj: JsonObject, base_url: str) -> JsonObject:
    out: JsonObject = {}
    for key, value in obj.items():
        if key == TM_REF and isinstance(value, str) and not value.startswith("#"):
            url, fragment = urldefrag(value)
            value = f"{urljoin(base_url, url)}#{fragment}" if "#" in value else urljoin(base_url, value)
        elif isinstance(value, dict):
            value = _absolutize_refs(value, base_url)
        out[key] = value
    return out
