// A JSON object shown leaf by leaf (path, value), or a feature's properties (reported) beside its
// desiredProperties with each leaf's state in words and an icon: in sync, differs, not reported. A value that a
// live event just changed is highlighted for a moment.
import { Badge, Table, Text } from "@mantine/core";
import { IconAlertTriangle, IconCircleCheck, IconQuestionMark } from "@tabler/icons-react";

import { getAt, isObject, leaves, sameJson, touches, type Json } from "./liveThing";
import classes from "./live.module.css";
import { JsonText, usePage } from "./values";

const PAGE_SIZE = 25;

interface Row {
  path: string; // below the table's object, "a/b"
  pointer: string; // in the thing, "/attributes/a/b", for the highlight
  reported: Json | undefined;
  desired: Json | undefined;
}

export function LeafTable({ label, base, value, desiredBase, desired, changed }: {
  label: string;
  base: string;
  value: Json | undefined;
  desiredBase?: string;
  desired?: Json | undefined;
  changed: readonly string[];
}) {
  const withDesired = desiredBase !== undefined;
  const rows = leafRows(base, value, desiredBase, desired);
  const { rows: shown, controls } = usePage(rows, PAGE_SIZE);
  if (rows.length === 0) return <Text c="dimmed" size="sm">None.</Text>;
  return (
    <>
      <Table.ScrollContainer minWidth={withDesired ? 520 : 300}>
        <Table aria-label={label} striped withTableBorder layout="fixed">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{withDesired ? "Property" : "Path"}</Table.Th>
              <Table.Th>{withDesired ? "Reported" : "Value"}</Table.Th>
              {withDesired && <Table.Th>Desired</Table.Th>}
              {withDesired && <Table.Th w={130}>State</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map((row) => (
              <Table.Tr key={row.path}>
                <Table.Td style={{ wordBreak: "break-all" }}>{row.path}</Table.Td>
                <Cell pointer={row.pointer} changed={changed}><JsonText value={row.reported} /></Cell>
                {withDesired && (
                  <Cell pointer={desiredBase + "/" + row.path} changed={changed}>
                    <JsonText value={row.desired} />
                  </Cell>
                )}
                {withDesired && <Table.Td><LeafState row={row} /></Table.Td>}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {controls}
    </>
  );
}

function Cell({ pointer, changed, children }: { pointer: string; changed: readonly string[]; children: React.ReactNode }) {
  const fresh = touches(pointer, changed);
  return (
    <Table.Td className={fresh ? classes.changed : undefined} data-changed={fresh || undefined}>
      {children}
    </Table.Td>
  );
}

function LeafState({ row }: { row: Row }) {
  if (row.desired === undefined) return <Text span c="dimmed" size="sm">no desired value</Text>;
  if (row.reported === undefined) {
    return <Badge variant="light" color="gray" leftSection={<IconQuestionMark size={14} aria-hidden />}>Not reported</Badge>;
  }
  if (sameJson(row.reported, row.desired)) {
    return <Badge variant="light" color="teal" leftSection={<IconCircleCheck size={14} aria-hidden />}>In sync</Badge>;
  }
  return <Badge variant="light" color="orange" leftSection={<IconAlertTriangle size={14} aria-hidden />}>Differs</Badge>;
}

/** The leaves of `value` (and of `desired`, those it lacks after them), each with both values. */
function leafRows(base: string, value: Json | undefined, desiredBase?: string, desired?: Json): Row[] {
  const paths = new Map<string, string[]>();
  const objects = [value, desiredBase !== undefined ? desired : undefined];
  for (const object of objects) {
    for (const leaf of leaves(isObject(object) ? object : undefined)) {
      if (leaf.keys.length > 0) paths.set(leaf.keys.join("/"), leaf.keys); // not the empty object itself
    }
  }
  return [...paths].map(([path, keys]) => ({
    path,
    pointer: `${base}/${path}`,
    reported: getAt(value, keys),
    desired: desiredBase !== undefined ? getAt(desired, keys) : undefined,
  }));
}
