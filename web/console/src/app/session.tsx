// The signed-in session: its credentials, the API client built on them, and who the server says the user is
// (`GET /api/2/whoami`, which is also how signing in checks the credentials).
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

import { ApiClient } from "../api/client";
import { storeCredentials, storedCredentials, type Credentials } from "../api/credentials";
import { DittoSocket, type SocketStatus } from "../api/socket";

export interface WhoAmI {
  subjects: string[];
  defaultSubject: string;
}

interface Session {
  client: ApiClient;
  whoami: WhoAmI;
  signOut: () => void;
}

interface SessionState {
  session: Session | null;
  signIn: (credentials: Credentials) => Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(null);
  const [restoring, setRestoring] = useState(() => storedCredentials() !== null);

  const signOut = useCallback(() => {
    storeCredentials(null);
    setSession(null);
  }, []);

  const signIn = useCallback(
    async (credentials: Credentials) => {
      const client = new ApiClient(credentials);
      const whoami = await client.get<WhoAmI>("/api/2/whoami");
      storeCredentials(credentials);
      setSession({ client, whoami, signOut });
    },
    [signOut],
  );

  useEffect(() => {
    const stored = storedCredentials();
    if (!stored) return;
    signIn(stored)
      .catch(() => storeCredentials(null))
      .finally(() => setRestoring(false));
  }, [signIn]);

  const value = useMemo(() => ({ session, signIn }), [session, signIn]);
  if (restoring) return null;
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSessionState(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error("useSessionState outside SessionProvider");
  return state;
}

/** The signed-in session (pages are only shown signed in). */
export function useSession(): Session {
  const { session } = useSessionState();
  if (!session) throw new Error("useSession while signed out");
  return session;
}

/** The API client of the signed-in session. */
export function useClient(): ApiClient {
  return useSession().client;
}

/** A WebSocket for the calling component, open while it is mounted, and its status. */
export function useDittoSocket(): { socket: DittoSocket | null; status: SocketStatus } {
  const { client } = useSession();
  const [socket, setSocket] = useState<DittoSocket | null>(null);
  const [status, setStatus] = useState<SocketStatus>("connecting");
  useEffect(() => {
    const opened = new DittoSocket(client.credentials);
    const stop = opened.onStatus(setStatus);
    setSocket(opened);
    return () => {
      stop();
      opened.close();
    };
  }, [client]);
  return { socket, status };
}
