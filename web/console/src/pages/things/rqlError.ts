// Where an RQL filter went wrong, read from the server's message: twinhub's RQL parser says "… is invalid at
// position N (line L, column C): reason" (src/twinhub/rql/_scanner.py), N counting Unicode code points.
import { DittoError } from "../../api/client";

export interface RqlProblem {
  /** The filter split into code points (as the server counts them). */
  chars: string[];
  position: number;
  /** The reason after the position, without the server's own snippet and caret lines. */
  reason: string;
}

const POSITION = /invalid at position (\d+)(?: \(line \d+, column \d+\))?: ([^\n]*)/;

/** The position of an RQL error in `filter`, when the error is one and says where. */
export function rqlProblem(error: unknown, filter: string): RqlProblem | null {
  if (!(error instanceof DittoError) || !error.error.startsWith("rql.")) return null;
  const match = POSITION.exec(error.message);
  if (!match) return null;
  const chars = Array.from(filter);
  const position = Number(match[1]);
  if (!Number.isSafeInteger(position) || position > chars.length) return null;
  return { chars, position, reason: match[2] ?? "" };
}
