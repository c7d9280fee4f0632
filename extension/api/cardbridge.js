// CardBridge page API: a CA's web page calls these functions; the CardBridge browser extension passes
// each call to the CardBridge host, which talks to the smart card. Params and results are the protocol's
// (docs/protocol.md) verbatim; see docs/api.md for the guide and a complete renewal example.
//
//   import * as cardbridge from "./cardbridge.js";
//   const { host, protocol } = await cardbridge.status();
//
// This module is self-contained (no imports) so a CA can serve it as one file. Importing it has no side
// effects: nothing is sent until a function is called.

/** Protocol version this library speaks; only the major part must match the host's. */
export const PROTOCOL_VERSION = "1.0.0";

/**
 * The host's closed set of error codes — mirrors host/src/main/java/org/cardbridge/protocol/ErrorCode.java
 * (extension/test/error-codes.test.mjs checks they are equal). The only place in JS that lists them.
 */
export const HOST_ERROR_CODES = Object.freeze([
  "INVALID_MESSAGE",
  "UNKNOWN_OPERATION",
  "INVALID_ARGUMENT",
  "MESSAGE_TOO_LARGE",
  "ORIGIN_NOT_ALLOWED",
  "USER_CANCELLED",
  "USER_TIMEOUT",
  "BUSY",
  "MODULE_NOT_FOUND",
  "TOKEN_NOT_FOUND",
  "TOKEN_REMOVED",
  "PIN_INCORRECT",
  "PIN_LOCKED",
  "KEY_NOT_FOUND",
  "ALGORITHM_NOT_SUPPORTED",
  "TOKEN_FULL",
  "TOKEN_READ_ONLY",
  "CERTIFICATE_INVALID",
  "CERTIFICATE_KEY_MISMATCH",
  "CERTIFICATE_EXPIRED",
  "CERTIFICATE_NOT_YET_VALID",
  "CMP_MESSAGE_INVALID",
  "CMP_PROTECTION_INVALID",
  "CMP_TRANSACTION_MISMATCH",
  "CMP_REJECTED",
  "CMP_WAITING",
  "REQUEST_CANCELLED",
  "INTERNAL_ERROR",
]);

/** Codes only the page side produces: the extension, the browser or this library found the problem. */
export const PAGE_ERROR_CODES = Object.freeze([
  "EXTENSION_UNAVAILABLE",
  "NATIVE_UNAVAILABLE",
  "VERSION_MISMATCH",
  "CONTEXT_INSECURE",
  "ACTION_TIMEOUT",
]);

/** Every code a CardBridgeError can carry, as `ErrorCode.NAME === "NAME"`. */
export const ErrorCode = Object.freeze(
  Object.fromEntries([...HOST_ERROR_CODES, ...PAGE_ERROR_CODES].map((c) => [c, c])),
);

/** The events `on`/`off` accept; they come from the host's reader watch. */
export const EVENTS = Object.freeze(["tokenInserted", "tokenRemoved", "readerAdded", "readerRemoved"]);

/** How long the extension has to acknowledge a request before the page is told it is not installed. */
export const EXTENSION_ACK_MS = 1000;
/** status() waits this long for the host's hello unless the caller gives a timeout. */
export const STATUS_TIMEOUT_MS = 20000;
/**
 * A watch that ends sooner than this after it was asked for is restarted only on the page's next call:
 * a host that dies right after subscribing must not be restarted in a loop.
 */
const WATCH_RESTART_MIN_MS = 5000;

// Page <-> content script message tags. The content script (extension/content.js) uses the same strings.
const FROM_PAGE = "cardbridge-page";
const FROM_EXTENSION = "cardbridge-extension";

export class CardBridgeError extends Error {
  /**
   * @param {string} code one of ErrorCode
   * @param {string} message for the developer (user-facing texts are the page's job, keyed by code)
   * @param {object} [details] what the host or extension added (never secrets)
   */
  constructor(code, message, details = {}) {
    super(message);
    this.name = "CardBridgeError";
    this.code = ErrorCode[code] ?? "INTERNAL_ERROR";
    this.details = details ?? {};
    if (!ErrorCode[code]) {
      this.details = { ...this.details, unknownCode: String(code) };
    }
  }
}

function majorOf(version) {
  const m = /^(\d+)\./.exec(String(version ?? ""));
  return m ? Number(m[1]) : NaN;
}

/** True for https pages and http pages on localhost / 127.0.0.1 (the host accepts nothing else). */
export function isAllowedContext(location) {
  if (!location) return false;
  if (location.protocol === "https:") return true;
  return location.protocol === "http:" && (location.hostname === "localhost" || location.hostname === "127.0.0.1");
}

let counter = 0;
function newId() {
  counter += 1;
  const random = globalThis.crypto?.randomUUID?.() ?? Math.random().toString(36).slice(2);
  return `cb-${counter}-${random}`;
}

/**
 * Builds a client bound to one window. The module's own functions use one built lazily on
 * `globalThis`; tests (and pages with several frames) may build their own.
 *
 * @param {{window: Window, ackTimeoutMs?: number, statusTimeoutMs?: number, now?: () => number}} env
 */
export function createClient(env) {
  const win = env.window;
  const ackTimeoutMs = env.ackTimeoutMs ?? EXTENSION_ACK_MS;
  const statusTimeoutMs = env.statusTimeoutMs ?? STATUS_TIMEOUT_MS;
  const now = env.now ?? Date.now;
  /** id -> {resolve, reject, onProgress, acked, timers[]} */
  const pending = new Map();
  /** event name -> Set of listeners */
  const listeners = new Map();
  let subscribed = false;
  let watchAskedAt = 0;
  let watchGeneration = 0;
  let restartWatchLater = false;
  let listening = false;
  let extensionVersion = null;
  let compatible = null; // cached status promise once a hello succeeded

  function listen() {
    if (listening) return;
    listening = true;
    win.addEventListener("message", (e) => {
      // Only our own window's content script talks to us; other frames and windows are ignored.
      if (e.source !== win || !e.data || e.data.source !== FROM_EXTENSION) return;
      dispatch(e.data);
    });
  }

  function dispatch(msg) {
    if (msg.type === "event") {
      for (const fn of listeners.get(msg.event) ?? []) {
        try {
          fn(msg.data);
        } catch (err) {
          // A listener's bug must not stop the other listeners.
          setTimeout(() => {
            throw err;
          });
        }
      }
      return;
    }
    if (msg.type === "watchEnded") {
      watchEnded();
      return;
    }
    // Anything else without a pending id (a type from a newer extension) is ignored.
    const p = pending.get(msg.id);
    if (!p) return;
    switch (msg.type) {
      case "ack":
        p.acked = true;
        if (msg.extension) extensionVersion = msg.extension;
        clearTimeout(p.ackTimer);
        break;
      case "progress":
        if (p.onProgress) {
          try {
            p.onProgress(msg.progress);
          } catch {
            // Progress is informative; a throwing callback does not fail the request.
          }
        }
        break;
      case "response":
        settle(msg.id);
        if (msg.error) {
          p.reject(new CardBridgeError(msg.error.code, msg.error.message ?? msg.error.code, msg.error.details));
        } else {
          p.resolve(msg.result);
        }
        break;
      default:
        break;
    }
  }

  function settle(id) {
    const p = pending.get(id);
    if (!p) return;
    clearTimeout(p.ackTimer);
    clearTimeout(p.timeoutTimer);
    if (p.signal && p.abortListener) p.signal.removeEventListener("abort", p.abortListener);
    pending.delete(id);
  }

  function post(msg) {
    win.postMessage({ source: FROM_PAGE, ...msg }, win.location.origin);
  }

  /** Sends one protocol request; resolves with its result or rejects with a CardBridgeError. */
  function request(op, params, options = {}) {
    return new Promise((resolve, reject) => {
      // A sandboxed frame (or CSP sandbox) keeps its site's location but has an opaque origin: a message
      // posted to location.origin is dropped, and the extension would seem missing.
      if (win.origin === "null") {
        reject(
          new CardBridgeError(
            "CONTEXT_INSECURE",
            "CardBridge cannot be used from a sandboxed or opaque-origin document (its origin is \"null\"); " +
              "call it from a document that has its site's origin",
            { origin: "null" },
          ),
        );
        return;
      }
      if (!isAllowedContext(win.location)) {
        reject(
          new CardBridgeError(
            "CONTEXT_INSECURE",
            "CardBridge works only on https pages (and http://localhost or http://127.0.0.1 for development)",
            { origin: win.location?.origin },
          ),
        );
        return;
      }
      const { signal, onProgress, timeout } = options;
      if (signal?.aborted) {
        reject(new CardBridgeError("REQUEST_CANCELLED", "the request was aborted before it was sent", { op }));
        return;
      }
      listen();
      const id = newId();
      const p = { resolve, reject, onProgress, acked: false, signal };
      pending.set(id, p);
      p.ackTimer = setTimeout(() => {
        if (p.acked) return;
        settle(id);
        reject(
          new CardBridgeError(
            "EXTENSION_UNAVAILABLE",
            "the CardBridge extension did not answer; install or enable it and reload the page",
            { waitedMs: ackTimeoutMs },
          ),
        );
      }, ackTimeoutMs);
      if (timeout != null) {
        p.timeoutTimer = setTimeout(() => {
          settle(id);
          // The host may still be waiting for the user: tell it to stop.
          post({ type: "request", id: newId(), op: "cancel", params: { id } });
          reject(new CardBridgeError("ACTION_TIMEOUT", `${op} did not finish within ${timeout} ms`, { op, timeout }));
        }, timeout);
      }
      if (signal) {
        p.abortListener = () => {
          settle(id);
          post({ type: "request", id: newId(), op: "cancel", params: { id } });
          reject(new CardBridgeError("REQUEST_CANCELLED", "the request was aborted by the page", { op }));
        };
        signal.addEventListener("abort", p.abortListener, { once: true });
      }
      post({ type: "request", id, op, params: params ?? {} });
    });
  }

  async function status(_params, options) {
    options ??= {};
    const hello = await request("hello", {}, { ...options, timeout: options.timeout ?? statusTimeoutMs });
    const result = {
      extension: extensionVersion,
      host: hello.host,
      protocol: hello.protocol,
      operations: hello.operations,
    };
    if (majorOf(hello.protocol) !== majorOf(PROTOCOL_VERSION)) {
      const hostOlder = majorOf(hello.protocol) < majorOf(PROTOCOL_VERSION);
      throw new CardBridgeError(
        "VERSION_MISMATCH",
        `the CardBridge host speaks protocol ${hello.protocol}, this page's library ${PROTOCOL_VERSION}; ` +
          (hostOlder ? "update the CardBridge host" : "the page must update its CardBridge library"),
        { library: PROTOCOL_VERSION, ...result, update: hostOlder ? "host" : "library" },
      );
    }
    return result;
  }

  /**
   * Checks versions once per page; a failure that may go away (no extension, no host) is retried next call.
   * The check is shared by every call waiting for it, so it runs on no caller's signal (status() has its
   * own timeout); each caller's signal cancels only that caller's wait.
   */
  function ensureCompatible(name, signal) {
    if (signal?.aborted) {
      const e = new CardBridgeError("REQUEST_CANCELLED", "the request was aborted before it was sent", { op: name });
      return Promise.reject(e);
    }
    if (!compatible) {
      compatible = status({}, {}).catch((e) => {
        if (e.code !== "VERSION_MISMATCH") compatible = null;
        throw e;
      });
    }
    if (!signal) return compatible;
    return new Promise((resolve, reject) => {
      const onAbort = () =>
        reject(new CardBridgeError("REQUEST_CANCELLED", "the request was aborted by the page", { op: name }));
      signal.addEventListener("abort", onAbort, { once: true });
      compatible.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  function op(name) {
    return async (params, options = {}) => {
      restartWatchIfDue();
      await ensureCompatible(name, options.signal);
      return request(name, params, options);
    };
  }

  function hasListeners() {
    return [...listeners.values()].some((s) => s.size > 0);
  }

  function startWatch() {
    subscribed = true;
    restartWatchLater = false;
    watchAskedAt = now();
    const generation = ++watchGeneration;
    // Like addEventListener, on() need not be awaited; a page that awaits it learns whether the
    // host's watch started (e.g. NATIVE_UNAVAILABLE), one that does not gets no unhandled rejection.
    const started = request("subscribe", {}).catch((e) => {
      if (generation === watchGeneration) subscribed = false;
      throw e;
    });
    started.catch(() => {});
    return started;
  }

  /** The extension lost the host, and the host's watch with it: start a new one while listeners remain. */
  function watchEnded() {
    subscribed = false;
    if (!hasListeners()) return;
    if (now() - watchAskedAt < WATCH_RESTART_MIN_MS) restartWatchLater = true;
    else startWatch();
  }

  function restartWatchIfDue() {
    if (restartWatchLater && !subscribed && hasListeners()) startWatch();
  }

  function on(event, fn) {
    if (!EVENTS.includes(event)) throw new TypeError(`unknown CardBridge event '${event}' (${EVENTS.join(", ")})`);
    if (typeof fn !== "function") throw new TypeError("listener must be a function");
    if (!listeners.has(event)) listeners.set(event, new Set());
    listeners.get(event).add(fn);
    if (!subscribed) return startWatch();
    return Promise.resolve({ subscribed: true });
  }

  function off(event, fn) {
    listeners.get(event)?.delete(fn);
    const any = hasListeners();
    if (!any) restartWatchLater = false;
    if (!any && subscribed) {
      subscribed = false;
      return request("unsubscribe", {});
    }
    return Promise.resolve({ subscribed });
  }

  return {
    status: (params, options) => {
      restartWatchIfDue();
      return status(params, options);
    },
    listTokens: (params, options) => op("listTokens")(params ?? {}, options),
    listCertificates: op("listCertificates"),
    login: op("login"),
    logout: op("logout"),
    generateKeyPair: op("generateKeyPair"),
    createCsr: op("createCsr"),
    sign: op("sign"),
    installCertificate: op("installCertificate"),
    removeKey: op("removeKey"),
    createKeyUpdateRequest: op("createKeyUpdateRequest"),
    acceptCmpResponse: op("acceptCmpResponse"),
    on,
    off,
  };
}

let defaultClient = null;
function client() {
  defaultClient ??= createClient({ window: globalThis.window });
  return defaultClient;
}

/** Extension, host and protocol versions and the host's operations. */
export const status = (params, options) => client().status(params, options);
export const listTokens = (params, options) => client().listTokens(params, options);
export const listCertificates = (params, options) => client().listCertificates(params, options);
export const login = (params, options) => client().login(params, options);
export const logout = (params, options) => client().logout(params, options);
export const generateKeyPair = (params, options) => client().generateKeyPair(params, options);
export const createCsr = (params, options) => client().createCsr(params, options);
export const sign = (params, options) => client().sign(params, options);
export const installCertificate = (params, options) => client().installCertificate(params, options);
export const removeKey = (params, options) => client().removeKey(params, options);
/** CMP renewal: a key update request (base64 DER) for the page to POST to its CA's CMP endpoint. */
export const createKeyUpdateRequest = (params, options) => client().createKeyUpdateRequest(params, options);
/** CMP renewal: the CA's kup (installs, gives the certConf to send) or pkiConf (closes the transaction). */
export const acceptCmpResponse = (params, options) => client().acceptCmpResponse(params, options);
/** Listens to a reader event; the first listener makes the host start watching readers. */
export const on = (event, fn) => client().on(event, fn);
/** Removes a listener; when none is left the host stops watching for this page. */
export const off = (event, fn) => client().off(event, fn);
