// One leaf's points as a table (the chart's content for the keyboard and screen readers), a page at a time.
import { Group, Pagination, Table, Text } from "@mantine/core";
import dayjs from "dayjs";
import { useState } from "react";

import type { LeafHistory } from "./HistoryData";

const PAGE = 100;

export function HistoryTable({ leaf, step }: { leaf: LeafHistory; step?: string }) {
  const [page, setPage] = useState(1);
  const pages = Math.max(1, Math.ceil(leaf.times.length / PAGE));
  const current = Math.min(page, pages);
  const first = (current - 1) * PAGE;
  const rows = leaf.times.slice(first, first + PAGE).map((time, offset) => {
    const index = first + offset;
    return (
      <Table.Tr key={index}>
        <Table.Td style={{ whiteSpace: "nowrap" }}>{dayjs(time * 1000).format("YYYY-MM-DD HH:mm:ss.SSS")}</Table.Td>
        <Table.Td>{show(leaf.values[index])}</Table.Td>
        {leaf.min && <Table.Td>{show(leaf.min[index])}</Table.Td>}
        {leaf.max && <Table.Td>{show(leaf.max[index])}</Table.Td>}
      </Table.Tr>
    );
  });
  return (
    <>
      <Table.ScrollContainer minWidth={280}>
        <Table striped aria-label={`Points of ${leaf.path}`}>
          <Table.Caption>
            {step ? `Buckets of ${step} (mean, min and max), oldest first` : "Points, oldest first"}
          </Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{step ? "Bucket start" : "Time"}</Table.Th>
              <Table.Th>{step ? "Mean" : "Value"}</Table.Th>
              {leaf.min && <Table.Th>Min</Table.Th>}
              {leaf.max && <Table.Th>Max</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>{rows}</Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {pages > 1 && (
        <Group justify="space-between" wrap="wrap">
          <Text size="sm" c="dimmed">{leaf.times.length} rows</Text>
          <Pagination total={pages} value={current} onChange={setPage} size="sm"
            getItemProps={(item) => ({ "aria-label": `Page ${item}` })}
            getControlProps={(control) => ({ "aria-label": `${control} page` })} />
        </Group>
      )}
    </>
  );
}

function show(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : String(value);
}
