// What changed from one revision of a thing to the next, path by path, found with jsondiffpatch. Arrays are
// values here (as for Ditto): a changed array is one change, shown whole before and after.
import { create, type Delta } from "jsondiffpatch";

import { getAt, isObject, leaves, type Json, type JsonObject } from "./liveThing";

export type ChangeKind = "added" | "removed" | "changed";

export interface PathChange {
  path: string; // "attributes/location", "features/lamp/properties/on"
  kind: ChangeKind;
  before: Json | undefined;
  after: Json | undefined;
}

const differ = create({ arrays: { detectMove: false } });
const BOOKKEEPING = new Set(["_revision", "_modified", "_created", "_metadata"]);

/** The changes from `before` (null: nothing, the thing was created) to `after`; an added or removed object is
 * shown leaf by leaf. */
export function revisionChanges(before: JsonObject | null, after: JsonObject): PathChange[] {
  const left = withoutBookkeeping(before ?? {});
  const right = withoutBookkeeping(after);
  const delta = differ.diff(left, right);
  return changedKeys(delta).flatMap((keys) => {
    const old = getAt(left, keys);
    const now = getAt(right, keys);
    if (old === undefined || now === undefined) {
      const kind: ChangeKind = old === undefined ? "added" : "removed";
      const whole = old ?? now;
      if (!isObject(whole)) return [change(keys, kind, old, now)];
      return leaves(whole, keys).map((leaf) =>
        change(leaf.keys, kind, kind === "removed" ? leaf.value : undefined, kind === "added" ? leaf.value : undefined));
    }
    return [change(keys, "changed", old, now)];
  });
}

function change(keys: string[], kind: ChangeKind, before: Json | undefined, after: Json | undefined): PathChange {
  return { path: keys.join("/"), kind, before, after };
}

function withoutBookkeeping(thing: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(thing).filter(([key]) => !BOOKKEEPING.has(key)));
}

/** The keys of each change in a jsondiffpatch delta: an array entry is a change of a value (added, modified,
 * deleted), an object with `_t: "a"` a change inside an array, any other object one level down. */
function changedKeys(delta: Delta, keys: string[] = []): string[][] {
  if (delta === undefined || delta === null) return [];
  if (Array.isArray(delta) || typeof delta !== "object") return [keys];
  if ((delta as { _t?: unknown })._t === "a") return [keys];
  return Object.entries(delta as Record<string, Delta>).flatMap(([key, inner]) => changedKeys(inner, [...keys, key]));
}
