// The Policies section (/console/policies, nested): open a policy by its id, or pick one of the policies of the
// things the user can see (from search, `fields=policyId`, a page at a time); /console/policies/<id> is the policy.
import { Anchor, Button, Card, Group, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { Link, Route, Switch, useLocation } from "wouter";

import { pathSegment } from "../../app/addresses";
import { NotFound } from "../../app/NotFound";
import { useClient } from "../../app/session";
import { ErrorAlert } from "../../components/ErrorAlert";
import { PageTitle } from "../../components/PageTitle";
import { policyRoute } from "./model";
import { PolicyPage } from "./PolicyPage";

const PAGE_SIZE = 25;

export function PoliciesPage() {
  return (
    <Switch>
      <Route path="/:policyId">
        {(params) => {
          const policyId = pathSegment(params.policyId);
          return policyId === null ? <NotFound /> : <PolicyPage key={policyId} policyId={policyId} />;
        }}
      </Route>
      <Route path="/" component={PolicyIndex} />
    </Switch>
  );
}

interface SearchPage {
  items: { thingId?: string; policyId?: string }[];
  cursor?: string;
}

function PolicyIndex() {
  const client = useClient();
  const [, navigate] = useLocation();
  const [id, setId] = useState("");
  // Each policy once, with the things (of those seen so far) that use it.
  const [policies, setPolicies] = useState<Map<string, string[]>>(new Map());
  const [cursor, setCursor] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);

  const more = useCallback(async (from?: string) => {
    setLoading(true);
    setError(null);
    try {
      const option = `size(${PAGE_SIZE})${from ? `,cursor(${from})` : ""}`;
      const page = await client.get<SearchPage>("/api/2/search/things",
        { query: { fields: "thingId,policyId", option } });
      setPolicies((before) => {
        const next = new Map(before);
        for (const { thingId, policyId } of page.items) {
          if (!policyId) continue;
          next.set(policyId, [...(next.get(policyId) ?? []), ...(thingId ? [thingId] : [])]);
        }
        return next;
      });
      setCursor(page.cursor);
    } catch (failure) {
      setError(failure);
    } finally {
      setLoading(false);
    }
  }, [client]);

  useEffect(() => {
    void more();
  }, [more]);

  const open = (event: FormEvent) => {
    event.preventDefault();
    if (id.trim()) navigate(policyRoute(id.trim()));
  };

  return (
    <Stack gap="md">
      <PageTitle title="Policies" />
      <Card withBorder component="form" onSubmit={open} aria-label="Open a policy">
        <Group align="flex-end" wrap="wrap">
          <TextInput label="Policy id" placeholder="org.acme:policy-1" value={id} miw={240} style={{ flex: 1 }}
            onChange={(e) => setId(e.currentTarget.value)} />
          <Button type="submit" disabled={!id.trim()}>Open</Button>
        </Group>
      </Card>
      <Title order={2} size="h4">Policies of your things</Title>
      <ErrorAlert error={error} title="Could not search things" />
      {policies.size === 0 && !loading && !error && <Text c="dimmed">No things visible to you name a policy.</Text>}
      {policies.size > 0 && (
        <Table.ScrollContainer minWidth={320}>
          <Table aria-label="Policies of your things" striped>
            <Table.Thead>
              <Table.Tr><Table.Th>Policy</Table.Th><Table.Th>Things</Table.Th></Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {[...policies].map(([policyId, things]) => (
                <Table.Tr key={policyId}>
                  <Table.Td style={{ wordBreak: "break-all" }}>
                    <Anchor component={Link} href={policyRoute(policyId)}>{policyId}</Anchor>
                  </Table.Td>
                  <Table.Td style={{ wordBreak: "break-all" }}>
                    {things.slice(0, 3).join(", ")}{things.length > 3 ? ` and ${things.length - 3} more` : ""}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {loading && <Text c="dimmed">Loading…</Text>}
      {cursor && !loading && (
        <Group><Button variant="default" onClick={() => void more(cursor)}>Load more things</Button></Group>
      )}
    </Stack>
  );
}
