// Errors of the admin-only APIs (connections, devices): their 401 means "not an admin", said so in words;
// anything else is shown as the server said it.
import { Alert } from "@mantine/core";

import { DittoError } from "../api/client";
import { ErrorAlert } from "./ErrorAlert";

export function isNotAdmin(error: unknown): boolean {
  return error instanceof DittoError && error.status === 401;
}

export function AdminErrorAlert({ error, what }: { error: unknown; what: string }) {
  if (error === null || error === undefined) return null;
  if (isNotAdmin(error)) {
    return (
      <Alert color="yellow" title="Admins only" role="alert">
        Only admins manage {what}. Ask an administrator to add your subject to the server's admin subjects.
      </Alert>
    );
  }
  return <ErrorAlert error={error} />;
}
