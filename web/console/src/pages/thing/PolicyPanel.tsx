// The thing page's Policy tab: which policy governs the thing (a link to it in the Policies section) and what a
// subject, the signed-in user or another, may do on the thing's resources.
import { Anchor, Group, Stack, Text } from "@mantine/core";
import { useEffect, useState } from "react";
import { Link } from "wouter";

import { segment } from "../../api/client";
import { useClient } from "../../app/session";
import { ErrorAlert } from "../../components/ErrorAlert";
import { policyHref } from "../policies/model";
import { PermissionMatrix } from "../policies/PermissionMatrix";

interface ThingPolicy {
  policyId?: string;
  features?: Record<string, unknown>;
}

export default function PolicyPanel({ thingId }: { thingId: string }) {
  const client = useClient();
  const [thing, setThing] = useState<ThingPolicy | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const abort = new AbortController();
    setThing(null);
    setError(null);
    client.get<ThingPolicy>(`/api/2/things/${segment(thingId)}`, { query: { fields: "policyId,features" }, signal: abort.signal })
      .then(setThing, (failure: unknown) => { if (!abort.signal.aborted) setError(failure); });
    return () => abort.abort();
  }, [client, thingId]);

  if (error) return <ErrorAlert error={error} title="Could not read the thing" />;
  if (!thing) return <Text c="dimmed">Loading…</Text>;
  const policyId = thing.policyId;
  return (
    <Stack gap="md">
      <Group gap="xs" wrap="wrap">
        <Text fw={500}>Policy:</Text>
        {policyId ? (
          <Anchor component={Link} href={policyHref(policyId)} style={{ wordBreak: "break-all" }}>
            {policyId}
          </Anchor>
        ) : (
          <Text c="dimmed">none that you may see</Text>
        )}
      </Group>
      {policyId && <PermissionMatrix thingId={thingId} policyId={policyId} features={Object.keys(thing.features ?? {})} />}
    </Stack>
  );
}
