// A policy as the console edits it: Ditto's JSON (entries of subjects and resources), read and written whole.
// Fields the form does not know (expiry, announcements, importable, references, imports, ...) stay as they are.
import { segment } from "../../api/client";

export const PERMISSIONS = ["READ", "WRITE", "EXECUTE"] as const;
export type Permission = (typeof PERMISSIONS)[number];

export interface Subject {
  type?: string;
  [field: string]: unknown;
}

export interface Resource {
  grant?: string[];
  revoke?: string[];
  [field: string]: unknown;
}

export interface Entry {
  subjects?: Record<string, Subject>;
  resources?: Record<string, Resource>;
  [field: string]: unknown;
}

export interface Policy {
  policyId?: string;
  entries?: Record<string, Entry>;
  [field: string]: unknown;
}

export function policyPath(policyId: string): string {
  return `/api/2/policies/${segment(policyId)}`;
}

/** The console's address of a policy's page (from outside the Policies section). */
export function policyHref(policyId: string): string {
  return `/policies${policyRoute(policyId)}`;
}

/** A policy's page inside the Policies section, whose routes are nested under /policies. */
export function policyRoute(policyId: string): string {
  return `/${segment(policyId)}`;
}

/** A problem of a policy document that the form cannot show, or null. */
export function policyProblem(value: unknown): string | null {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "A policy is a JSON object";
  const entries = (value as Policy).entries;
  if (entries === undefined) return null;
  if (entries === null || typeof entries !== "object" || Array.isArray(entries)) return "'entries' must be an object";
  for (const [label, entry] of Object.entries(entries)) {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) return `Entry '${label}' must be an object`;
  }
  return null;
}

/** `policy` with `entry` of `label` changed by `change` (a new object; the old one is untouched). */
export function withEntry(policy: Policy, label: string, change: (entry: Entry) => Entry | null): Policy {
  const entries = { ...policy.entries };
  const next = change(entries[label] ?? {});
  if (next === null) delete entries[label];
  else entries[label] = next;
  return { ...policy, entries };
}

/** `resource` with `permission` added to or removed from its `grant` or `revoke` list. */
export function toggled(resource: Resource, list: "grant" | "revoke", permission: string, on: boolean): Resource {
  const current = resource[list] ?? [];
  const next = on ? [...new Set([...current, permission])] : current.filter((p) => p !== permission);
  return { ...resource, [list]: next };
}

/** The labels of `before`'s entries that `after` no longer has. */
export function droppedEntries(before: Policy, after: Policy): string[] {
  return Object.keys(before.entries ?? {}).filter((label) => !(label in (after.entries ?? {})));
}
