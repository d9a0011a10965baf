// Live history points over server-sent events, read with fetch's streaming body: EventSource cannot send the
// Authorization header, and the console's only credential is that header.
import { responseError, segment, type ApiClient } from "../../api/client";
import type { LivePoint } from "./HistoryData";

const MAX_LINE = 1 << 20; // a line longer than this is no point of ours: stop instead of buffering without bound

/** Calls `onPoint` for each point of `paths` from `from` on (the stored ones, then each new one as it commits)
 * until `signal` aborts; rejects with the API's error when the stream is refused, resolves when the server ends it. */
export async function streamHistory(client: ApiClient, thingId: string, paths: string[], from: Date,
  onPoint: (point: LivePoint) => void, signal: AbortSignal): Promise<void> {
  const response = await client.raw("GET", `/api/2/history/things/${segment(thingId)}`, {
    query: { paths: paths.join(","), from: from.toISOString() }, headers: { Accept: "text/event-stream" }, signal,
  });
  if (!response.ok || !response.body) throw await responseError(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += value;
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    if (buffered.length > MAX_LINE) throw new Error("The history stream sent a line too long to be a point.");
    for (const line of lines) {
      if (!line.startsWith("data:")) continue; // comments (keep-alives) and blank lines between events
      const point = JSON.parse(line.slice(5)) as LivePoint;
      onPoint(point);
    }
  }
}
