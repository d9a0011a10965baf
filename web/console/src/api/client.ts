// The console's one way to the HTTP API: every request carries the signed-in credentials, every failure becomes a
// DittoError with the server's own error code and message (Ditto's {status, error, message, description}).
import { authorizationHeader, type Credentials } from "./credentials";

export class DittoError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly description?: string,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  body?: unknown;
  /** A body sent as it is (`text/plain` unless a Content-Type header says otherwise), e.g. a connection command. */
  text?: string;
  headers?: Record<string, string>;
  query?: Record<string, string | undefined>;
  signal?: AbortSignal;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

export class ApiClient {
  constructor(readonly credentials: Credentials) {}

  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["Content-Type"] ??= "application/json";
    } else if (options.text !== undefined) {
      body = options.text;
      headers["Content-Type"] ??= "text/plain";
    }
    const response = await this.raw(method, path, { ...options, headers, body });
    if (!response.ok) throw await responseError(response);
    const text = await response.text();
    return { status: response.status, body: (text ? parseJson(text) : undefined) as T, headers: response.headers };
  }

  /** The one way a request leaves the console, its answer the caller's to read as it is, whatever its status (a
   * message's body may be any content type; a device's 4xx answer is an answer, not a failure; a stream is read
   * as it comes). No cookies and no browser credentials: the Authorization header is the only credential, and a
   * 401 with a Basic challenge comes back to the page instead of opening the browser's own login box. */
  raw(method: string, path: string, options: Omit<RequestOptions, "body"> & { body?: BodyInit } = {}): Promise<Response> {
    const headers = { Authorization: authorizationHeader(this.credentials), ...options.headers };
    return fetch(withQuery(path, options.query), {
      method, headers, body: options.body, signal: options.signal, credentials: "omit",
    });
  }

  get<T = unknown>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>("GET", path, options).then((response) => response.body);
  }
}

/** `path` with the defined entries of `query` as its query string. */
export function withQuery(path: string, query?: Record<string, string | undefined>): string {
  const entries = Object.entries(query ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return entries.length ? `${path}?${new URLSearchParams(entries).toString()}` : path;
}

/** A thing id or other id as one path segment. */
export function segment(id: string): string {
  return encodeURIComponent(id);
}

/** A JSON pointer ("/a/b") as path segments, each encoded alone. */
export function pointerPath(pointer: string): string {
  return pointer
    .split("/")
    .filter((part) => part !== "")
    .map(encodeURIComponent)
    .join("/");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function toDittoError(status: number, body: unknown, text: string): DittoError {
  if (body && typeof body === "object" && "error" in body) {
    const fields = body as { error?: unknown; message?: unknown; description?: unknown };
    return new DittoError(status, String(fields.error), String(fields.message ?? ""),
      typeof fields.description === "string" ? fields.description : undefined);
  }
  return new DittoError(status, `http.${status}`, text.slice(0, 500) || `HTTP ${status}`);
}

/** A failed response read by hand (a stream's, say) as the DittoError `request` would have raised. */
export async function responseError(response: Response): Promise<DittoError> {
  const text = await response.text();
  return toDittoError(response.status, text ? parseJson(text) : undefined, text);
}
