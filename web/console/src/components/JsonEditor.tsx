// A JSON editor that says what is wrong before anything is sent: syntax errors are marked where they are (the
// editor, CodeMirror, loads when first shown), and `checkJson` with a `validate` adds what the caller expects.
import { Input, Loader } from "@mantine/core";
import { lazy, Suspense } from "react";

import type { JsonEditorProps } from "./JsonEditorView";

const JsonEditorView = lazy(() => import("./JsonEditorView"));

export type JsonCheck = { ok: true; value: unknown } | { ok: false; message: string };

/** `text` parsed and checked by `validate` (a message for what is wrong, or null). */
export function checkJson(text: string, validate?: (value: unknown) => string | null): JsonCheck {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `Not valid JSON: ${(error as Error).message}` };
  }
  const problem = validate?.(value) ?? null;
  return problem ? { ok: false, message: problem } : { ok: true, value };
}

/** A problem if `value` is not a JSON object. */
export function mustBeObject(value: unknown): string | null {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? null : "Must be a JSON object";
}

export function JsonEditor(props: JsonEditorProps) {
  return (
    <Suspense fallback={<Input.Wrapper label={props.label}><Loader size="sm" /></Input.Wrapper>}>
      <JsonEditorView {...props} />
    </Suspense>
  );
}
