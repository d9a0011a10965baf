// One page of things: the id links to the thing's page (a row click opens it too), the rest is a compact summary.
import { Anchor, Table, Text } from "@mantine/core";
import dayjs from "dayjs";
import type { MouseEvent } from "react";
import { Link, useLocation } from "wouter";

import { segment } from "../../api/client";

export interface ThingSummary {
  thingId: string;
  policyId?: string;
  definition?: string;
  attributes?: Record<string, unknown>;
  _modified?: string;
}

export function ThingsTable({ things }: { things: ThingSummary[] }) {
  const [, navigate] = useLocation();
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table highlightOnHover aria-label="Things">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Thing ID</Table.Th>
            <Table.Th>Policy ID</Table.Th>
            <Table.Th>Definition</Table.Th>
            <Table.Th>Attributes</Table.Th>
            <Table.Th>Modified</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {things.map((thing) => {
            const href = `/things/${segment(thing.thingId)}`;
            return (
              <Table.Tr key={thing.thingId} style={{ cursor: "pointer" }} onClick={() => navigate(href)}>
                <Table.Td style={{ wordBreak: "break-all" }}>
                  {/* The link is the keyboard's way in (Tab, Enter); stop its click reaching the row twice. */}
                  <Anchor component={Link} href={href} onClick={(event: MouseEvent) => event.stopPropagation()}>
                    {thing.thingId}
                  </Anchor>
                </Table.Td>
                <Table.Td style={{ wordBreak: "break-all" }}>{thing.policyId ?? ""}</Table.Td>
                <Table.Td>{thing.definition ?? ""}</Table.Td>
                <Table.Td maw={320}>
                  <Text size="sm" ff="monospace" truncate>{thing.attributes ? JSON.stringify(thing.attributes) : ""}</Text>
                </Table.Td>
                <Table.Td style={{ whiteSpace: "nowrap" }}>
                  {thing._modified ? dayjs(thing._modified).format("YYYY-MM-DD HH:mm:ss") : ""}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
