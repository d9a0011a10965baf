// The connections API as the console uses it: paths, the shapes of its answers, its commands, and a hook that
// reads one of a connection's reports (status, metrics, logs) now and, when asked, again every few seconds.
import { useCallback, useEffect, useRef, useState } from "react";

import { segment, type ApiClient } from "../../api/client";
import { useClient } from "../../app/session";

export const CONNECTIONS = "/api/2/connections";
export const PAGE_SIZE = 20;
export const REFRESH_MS = 5000;

export interface Connection {
  id: string;
  name?: string;
  connectionType: string;
  connectionStatus: string;
  uri: string;
  [key: string]: unknown;
}

export interface ResourceStatus {
  type: string;
  client: string;
  status: string;
  statusDetails?: string;
  inStateSince?: string;
  address?: string;
}

export interface ConnectionStatus {
  connectionStatus: string;
  liveStatus: string;
  connectedSince?: string;
  clientStatus: ResourceStatus[];
  sourceStatus: ResourceStatus[];
  targetStatus: ResourceStatus[];
}

export interface Measurement {
  PT1M: number;
  PT1H: number;
  PT24H: number;
  lastMessageAt: string | null;
}

export type Counts = Record<string, { success: Measurement; failure: Measurement }>;

export interface ConnectionMetrics {
  containsFailures: boolean;
  connectionMetrics: { inbound: Counts; outbound: Counts };
}

export interface LogEntry {
  correlationId: string;
  timestamp: string;
  category: string;
  type: string;
  level: string;
  message: string;
  address?: string;
  entityId?: string;
}

export interface ConnectionLogs {
  connectionLogs: LogEntry[];
  enabledSince?: string;
  enabledUntil?: string;
}

export const COMMANDS = {
  open: "connectivity.commands:openConnection",
  close: "connectivity.commands:closeConnection",
  enableLogs: "connectivity.commands:enableConnectionLogs",
  resetLogs: "connectivity.commands:resetConnectionLogs",
  resetMetrics: "connectivity.commands:resetConnectionMetrics",
} as const;

export function connectionPath(id: string): string {
  return `${CONNECTIONS}/${segment(id)}`;
}

export async function sendCommand(client: ApiClient, id: string, command: keyof typeof COMMANDS): Promise<void> {
  await client.request("POST", `${connectionPath(id)}/command`, { text: COMMANDS[command] });
}

/** A colour for a status word (open, closed, failed, ...), from Mantine's palette. */
export function statusColor(status: string | undefined): string {
  switch (status) {
    case "open":
      return "green";
    case "failed":
      return "red";
    case "closed":
      return "gray";
    default:
      return "yellow";
  }
}

export interface Report<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** `GET <connection>/<report>`; with `every` set, read again that often while mounted. */
export function useReport<T>(id: string, report: "status" | "metrics" | "logs", every: number | null): Report<T> {
  const client = useClient();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const current = useRef<AbortController | null>(null);

  const reload = useCallback(() => {
    current.current?.abort();
    const controller = new AbortController();
    current.current = controller;
    setLoading(true);
    client
      .get<T>(`${connectionPath(id)}/${report}`, { signal: controller.signal })
      .then((body) => {
        setData(body);
        setError(null);
      })
      .catch((caught: unknown) => {
        if (!controller.signal.aborted) setError(caught);
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
  }, [client, id, report]);

  useEffect(() => {
    reload();
    return () => current.current?.abort();
  }, [reload]);

  useEffect(() => {
    if (every === null) return;
    const timer = window.setInterval(reload, every);
    return () => window.clearInterval(timer);
  }, [every, reload]);

  return { data, error, loading, reload };
}

/** A template for a new connection: MQTT to a broker, HTTP push to a web service. */
export type TemplateName = "mqtt" | "http";

export const TEMPLATES: Record<TemplateName, { label: string; value: object }> = {
  mqtt: {
    label: "MQTT broker",
    value: {
      name: "mqtt-devices",
      connectionType: "mqtt",
      connectionStatus: "open",
      uri: "tcp://127.0.0.1:1883",
      sources: [{
        addresses: ["devices/+/telemetry"],
        qos: 1,
        authorizationContext: ["nginx:devices"],
      }],
      targets: [{
        address: "devices/{{ thing:id }}/events",
        qos: 1,
        topics: ["_/_/things/twin/events"],
        authorizationContext: ["nginx:devices"],
      }],
    },
  },
  http: {
    label: "HTTP push",
    value: {
      name: "http-push",
      connectionType: "http-push",
      connectionStatus: "open",
      uri: "https://example.com:443",
      targets: [{
        address: "POST:/events/{{ thing:id }}",
        topics: ["_/_/things/twin/events"],
        authorizationContext: ["nginx:integration"],
      }],
      specificConfig: { parallelism: "1" },
    },
  },
};

/** A problem with a connection's JSON before it is sent (the server checks the rest). */
export function connectionProblem(value: unknown): string | null {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "Must be a JSON object";
  const fields = value as Record<string, unknown>;
  if (typeof fields.connectionType !== "string") return "Needs a connectionType (mqtt, mqtt-5, amqp-091, amqp-10, http-push, nats)";
  if (typeof fields.uri !== "string") return "Needs a uri";
  return null;
}
