// The RQL filter box: the filter being edited and examples to start from; when the server refused the filter, its
// error with the filter again, the character where it went wrong marked and a caret under it.
import { Alert, Button, Code, Group, Mark, Menu, Stack, Text, TextInput } from "@mantine/core";
import { IconChevronDown, IconSearch } from "@tabler/icons-react";
import { useEffect, useRef, useState, type FormEvent } from "react";

import type { DittoError } from "../../api/client";
import type { RqlProblem } from "./rqlError";

const EXAMPLES = [
  { label: "Attribute equals", filter: 'eq(attributes/location,"kitchen")' },
  { label: "Thing id like", filter: 'like(thingId,"org.acme:*")' },
  { label: "Attribute exists", filter: "exists(attributes/serial)" },
  { label: "Feature property greater than", filter: "gt(features/thermometer/properties/temperature,20)" },
  { label: "And / or", filter: 'and(exists(features/lamp),or(eq(attributes/floor,1),eq(attributes/floor,2)))' },
  { label: "One of these ids", filter: 'in(thingId,"org.acme:lamp-1","org.acme:lamp-2")' },
];

interface Props {
  filter: string;
  onSearch: (filter: string) => void;
  problem: RqlProblem | null;
}

export function RqlFilter({ filter, onSearch, problem }: Props) {
  const [text, setText] = useState(filter);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => setText(filter), [filter]);

  // Put the text cursor where the server says the filter went wrong, so fixing it starts there.
  useEffect(() => {
    const field = input.current;
    if (!problem || !field || field.value !== problem.chars.join("")) return;
    const offset = problem.chars.slice(0, problem.position).join("").length;
    field.setSelectionRange(offset, offset);
  }, [problem]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSearch(text.trim());
  };

  return (
    <form onSubmit={submit} role="search" aria-label="Search things">
      <Stack gap={4}>
        <Group align="flex-end" gap="xs" wrap="wrap">
          <TextInput ref={input} label="RQL filter" placeholder='e.g. eq(attributes/location,"kitchen")'
            value={text} onChange={(event) => setText(event.currentTarget.value)} style={{ flex: "1 1 240px" }}
            error={problem ? `Invalid at position ${problem.position} (marked below)` : undefined}
            spellCheck={false} autoCapitalize="off" autoCorrect="off" styles={{ input: { fontFamily: "monospace" } }} />
          <Menu position="bottom-end">
            <Menu.Target>
              <Button variant="default" rightSection={<IconChevronDown size={16} />}>Examples</Button>
            </Menu.Target>
            <Menu.Dropdown>
              {EXAMPLES.map((example) => (
                <Menu.Item key={example.label} onClick={() => setText(example.filter)}>
                  <Text size="sm">{example.label}</Text>
                  <Text size="xs" c="dimmed" ff="monospace">{example.filter}</Text>
                </Menu.Item>
              ))}
            </Menu.Dropdown>
          </Menu>
          <Button type="submit" leftSection={<IconSearch size={16} />}>Search</Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The server's refusal of a filter, the filter shown with the mistake marked. */
export function RqlProblemAlert({ error, problem }: { error: DittoError; problem: RqlProblem }) {
  return (
    <Alert color="red" title="Search failed" role="alert">
      <Stack gap="xs">
        <Text size="sm">
          <strong>{error.error}</strong> ({error.status}): {error.message.split("\n", 1)[0]}
        </Text>
        <MarkedFilter problem={problem} />
        {error.description && <Text size="sm">{error.description}</Text>}
      </Stack>
    </Alert>
  );
}

/** The refused filter with the offending character marked (a marked space past its end) and a caret line. */
function MarkedFilter({ problem }: { problem: RqlProblem }) {
  const { chars, position } = problem;
  const before = chars.slice(0, position).join("");
  const at = position < chars.length ? chars[position] : " ";
  const after = chars.slice(position + 1).join("");
  return (
    <Code block data-testid="rql-error-position" aria-label={`Filter error at position ${position}`}
      style={{ overflowX: "auto", whiteSpace: "pre" }}>
      {before}
      <Mark color="red" data-testid="rql-error-mark">{at}</Mark>
      {after}
      {"\n"}
      {" ".repeat(Array.from(before).length)}^
    </Code>
  );
}
