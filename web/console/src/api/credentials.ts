// What the console signs in with: a basic user's name and password, or an OpenID Connect bearer token. Kept for
// the browser tab only (sessionStorage), never in a cookie: the API sees an Authorization header on every request,
// so no other site can make the browser send it (no CSRF), and closing the tab signs out.
export type Credentials =
  | { kind: "basic"; username: string; password: string }
  | { kind: "bearer"; token: string };

const KEY = "twinhub.console.credentials";

export function authorizationHeader(credentials: Credentials): string {
  if (credentials.kind === "bearer") return `Bearer ${credentials.token}`;
  const bytes = new TextEncoder().encode(`${credentials.username}:${credentials.password}`);
  return `Basic ${toBase64(bytes)}`;
}

/** The credentials as a WebSocket subprotocol the server reads as an Authorization header (browsers cannot set
 * headers on a WebSocket): `twinhub.authorization.<base64url of the header value>`. */
export function authorizationProtocol(credentials: Credentials): string {
  const bytes = new TextEncoder().encode(authorizationHeader(credentials));
  return `twinhub.authorization.${toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}

export function storedCredentials(): Credentials | null {
  const text = sessionStorage.getItem(KEY);
  if (!text) return null;
  try {
    const value = JSON.parse(text) as Credentials;
    return value.kind === "basic" || value.kind === "bearer" ? value : null;
  } catch {
    return null;
  }
}

export function storeCredentials(credentials: Credentials | null): void {
  if (credentials) sessionStorage.setItem(KEY, JSON.stringify(credentials));
  else sessionStorage.removeItem(KEY);
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
