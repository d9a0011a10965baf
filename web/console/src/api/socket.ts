// A Ditto Protocol WebSocket (`/ws/2`) for a page (`useDittoSocket`): the page asks for streams (events, messages,
// live commands) with a query, and sends Ditto Protocol commands whose responses come back by correlation-id. It
// reconnects with back-off and asks again for what was asked before. Ditto keeps one query per stream and
// session, so a socket does too: a page that needs two views of one stream opens two sockets.
import { authorizationProtocol, type Credentials } from "./credentials";

export type Stream = "EVENTS" | "MESSAGES" | "LIVE_COMMANDS" | "LIVE_EVENTS";
export type SocketStatus = "connecting" | "open" | "closed";

export interface Envelope {
  topic: string;
  path: string;
  headers?: Record<string, unknown>;
  value?: unknown;
  status?: number;
  [key: string]: unknown;
}

type Listener = (envelope: Envelope) => void;

interface Subscription {
  stream: Stream;
  query: string;
  listener: Listener;
}

const STOP: Record<Stream, string> = {
  EVENTS: "STOP-SEND-EVENTS",
  MESSAGES: "STOP-SEND-MESSAGES",
  LIVE_COMMANDS: "STOP-SEND-LIVE-COMMANDS",
  LIVE_EVENTS: "STOP-SEND-LIVE-EVENTS",
};

export class DittoSocket {
  private socket: WebSocket | null = null;
  private readonly subscriptions = new Set<Subscription>();
  private readonly pending = new Map<string, (envelope: Envelope) => void>();
  private readonly statusListeners = new Set<(status: SocketStatus) => void>();
  private readonly controlListeners = new Set<(text: string) => void>();
  private retry = 0;
  private timer: number | undefined;
  private stopped = false;
  status: SocketStatus = "connecting";

  constructor(private readonly credentials: Credentials) {
    this.connect();
  }

  /** Receive `stream` (its envelopes that `query`, e.g. `filter=eq(thingId,"a:b")`, lets through); returns
   * the way to stop. Listeners of one stream share its query. */
  subscribe(stream: Stream, query: string, listener: Listener): () => void {
    const others = [...this.subscriptions].filter((s) => s.stream === stream);
    if (others.some((s) => s.query !== query)) throw new Error(`${stream} is already asked for with another query`);
    const subscription = { stream, query, listener };
    this.subscriptions.add(subscription);
    if (others.length === 0) this.sendText(startCommand(stream, query));
    return () => {
      this.subscriptions.delete(subscription);
      if (![...this.subscriptions].some((s) => s.stream === stream)) this.sendText(STOP[stream]);
    };
  }

  /** Send a Ditto Protocol command and wait for the response with its correlation-id. */
  request(envelope: Envelope, timeoutMs = 65_000): Promise<Envelope> {
    const correlationId = crypto.randomUUID();
    const headers = { ...envelope.headers, "correlation-id": correlationId };
    return new Promise((resolve, reject) => {
      if (this.status !== "open") {
        reject(new Error("the WebSocket is not connected"));
        return;
      }
      const timer = window.setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new Error("no response in time"));
      }, timeoutMs);
      this.pending.set(correlationId, (response) => {
        window.clearTimeout(timer);
        resolve(response);
      });
      this.sendText(JSON.stringify({ ...envelope, headers }));
    });
  }

  /** Send a Ditto Protocol message that expects no response (e.g. an answer to a live command). */
  send(envelope: Envelope): void {
    this.sendText(JSON.stringify(envelope));
  }

  onStatus(listener: (status: SocketStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Hear the control answers (`START-SEND-EVENTS:ACK`: from then on the stream's envelopes arrive). */
  onControl(listener: (text: string) => void): () => void {
    this.controlListeners.add(listener);
    return () => this.controlListeners.delete(listener);
  }

  close(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    this.socket?.close(1000);
  }

  private connect(): void {
    const url = new URL("/ws/2", window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url, ["twinhub", authorizationProtocol(this.credentials)]);
    this.socket = socket;
    this.setStatus("connecting");
    socket.onopen = () => {
      this.retry = 0;
      this.setStatus("open");
      const started = new Set<string>();
      for (const { stream, query } of this.subscriptions) {
        const command = startCommand(stream, query);
        if (!started.has(command)) this.sendText(command);
        started.add(command);
      }
    };
    socket.onmessage = (event: MessageEvent<string>) => this.receive(event.data);
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.setStatus("closed");
      for (const resolve of this.pending.values()) resolve({ topic: "", path: "/", status: 503 });
      this.pending.clear();
      if (!this.stopped) {
        this.timer = window.setTimeout(() => this.connect(), Math.min(30_000, 500 * 2 ** this.retry++));
      }
    };
  }

  private receive(text: string): void {
    if (!text.startsWith("{")) {
      // START-SEND-*:ACK and other control answers
      for (const listener of this.controlListeners) listener(text);
      return;
    }
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text) as Envelope;
    } catch {
      return;
    }
    const correlationId = envelope.headers?.["correlation-id"];
    const waiting = typeof correlationId === "string" ? this.pending.get(correlationId) : undefined;
    if (waiting && envelope.status !== undefined) {
      this.pending.delete(correlationId as string);
      waiting(envelope);
      return;
    }
    const stream = streamOf(envelope);
    for (const subscription of this.subscriptions) {
      if (subscription.stream === stream) subscription.listener(envelope);
    }
  }

  private sendText(text: string): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(text);
  }

  private setStatus(status: SocketStatus): void {
    this.status = status;
    for (const listener of this.statusListeners) listener(status);
  }
}

function startCommand(stream: Stream, query: string): string {
  const name = `START-SEND-${stream.replace("_", "-")}`;
  return query ? `${name}?${query}` : name;
}

/** Which stream an incoming envelope belongs to, from its topic (`ns/name/things/twin/events/modified`). */
function streamOf(envelope: Envelope): Stream | null {
  const parts = envelope.topic.split("/");
  const [channel, criterion] = [parts[3], parts[4]];
  if (criterion === "messages") return "MESSAGES";
  if (channel === "twin" && criterion === "events") return "EVENTS";
  if (channel === "live" && criterion === "events") return "LIVE_EVENTS";
  if (channel === "live" && criterion === "commands") return "LIVE_COMMANDS";
  return null;
}
