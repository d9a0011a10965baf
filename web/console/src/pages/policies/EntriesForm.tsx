// A policy's entries as a form: each entry's subjects (id and type) and resources (path, grant and revoke of READ,
// WRITE, EXECUTE), each added and removed in place. It edits a draft; nothing is sent until the page saves.
import { ActionIcon, Button, Card, Checkbox, Code, Group, Stack, Table, Text, TextInput, Title, VisuallyHidden } from "@mantine/core";
import { IconTrash } from "@tabler/icons-react";
import { useState, type FormEvent } from "react";

import { PERMISSIONS, toggled, withEntry, type Entry, type Policy } from "./model";

export function EntriesForm({ policy, onChange }: { policy: Policy; onChange: (policy: Policy) => void }) {
  const entries = Object.entries(policy.entries ?? {});
  return (
    <Stack gap="md">
      {entries.length === 0 && <Text c="dimmed">No entries.</Text>}
      {entries.map(([label, entry]) => (
        <EntryCard key={label} label={label} entry={entry}
          onChange={(next) => onChange(withEntry(policy, label, () => next))} />
      ))}
      <NamedAdd label="New entry label" button="Add entry" taken={(label) => label in (policy.entries ?? {})}
        onAdd={(label) => onChange(withEntry(policy, label, () => ({ subjects: {}, resources: {} })))} />
    </Stack>
  );
}

function EntryCard({ label, entry, onChange }: { label: string; entry: Entry; onChange: (entry: Entry | null) => void }) {
  const subjects = Object.entries(entry.subjects ?? {});
  const resources = Object.entries(entry.resources ?? {});
  const [subjectType, setSubjectType] = useState("generated");
  return (
    <Card withBorder component="section" aria-label={`Entry ${label}`}>
      <Stack gap="sm">
        <Group justify="space-between" wrap="nowrap">
          <Title order={2} size="h4" style={{ wordBreak: "break-all" }}>{label}</Title>
          <RemoveButton name={`Remove entry ${label}`} onRemove={() => onChange(null)} />
        </Group>
        <Text fw={500} size="sm">Subjects</Text>
        <Table.ScrollContainer minWidth={320}>
          <Table aria-label={`Subjects of ${label}`}>
            <Table.Thead>
              <Table.Tr><Table.Th>Subject</Table.Th><Table.Th>Type</Table.Th><Table.Th><VisuallyHidden>Actions</VisuallyHidden></Table.Th></Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {subjects.map(([id, subject]) => (
                <Table.Tr key={id}>
                  <Table.Td style={{ wordBreak: "break-all" }}><Code>{id}</Code></Table.Td>
                  <Table.Td>{subject.type ?? ""}</Table.Td>
                  <Table.Td>
                    <RemoveButton name={`Remove subject ${id} from ${label}`}
                      onRemove={() => onChange({ ...entry, subjects: without(entry.subjects, id) })} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        <NamedAdd label={`New subject of ${label}`} button="Add subject" buttonName={`Add subject to ${label}`} placeholder="nginx:someone"
          taken={(id) => id in (entry.subjects ?? {})}
          extra={<TextInput label="Type" value={subjectType} onChange={(e) => setSubjectType(e.currentTarget.value)}
            aria-label={`Type of the new subject of ${label}`} />}
          onAdd={(id) => onChange({ ...entry, subjects: { ...entry.subjects, [id]: { type: subjectType || "generated" } } })} />
        <Text fw={500} size="sm">Resources</Text>
        <Table.ScrollContainer minWidth={520}>
          <Table aria-label={`Resources of ${label}`}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Resource</Table.Th>
                <Table.Th>Grant</Table.Th>
                <Table.Th>Revoke</Table.Th>
                <Table.Th><VisuallyHidden>Actions</VisuallyHidden></Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {resources.map(([path, resource]) => (
                <Table.Tr key={path}>
                  <Table.Td style={{ wordBreak: "break-all" }}><Code>{path}</Code></Table.Td>
                  {(["grant", "revoke"] as const).map((list) => (
                    <Table.Td key={list}>
                      <Group gap={6} wrap="nowrap">
                        {PERMISSIONS.map((permission) => (
                          <Checkbox key={permission} size="xs" label={permission}
                            aria-label={`${list} ${permission} on ${path} in ${label}`}
                            checked={(resource[list] ?? []).includes(permission)}
                            onChange={(e) => onChange({ ...entry, resources: {
                              ...entry.resources,
                              [path]: toggled(resource, list, permission, e.currentTarget.checked),
                            } })} />
                        ))}
                      </Group>
                    </Table.Td>
                  ))}
                  <Table.Td>
                    <RemoveButton name={`Remove resource ${path} from ${label}`}
                      onRemove={() => onChange({ ...entry, resources: without(entry.resources, path) })} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        <NamedAdd label={`New resource of ${label}`} button="Add resource" buttonName={`Add resource to ${label}`} placeholder="thing:/features"
          taken={(path) => path in (entry.resources ?? {})}
          check={(path) => (/^(thing|policy|message):\//.test(path) ? null : "thing:/…, policy:/… or message:/…")}
          onAdd={(path) => onChange({ ...entry, resources: { ...entry.resources, [path]: { grant: ["READ"], revoke: [] } } })} />
      </Stack>
    </Card>
  );
}

function RemoveButton({ name, onRemove }: { name: string; onRemove: () => void }) {
  return (
    <ActionIcon variant="subtle" color="red" aria-label={name} onClick={onRemove}>
      <IconTrash size={16} />
    </ActionIcon>
  );
}

/** `map` without `key` (a new object). */
function without<T>(map: Record<string, T> | undefined, key: string): Record<string, T> {
  const next = { ...map };
  delete next[key];
  return next;
}

interface NamedAddProps {
  label: string;
  button: string;
  buttonName?: string;
  placeholder?: string;
  taken: (name: string) => boolean;
  check?: (name: string) => string | null;
  extra?: React.ReactNode;
  onAdd: (name: string) => void;
}

/** A name field and a button that adds it (refusing an empty or existing name). */
function NamedAdd({ label, button, buttonName, placeholder, taken, check, extra, onAdd }: NamedAddProps) {
  const [name, setName] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const add = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    const wrong = !trimmed ? "Give a name" : taken(trimmed) ? "Already there" : check?.(trimmed) ?? null;
    setProblem(wrong);
    if (wrong) return;
    onAdd(trimmed);
    setName("");
  };
  // Not a nested <form> (the page's form holds this): Enter in the field adds, as a form would.
  return (
    <Group align="flex-end" wrap="wrap" gap="xs">
      <TextInput label={label} value={name} placeholder={placeholder} error={problem} miw={200}
        onChange={(e) => setName(e.currentTarget.value)}
        onKeyDown={(e) => { if (e.key === "Enter") add(e); }} />
      {extra}
      <Button variant="default" onClick={add} aria-label={buttonName}>{button}</Button>
    </Group>
  );
}
