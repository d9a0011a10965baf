// A thing read with GET and then kept current by its twin events over the page's WebSocket. The thing is read
// again whenever the events cannot be trusted to continue it: when the event stream (re)starts (the server's
// START-SEND-EVENTS:ACK, after which no event is missed) and when an event's revision skips one (an event the
// caller may not read, or one lost). Events that arrive while a read is under way wait for it and are then
// applied if they are newer than what it returned.
import { useCallback, useEffect, useRef, useState } from "react";

import { segment } from "../../api/client";
import type { Envelope } from "../../api/socket";
import { useClient, useDittoSocket } from "../../app/session";
import { applyEvent, type JsonObject } from "./liveThing";

export type LiveStatus = "connecting" | "live" | "reconnecting";

export interface Change {
  paths: string[];
  revision: number;
  generation: number;
}

export interface LiveThing {
  thing: JsonObject | null;
  error: unknown;
  deleted: boolean;
  status: LiveStatus;
  change: Change | null; // the last change applied, for those who listen
  highlight: Change | null; // the same while it is shown as new
  reload: () => void;
}

const FIELDS = "thingId,policyId,definition,attributes,features,_revision,_modified";
const HIGHLIGHT_MS = 2500;

export function useLiveThing(thingId: string): LiveThing {
  const client = useClient();
  const { socket, status: socketStatus } = useDittoSocket();
  const [thing, setThing] = useState<JsonObject | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [deleted, setDeleted] = useState(false);
  const [streaming, setStreaming] = useState(false);
  const [change, setChange] = useState<Change | null>(null);
  const [highlight, setHighlight] = useState<Change | null>(null);
  const everLive = useRef(false);
  const shown = useRef<{ thing: JsonObject; revision: number } | null>(null);
  const waiting = useRef<Envelope[] | null>(null); // events held back while a read is under way
  const reads = useRef(0); // the latest read wins

  const show = useCallback((next: JsonObject, revision: number) => {
    shown.current = { thing: next, revision };
    setThing(next);
  }, []);

  const receive = useCallback(
    (envelope: Envelope): "ok" | "gap" => {
      const current = shown.current;
      if (!current) return "gap";
      const outcome = applyEvent(current.thing, current.revision, thingId, envelope);
      if (outcome.kind === "gap") return "gap";
      if (outcome.kind === "deleted") {
        shown.current = null;
        setDeleted(true);
        setThing(null);
      } else if (outcome.kind === "applied") {
        show(outcome.thing, outcome.revision);
        setChange((last) => ({
          paths: outcome.changed, revision: outcome.revision, generation: (last?.generation ?? 0) + 1,
        }));
      }
      return "ok";
    },
    [show, thingId],
  );

  const load = useCallback(async () => {
    const read = ++reads.current;
    waiting.current ??= [];
    try {
      const body = await client.get<JsonObject>(`/api/2/things/${segment(thingId)}`, { query: { fields: FIELDS } });
      if (read !== reads.current) return;
      const held = waiting.current ?? [];
      waiting.current = null;
      show(body, typeof body._revision === "number" ? body._revision : 0);
      setError(null);
      setDeleted(false);
      if (held.some((envelope) => receive(envelope) === "gap")) void load();
    } catch (failure) {
      if (read !== reads.current) return;
      waiting.current = null;
      setError(failure);
    }
  }, [client, receive, show, thingId]);

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(() => {
    if (!socket) return;
    const stopControl = socket.onControl((text) => {
      if (text !== "START-SEND-EVENTS:ACK") return;
      everLive.current = true;
      setStreaming(true);
      void load(); // from now on every event arrives: what it missed before is in this read
    });
    const stopStatus = socket.onStatus((status) => {
      if (status !== "open") setStreaming(false);
    });
    const filter = `eq(thingId,"${thingId.replace(/["\\]/g, "\\$&")}")`;
    const stop = socket.subscribe("EVENTS", `filter=${encodeURIComponent(filter)}`, (envelope) => {
      if (waiting.current) waiting.current.push(envelope);
      else if (receive(envelope) === "gap") void load();
    });
    return () => {
      stop();
      stopStatus();
      stopControl();
    };
  }, [load, receive, socket, thingId]);

  useEffect(() => {
    if (!change) return;
    setHighlight(change);
    const timer = window.setTimeout(() => setHighlight(null), HIGHLIGHT_MS);
    return () => window.clearTimeout(timer);
  }, [change]);

  const status: LiveStatus =
    streaming && socketStatus === "open" ? "live" : everLive.current ? "reconnecting" : "connecting";
  return { thing, error, deleted, status, change, highlight, reload: () => void load() };
}
