// The thing page's Messages tab: send a message to the thing's (or a feature's) inbox and see the device's answer,
// or send a live command (`channel=live`) that the device answers instead of the twin; each exchange of this
// visit stays listed below, newest first. The server waits for the device; the page only shows what it says.
import {
  Alert, Badge, Button, Card, Code, Group, NumberInput, SegmentedControl, Select, Stack, Table, Text, TextInput,
  Textarea, Title,
} from "@mantine/core";
import { useState, type FormEvent } from "react";

import { pointerPath, segment, toDittoError } from "../../api/client";
import { useClient } from "../../app/session";
import { checkJson, JsonEditor } from "../../components/JsonEditor";

interface Exchange {
  id: number;
  kind: "message" | "live command";
  request: string;
  status: number;
  headers: [string, string][];
  payload: string;
  error?: { error: string; message: string; description?: string };
  at: string;
}

// Headers worth showing of an answer (the rest are transport details of the browser's fetch).
const SHOWN_HEADERS = new Set(["content-type", "correlation-id", "etag", "response-required", "timeout"]);
const LIVE_COMMANDS = [
  { value: "retrieve", label: "Retrieve (GET)" },
  { value: "modify", label: "Modify (PUT)" },
  { value: "delete", label: "Delete (DELETE)" },
];
const MAX_HISTORY = 50;

export default function MessagesPanel({ thingId }: { thingId: string }) {
  const [history, setHistory] = useState<Exchange[]>([]);
  const record = (exchange: Omit<Exchange, "id" | "at">) =>
    setHistory((before) => [{ ...exchange, id: Date.now() + Math.random(), at: new Date().toLocaleTimeString() },
      ...before].slice(0, MAX_HISTORY));
  return (
    <Stack gap="lg">
      <MessageForm thingId={thingId} onExchange={record} />
      <LiveCommandForm thingId={thingId} onExchange={record} />
      <Stack gap="xs">
        <Title order={2} size="h4">Exchanges of this visit</Title>
        {history.length === 0 ? (
          <Text c="dimmed">Nothing sent yet.</Text>
        ) : (
          <Stack gap="sm" aria-label="Exchanges" role="list">
            {history.map((exchange) => <ExchangeCard key={exchange.id} exchange={exchange} />)}
          </Stack>
        )}
      </Stack>
    </Stack>
  );
}

type OnExchange = (exchange: Omit<Exchange, "id" | "at">) => void;

function MessageForm({ thingId, onExchange }: { thingId: string; onExchange: OnExchange }) {
  const client = useClient();
  const [feature, setFeature] = useState("");
  const [subject, setSubject] = useState("");
  const [format, setFormat] = useState<"json" | "text">("json");
  const [json, setJson] = useState("{}");
  const [text, setText] = useState("");
  const [contentType, setContentType] = useState("text/plain");
  const [timeout, setWait] = useState<number | string>(10);
  const checked = format === "json" ? checkJson(json) : null;
  const prefix = feature.trim() ? `/features/${segment(feature.trim())}` : "";
  const { sending, problem, submit } = useSender(onExchange, () => {
    if (!subject.trim()) return "A subject is needed.";
    return checked && !checked.ok ? checked.message : null;
  }, async () => {
    const path = `/api/2/things/${segment(thingId)}${prefix}/inbox/messages/${pointerPath(subject.trim())}`;
    const response = await client.raw("POST", path, {
      body: format === "json" ? json : text,
      headers: { "Content-Type": format === "json" ? "application/json" : contentType || "text/plain" },
      query: { timeout: String(timeout === "" ? 10 : timeout) },
    });
    return exchangeOf("message", `POST ${prefix}/inbox/messages/${subject.trim()}`, response);
  });

  return (
    <Card withBorder component="form" onSubmit={submit} aria-label="Send a message">
      <Stack gap="sm">
        <Title order={2} size="h4">Send a message to the inbox</Title>
        <Group grow wrap="wrap" align="flex-start">
          <TextInput label="Subject" required value={subject} onChange={(e) => setSubject(e.currentTarget.value)}
            placeholder="ping" miw={160} />
          <TextInput label="Feature (optional)" value={feature} onChange={(e) => setFeature(e.currentTarget.value)}
            description="Empty: the thing's inbox" miw={160} />
          <NumberInput label="Timeout (seconds)" value={timeout} onChange={setWait} min={0} max={60}
            description="0: do not wait for an answer" miw={140} />
        </Group>
        <SegmentedControl value={format} onChange={(value) => setFormat(value as "json" | "text")}
          aria-label="Payload format" data={[{ value: "json", label: "JSON" }, { value: "text", label: "Text" }]}
          w="fit-content" />
        {format === "json" ? (
          <JsonEditor label="Payload (JSON)" value={json} onChange={setJson} minHeight={80}
            error={checked && !checked.ok ? checked.message : null} />
        ) : (
          <>
            <TextInput label="Content type" value={contentType} onChange={(e) => setContentType(e.currentTarget.value)} />
            <Textarea label="Payload (text)" value={text} onChange={(e) => setText(e.currentTarget.value)} autosize
              minRows={2} />
          </>
        )}
        {problem && <Alert color="red" role="alert">{problem}</Alert>}
        <Group>
          <Button type="submit" loading={sending}>Send message</Button>
        </Group>
      </Stack>
    </Card>
  );
}

function LiveCommandForm({ thingId, onExchange }: { thingId: string; onExchange: OnExchange }) {
  const client = useClient();
  const [command, setCommand] = useState<string>("retrieve");
  const [path, setPath] = useState("/attributes");
  const [value, setValue] = useState("null");
  const [timeout, setWait] = useState<number | string>(10);
  const checked = command === "modify" ? checkJson(value) : null;
  const { sending, problem, submit } = useSender(onExchange, () => {
    if (!path.startsWith("/")) return "The path starts with '/' (e.g. /attributes/location).";
    return checked && !checked.ok ? checked.message : null;
  }, async () => {
    const method = command === "modify" ? "PUT" : command === "delete" ? "DELETE" : "GET";
    const rest = pointerPath(path);
    const response = await client.raw(method, `/api/2/things/${segment(thingId)}${rest ? `/${rest}` : ""}`, {
      body: method === "PUT" ? value : undefined,
      headers: method === "PUT" ? { "Content-Type": "application/json" } : {},
      query: { channel: "live", timeout: String(timeout === "" ? 10 : timeout) },
    });
    return exchangeOf("live command", `${command} ${path}`, response);
  });

  return (
    <Card withBorder component="form" onSubmit={submit} aria-label="Send a live command">
      <Stack gap="sm">
        <Title order={2} size="h4">Send a live command</Title>
        <Text size="sm" c="dimmed">Answered by the device (channel=live), not by the twin.</Text>
        <Group grow wrap="wrap" align="flex-start">
          <Select label="Command" data={LIVE_COMMANDS} value={command} allowDeselect={false}
            onChange={(next) => setCommand(next ?? "retrieve")} miw={160} />
          <TextInput label="Path" value={path} onChange={(e) => setPath(e.currentTarget.value)} miw={160}
            placeholder="/features/lamp/properties/on" />
          <NumberInput label="Live timeout (seconds)" value={timeout} onChange={setWait} min={1} max={60} miw={140} />
        </Group>
        {command === "modify" && (
          <JsonEditor label="Value (JSON)" value={value} onChange={setValue} minHeight={60}
            error={checked && !checked.ok ? checked.message : null} />
        )}
        {problem && <Alert color="red" role="alert">{problem}</Alert>}
        <Group>
          <Button type="submit" loading={sending}>Send live command</Button>
        </Group>
      </Stack>
    </Card>
  );
}

/** A form's sending: `problem` of the input (a message, or null) stops it; else `send` runs and its exchange is
 * recorded; a request that fails to reach the server at all is shown as the form's problem. */
function useSender(onExchange: OnExchange, problemOf: () => string | null, send: () => Promise<Exchange>) {
  const [sending, setSending] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const wrong = problemOf();
    setProblem(wrong);
    if (wrong) return;
    setSending(true);
    try {
      onExchange(await send());
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setSending(false);
    }
  };
  return { sending, problem, submit };
}

/** What an answer says: its status, headers and payload; a Ditto error body (a timeout, no device, no
 * permission) as that error. */
async function exchangeOf(kind: Exchange["kind"], request: string, response: Response): Promise<Exchange> {
  const payload = await response.text();
  const headers = [...response.headers.entries()].filter(([name]) => SHOWN_HEADERS.has(name));
  let error: Exchange["error"];
  if (response.status >= 400) {
    let body: unknown;
    try {
      body = JSON.parse(payload);
    } catch {
      body = undefined;
    }
    if (body && typeof body === "object" && "error" in body && "status" in body) {
      const ditto = toDittoError(response.status, body, payload);
      error = { error: ditto.error, message: ditto.message, description: ditto.description };
    }
  }
  return { id: 0, at: "", kind, request, status: response.status, headers, payload, error };
}

function ExchangeCard({ exchange }: { exchange: Exchange }) {
  const ok = exchange.status < 400;
  const timedOut = exchange.error?.error === "command.timeout" || exchange.status === 408;
  return (
    <Card withBorder role="listitem" aria-label={`${exchange.kind} ${exchange.request}`}>
      <Stack gap="xs">
        <Group gap="xs" wrap="wrap">
          <Badge color={ok ? "teal" : timedOut ? "yellow" : "red"} data-testid="exchange-status">{exchange.status}</Badge>
          <Text fw={500} style={{ wordBreak: "break-all" }}>{exchange.kind}: {exchange.request}</Text>
          <Text size="sm" c="dimmed">{exchange.at}</Text>
        </Group>
        {exchange.error ? (
          <Alert color={timedOut ? "yellow" : "red"} title={timedOut ? "No answer in time" : "Not delivered"}>
            <strong>{exchange.error.error}</strong> ({exchange.status}): {exchange.error.message}
            {exchange.error.description && <div>{exchange.error.description}</div>}
          </Alert>
        ) : (
          <>
            {exchange.headers.length > 0 && (
              <Table.ScrollContainer minWidth={280}>
                <Table withRowBorders={false} verticalSpacing={2} aria-label="Answer headers">
                  <Table.Tbody>
                    {exchange.headers.map(([name, value]) => (
                      <Table.Tr key={name}>
                        <Table.Td><Code>{name}</Code></Table.Td>
                        <Table.Td style={{ wordBreak: "break-all" }}>{value}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
            {exchange.payload ? (
              <Code block data-testid="answer-payload" style={{ whiteSpace: "pre-wrap", wordBreak: "break-all" }}>
                {pretty(exchange.payload)}
              </Code>
            ) : (
              <Text size="sm" c="dimmed">No payload.</Text>
            )}
          </>
        )}
      </Stack>
    </Card>
  );
}

function pretty(payload: string): string {
  try {
    return JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    return payload;
  }
}

