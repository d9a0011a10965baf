// A thing's JSON kept current by its twin events (Ditto Protocol `things/twin/events/<action>` at a path such as
// /features/lamp/properties/on): pure functions that return new values, so React sees every change.
import type { Envelope } from "../../api/socket";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A Ditto path or JSON pointer ("/features/x/properties/y") as its keys. */
export function pathKeys(path: string): string[] {
  return path
    .split("/")
    .filter((key) => key !== "")
    .map((key) => key.replace(/~1/g, "/").replace(/~0/g, "~"));
}

export function getAt(doc: Json | undefined, keys: string[]): Json | undefined {
  let current = doc;
  for (const key of keys) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** `doc` with `value` at `keys`, the objects on the way created (or replacing a non-object) as Ditto does. */
export function setAt(doc: JsonObject, keys: string[], value: Json): JsonObject {
  const [first, ...rest] = keys;
  if (first === undefined) return isObject(value) ? value : doc;
  const child = doc[first];
  return { ...doc, [first]: rest.length === 0 ? value : setAt(isObject(child) ? child : {}, rest, value) };
}

export function deleteAt(doc: JsonObject, keys: string[]): JsonObject {
  const [first, ...rest] = keys;
  if (first === undefined) return {};
  if (!(first in doc)) return doc;
  if (rest.length === 0) {
    const { [first]: _removed, ...others } = doc;
    return others;
  }
  const child = doc[first];
  return isObject(child) ? { ...doc, [first]: deleteAt(child, rest) } : doc;
}

/** JSON merge patch (RFC 7396): objects merge key by key, null removes, anything else replaces. */
export function mergePatch(target: Json | undefined, patch: Json): Json | undefined {
  if (!isObject(patch)) return patch === null ? undefined : patch;
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    const merged = mergePatch(result[key], value);
    if (merged === undefined) delete result[key];
    else result[key] = merged;
  }
  return result;
}

/** Every leaf under `value` (an empty object is a leaf, arrays are values) with its keys below `prefix`. */
export function leaves(value: Json | undefined, prefix: string[] = []): { keys: string[]; value: Json }[] {
  if (value === undefined) return [];
  if (!isObject(value) || Object.keys(value).length === 0) return [{ keys: prefix, value }];
  return Object.entries(value).flatMap(([key, child]) => leaves(child, [...prefix, key]));
}

export function sameJson(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  if (aKeys.length !== bKeys.length) return false;
  const bRecord = b as Record<string, Json>;
  return aKeys.every((key) => key in bRecord && sameJson((a as Record<string, Json>)[key], bRecord[key]));
}

export type EventOutcome =
  | { kind: "applied"; thing: JsonObject; revision: number; changed: string[] }
  | { kind: "stale" } // a revision already shown
  | { kind: "gap" } // a revision was skipped (missed, or not readable by the caller): read the thing again
  | { kind: "deleted" }
  | { kind: "ignored" }; // not a twin event of this thing

/** `thing` (at `revision`) after the twin event `envelope`, or why it cannot be applied. */
export function applyEvent(thing: JsonObject, revision: number, thingId: string, envelope: Envelope): EventOutcome {
  const [namespace, name, group, channel, criterion, action] = envelope.topic.split("/");
  if (`${namespace}:${name}` !== thingId || group !== "things" || channel !== "twin" || criterion !== "events") {
    return { kind: "ignored" };
  }
  const eventRevision = typeof envelope.revision === "number" ? envelope.revision : undefined;
  if (eventRevision === undefined) return { kind: "gap" };
  if (eventRevision <= revision) return { kind: "stale" };
  if (eventRevision > revision + 1) return { kind: "gap" };
  const keys = pathKeys(envelope.path);
  const value = envelope.value as Json | undefined;
  let next: JsonObject;
  switch (action) {
    case "created":
    case "modified":
      if (value === undefined) return { kind: "gap" };
      next = keys.length === 0 ? (isObject(value) ? value : thing) : setAt(thing, keys, value);
      break;
    case "merged": {
      if (value === undefined) return { kind: "gap" };
      const merged = mergePatch(getAt(thing, keys), value);
      if (keys.length === 0) next = isObject(merged) ? merged : {};
      else next = merged === undefined ? deleteAt(thing, keys) : setAt(thing, keys, merged);
      break;
    }
    case "deleted":
      if (keys.length === 0) return { kind: "deleted" };
      next = deleteAt(thing, keys);
      break;
    default:
      return { kind: "ignored" };
  }
  if (typeof envelope.timestamp === "string") next = { ...next, _modified: envelope.timestamp };
  next = { ...next, _revision: eventRevision };
  return { kind: "applied", thing: next, revision: eventRevision, changed: changedPaths(keys, action, value) };
}

/** The paths an event changed, as "/"-joined keys: the leaves of a merge patch, else the event's path. */
function changedPaths(keys: string[], action: string, value: Json | undefined): string[] {
  if (action === "merged" && isObject(value)) return leaves(value, keys).map((leaf) => joinKeys(leaf.keys));
  return [joinKeys(keys)];
}

export function joinKeys(keys: string[]): string {
  return "/" + keys.join("/");
}

/** Whether the value at `path` lies at or under one of `changed` (or holds one of them). */
export function touches(path: string, changed: readonly string[]): boolean {
  return changed.some((c) => c === "/" || path === c || path.startsWith(c + "/") || c.startsWith(path + "/"));
}
