// A failed request as the server said it: Ditto's error code, message and description.
import { Alert } from "@mantine/core";

import { DittoError } from "../api/client";

export function ErrorAlert({ error, title = "Request failed" }: { error: unknown; title?: string }) {
  if (error === null || error === undefined) return null;
  const ditto = error instanceof DittoError ? error : null;
  return (
    <Alert color="red" title={title} role="alert">
      {ditto ? (
        <>
          <strong>{ditto.error}</strong> ({ditto.status}): {ditto.message}
          {ditto.description && <div>{ditto.description}</div>}
        </>
      ) : (
        String(error instanceof Error ? error.message : error)
      )}
    </Alert>
  );
}
