// What the console checks of a thing before sending it, so that a typo is shown where it is instead of costing a
// request: the id format and the shape of a thing's JSON (Ditto refuses the same, but says less about where).
import { checkJson, type JsonCheck } from "../../components/JsonEditor";

// Ditto's id pattern as twinhub's model spells it (src/twinhub/model/ids.py): the namespace may be empty, its
// segments start with a letter and are joined by '.' or '-'; the name has no '/', control characters, 0x7F-0xFF
// or the Unicode bidirectional controls.
const NAMESPACE = String.raw`(?:|[a-zA-Z][a-zA-Z0-9_]*(?:[.\-][a-zA-Z][a-zA-Z0-9_]*)*)`;
const NAME = String.raw`[^\x00-\x1F\x7F-\xFF/\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]+`;
const THING_ID = new RegExp(`^${NAMESPACE}:${NAME}$`, "u");
const MAX_ID_LENGTH = 256;

/** A problem with `id` as a thing id, or null. */
export function thingIdProblem(id: string): string | null {
  if (!id.includes(":")) return "A thing id is <namespace>:<name>, e.g. org.acme:lamp-1";
  if (id.length > MAX_ID_LENGTH) return `A thing id has at most ${MAX_ID_LENGTH} characters`;
  if (!THING_ID.test(id)) {
    return "Not a valid thing id: the namespace is letters, digits and _ in segments joined by . or - (each " +
      "starting with a letter); the name has no '/' or control characters";
  }
  return null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A problem with `value` as a thing's JSON, or null: an object whose attributes, features and each feature's
 * properties and desiredProperties are objects, and whose thingId (if any) is a valid id (and `expectedId`). */
export function thingProblem(value: unknown, expectedId?: string): string | null {
  if (!isObject(value)) return "A thing must be a JSON object";
  for (const key of ["attributes", "features"] as const) {
    if (key in value && !isObject(value[key])) return `"${key}" must be a JSON object`;
  }
  if (isObject(value.features)) {
    for (const [featureId, feature] of Object.entries(value.features)) {
      if (!isObject(feature)) return `Feature "${featureId}" must be a JSON object`;
      for (const key of ["properties", "desiredProperties"] as const) {
        if (key in feature && !isObject(feature[key])) return `"${key}" of feature "${featureId}" must be a JSON object`;
      }
    }
  }
  if ("thingId" in value) {
    if (typeof value.thingId !== "string") return '"thingId" must be a string';
    const problem = thingIdProblem(value.thingId);
    if (problem) return `"thingId": ${problem}`;
    if (expectedId !== undefined && value.thingId !== expectedId) {
      return `"thingId" is ${value.thingId}, but this thing is ${expectedId}`;
    }
  }
  if ("policyId" in value && typeof value.policyId !== "string") return '"policyId" must be a string';
  return null;
}

/** `text` parsed and checked as a thing's JSON. */
export function checkThing(text: string, expectedId?: string): JsonCheck {
  return checkJson(text, (value) => thingProblem(value, expectedId));
}
