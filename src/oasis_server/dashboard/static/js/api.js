// The client of the Oasis JSON API: the only way the dashboard talks to the server.
//
// The bearer token lives in sessionStorage (one browser tab, gone when the tab
// closes) and is cleared on sign-out or when the server answers 401.

const TOKEN_KEY = "oasis.token";

/** An answer that is not a success: `status` (0 when the server could not be reached), `message`, `fields`. */
export class ApiError extends Error {
  constructor(status, message, fields = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.fields = fields;
  }
}

let onUnauthorized = () => {};

/** Run `handler` whenever a request made with a token is answered 401 (expired or revoked session). */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** `path` with the query parameters that are set (empty strings, null and undefined are left out). */
export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(name, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * Call the API: `body` (if any) is sent as JSON; resolves to the parsed answer (null for 204),
 * rejects with an ApiError carrying the server's `error` message and `fields`.
 * Cookies are left out unless `credentials` says otherwise (starting OAuth keeps the cookie that
 * binds the flow to this browser: `{ credentials: "same-origin" }`).
 */
export async function api(method, path, body, { credentials = "omit" } = {}) {
  const headers = { Accept: "application/json" };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const init = { method, headers, credentials, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "The server could not be reached; check your connection and try again.");
  }
  const text = response.status === 204 ? "" : await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const message =
      data && typeof data.error === "string"
        ? data.error
        : `The server answered ${response.status} ${response.statusText}`.trim();
    const error = new ApiError(response.status, message, data && data.fields ? data.fields : null);
    if (response.status === 401 && bearer) {
      clearToken();
      onUnauthorized(error);
    }
    throw error;
  }
  return data;
}

/** Everything GET /api/providers offers; fetched once per sign-in (plugins do not change while the server runs). */
let providersPromise = null;

export function providers({ refresh = false } = {}) {
  if (refresh || !providersPromise) {
    providersPromise = api("GET", "/api/providers").catch((error) => {
      providersPromise = null;
      throw error;
    });
  }
  return providersPromise;
}

export function forgetProviders() {
  providersPromise = null;
}
