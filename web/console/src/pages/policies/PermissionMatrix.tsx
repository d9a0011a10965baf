// "What may this subject do on this thing": READ and WRITE on the thing's resources (the thing, its attributes,
// its features, its policy, its messages) as the server's enforcer answers. For the signed-in user Ditto's
// `POST /api/2/checkPermissions`; for another subject twinhub's `/api/2/checkPermissions/subjects/<id>`,
// which only a reader of the policy may ask. The browser never evaluates a policy itself.
import { Badge, Button, Card, Group, SegmentedControl, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useState, type FormEvent } from "react";

import { segment } from "../../api/client";
import { useClient, useSession } from "../../app/session";
import { ErrorAlert } from "../../components/ErrorAlert";

const CHECKED = ["READ", "WRITE"] as const;
const MAX_FEATURES = 50; // a matrix to read, not a dump: the first features only

interface Props {
  thingId: string;
  policyId: string;
  features: string[];
}

interface Verdicts {
  subject: string;
  rows: { resource: string; entityId: string; verdicts: Record<string, boolean> }[];
}

export function PermissionMatrix({ thingId, policyId, features }: Props) {
  const client = useClient();
  const { whoami } = useSession();
  const [who, setWho] = useState<"me" | "other">("me");
  const [subject, setSubject] = useState("");
  const [result, setResult] = useState<Verdicts | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [checking, setChecking] = useState(false);

  const resources: { resource: string; entityId: string }[] = [
    { resource: "thing:/", entityId: thingId },
    { resource: "thing:/attributes", entityId: thingId },
    { resource: "thing:/features", entityId: thingId },
    ...features.slice(0, MAX_FEATURES).map((feature) => ({ resource: `thing:/features/${feature}`, entityId: thingId })),
    { resource: "policy:/", entityId: policyId },
    { resource: "message:/", entityId: thingId },
  ];

  const check = async (event: FormEvent) => {
    event.preventDefault();
    const other = who === "other" ? subject.trim() : "";
    if (who === "other" && !other) return setError(new Error("Give the subject to check, e.g. nginx:bob"));
    const body: Record<string, unknown> = {};
    resources.forEach(({ resource, entityId }, index) => {
      for (const permission of CHECKED) {
        body[`${index}:${permission}`] = { resource, entityId, hasPermissions: [permission] };
      }
    });
    setChecking(true);
    setError(null);
    try {
      const path = other ? `/api/2/checkPermissions/subjects/${segment(other)}` : "/api/2/checkPermissions";
      const answer = (await client.request<Record<string, boolean>>("POST", path, { body })).body;
      setResult({
        subject: other || whoami.defaultSubject,
        rows: resources.map(({ resource, entityId }, index) => ({
          resource, entityId,
          verdicts: Object.fromEntries(CHECKED.map((permission) => [permission, answer[`${index}:${permission}`] === true])),
        })),
      });
    } catch (failure) {
      setResult(null);
      setError(failure);
    } finally {
      setChecking(false);
    }
  };

  return (
    <Card withBorder component="form" onSubmit={check} aria-label="Check permissions">
      <Stack gap="sm">
        <Title order={2} size="h4">What may a subject do on this thing?</Title>
        <Group align="flex-end" wrap="wrap">
          <SegmentedControl value={who} onChange={(value) => setWho(value as "me" | "other")} aria-label="Whose permissions"
            data={[{ value: "me", label: "Me" }, { value: "other", label: "Another subject" }]} />
          {who === "other" && (
            <TextInput label="Subject id" placeholder="nginx:bob" value={subject} miw={200}
              onChange={(e) => setSubject(e.currentTarget.value)} />
          )}
          <Button type="submit" loading={checking}>Check permissions</Button>
        </Group>
        {who === "other" && (
          <Text size="sm" c="dimmed">Evaluated by the server for that subject alone; you need READ on the policy.</Text>
        )}
        <ErrorAlert error={error} title="Could not check" />
        {result && (
          <Table.ScrollContainer minWidth={300}>
            <Table aria-label={`Permissions of ${result.subject}`} data-subject={result.subject}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Resource</Table.Th>
                  {CHECKED.map((permission) => <Table.Th key={permission}>{permission}</Table.Th>)}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {result.rows.map(({ resource, verdicts }) => (
                  <Table.Tr key={resource} data-resource={resource}>
                    <Table.Th scope="row" style={{ wordBreak: "break-all", fontWeight: "normal" }}>{resource}</Table.Th>
                    {CHECKED.map((permission) => (
                      <Table.Td key={permission} data-permission={permission}>
                        <Badge color={verdicts[permission] ? "teal" : "gray"} variant="light">
                          {verdicts[permission] ? "allowed" : "denied"}
                        </Badge>
                      </Table.Td>
                    ))}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
    </Card>
  );
}
