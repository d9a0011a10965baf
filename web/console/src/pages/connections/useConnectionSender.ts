// Sending a connection's JSON from an editor, as a dry run or for real: the JSON is checked here first, a dry
// run's answer is kept to be shown, and what the server refuses is kept as its error.
import { useState } from "react";

import { useClient } from "../../app/session";
import { checkJson } from "../../components/JsonEditor";
import { CONNECTIONS, connectionProblem } from "./api";

export interface ConnectionSender {
  /** What is wrong with the JSON, found before sending. */
  problem: string | null;
  error: unknown;
  /** The dry run's result, once one passed. */
  tested: string | null;
  busy: "test" | "save" | null;
  send: (text: string, dryRun: boolean) => Promise<void>;
}

/** `save` stores the checked value (create or replace); a dry run is the same for both. */
export function useConnectionSender(save: (value: unknown) => Promise<void>): ConnectionSender {
  const client = useClient();
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tested, setTested] = useState<string | null>(null);
  const [busy, setBusy] = useState<"test" | "save" | null>(null);

  const send = async (text: string, dryRun: boolean) => {
    const checked = checkJson(text, connectionProblem);
    setTested(null);
    setError(null);
    setProblem(checked.ok ? null : checked.message);
    if (!checked.ok) return;
    setBusy(dryRun ? "test" : "save");
    try {
      if (dryRun) {
        // A dry run tests under a temporary id, whatever id the JSON has.
        const answer = await client.request<{ testResult?: string }>("POST", CONNECTIONS, {
          body: checked.value, query: { "dry-run": "true" },
        });
        setTested(answer.body?.testResult ?? "ok");
      } else {
        await save(checked.value);
      }
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  };

  return { problem, error, tested, busy, send };
}
