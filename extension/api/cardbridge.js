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
  "MODULE_NOT_INSTALLED",
  "TOKEN_NOT_FOUND",
  "TOKEN_REMOVED",
  "TOKEN_BUSY",
  "PIN_INCORRECT",
  "PIN_LOCKED",
  "PUK_LOCKED",
  "PIN_CHANGE_NOT_SUPPORTED",
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
  "TOKEN_AMBIGUOUS",
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

// The types are the published ones (cardbridge.d.ts, which "./cardbridge.js" resolves to for the checker).
/** @typedef {import("./cardbridge.js").CallOptions} CallOptions */
/** @typedef {import("./cardbridge.js").Client} Client */
/** @typedef {import("./cardbridge.js").Status} Status */
/** @typedef {import("./cardbridge.js").OperationResults} OperationResults */
/** @typedef {import("./cardbridge.js").CardBridgeEvents} CardBridgeEvents */
/** @typedef {import("./cardbridge.js").InstallLinkOption} InstallLinkOption */
/** @typedef {import("./cardbridge.js").Token} Token */
/** @typedef {import("./cardbridge.js").Certificate} Certificate */
/** @typedef {import("./cardbridge.js").PendingKey} PendingKey */
/** @typedef {import("./cardbridge.js").CaAnswer} CaAnswer */
/** @typedef {import("./cardbridge.js").CaCalls} CaCalls */
/** @typedef {import("./cardbridge.js").CmpOptions} CmpOptions */
/** @typedef {import("./cardbridge.js").SingleSignResult} SingleSignResult */
/** @typedef {import("./cardbridge.js").AcceptCmpResponseResult} AcceptCmpResponseResult */
/** @typedef {import("./cardbridge.js").CaRefusal} CaRefusal */
/** @typedef {import("./cardbridge.js").RenewalOptions} RenewalOptions */
/** @typedef {import("./cardbridge.js").RenewalState} RenewalState */
/** @typedef {import("./cardbridge.js").RenewalStateName} RenewalStateName */
/** @typedef {import("./cardbridge.js").RenewalAction} RenewalAction */
/** @typedef {import("./cardbridge.js").RenewalActivity} RenewalActivity */
/** @typedef {import("./cardbridge.js").Renewal} Renewal */
/** @typedef {import("./cardbridge.js").InstallCertificateResult} InstallCertificateResult */

export class CardBridgeError extends Error {
  /** @type {{url: string, text: string} | undefined} where to get CardBridge, on a "missing" error (withInstallLink) */
  install;

  /**
   * @param {string} code one of ErrorCode
   * @param {string} message for the developer (user-facing texts are the page's job, keyed by code)
   * @param {Record<string, any>} [details] what the host or extension added (never secrets)
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

/** @param {unknown} version */
function majorOf(version) {
  const m = /^(\d+)\./.exec(String(version ?? ""));
  return m ? Number(m[1]) : NaN;
}

/**
 * True for https pages and http pages on localhost / 127.0.0.1 (the host accepts nothing else).
 * @param {Location | URL | null | undefined} location
 */
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
 * @param {{window: Window, ackTimeoutMs?: number, statusTimeoutMs?: number, now?: () => number, install?: InstallLinkOption, lang?: string}} env
 * @returns {Client}
 */
export function createClient(env) {
  const win = env.window;
  const ackTimeoutMs = env.ackTimeoutMs ?? EXTENSION_ACK_MS;
  const statusTimeoutMs = env.statusTimeoutMs ?? STATUS_TIMEOUT_MS;
  const now = env.now ?? Date.now;
  /**
   * A request sent and not answered yet.
   * @typedef {object} Pending
   * @property {(result: unknown) => void} resolve with the host's result (request's caller knows its type)
   * @property {(error: unknown) => void} reject
   * @property {CallOptions["onProgress"]} onProgress
   * @property {boolean} acked
   * @property {AbortSignal | undefined} signal
   * @property {ReturnType<typeof setTimeout>} [ackTimer]
   * @property {ReturnType<typeof setTimeout>} [timeoutTimer]
   * @property {() => void} [abortListener]
   */
  /** @typedef {(data: unknown) => void} Listener One of on()'s listeners: it gets its event's data (CardBridgeEvents). */
  /**
   * What the content script posts to the page (extension/content.js); `id` only on a request's answers.
   * @typedef {object} FromExtension
   * @property {string} type
   * @property {string} id
   * @property {string} event (only on an event)
   * @property {unknown} [data]
   * @property {string} [extension]
   * @property {{stage: string, [k: string]: unknown}} progress (only on a progress message)
   * @property {{code: string, message?: string, details?: Record<string, unknown>}} [error]
   * @property {unknown} [result]
   */
  /** @type {Map<string, Pending>} id -> the request */
  const pending = new Map();
  /** @type {Map<string, Set<Listener>>} event name -> its listeners */
  const listeners = new Map();
  let subscribed = false;
  let watchAskedAt = 0;
  let watchGeneration = 0;
  let restartWatchLater = false;
  let listening = false;
  /** @type {string | null} */
  let extensionVersion = null;
  /** @type {Promise<Status> | null} */
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

  /** @param {FromExtension} msg */
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

  /** @param {string} id */
  function settle(id) {
    const p = pending.get(id);
    if (!p) return;
    clearTimeout(p.ackTimer);
    clearTimeout(p.timeoutTimer);
    if (p.signal && p.abortListener) p.signal.removeEventListener("abort", p.abortListener);
    pending.delete(id);
  }

  /** @param {Record<string, unknown>} msg */
  function post(msg) {
    win.postMessage({ source: FROM_PAGE, ...msg }, win.location.origin);
  }

  /**
   * Sends one protocol request; resolves with its result or rejects with a CardBridgeError.
   * @template {keyof OperationResults} K
   * @param {K} op
   * @param {unknown} params
   * @param {CallOptions} [options]
   * @returns {Promise<OperationResults[K]>}
   */
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
      const { signal, onProgress, timeout, lang } = options;
      // The language of the host's windows for this request; the browser's when not given.
      if (lang !== undefined && lang !== "pl" && lang !== "en") {
        reject(new CardBridgeError("INVALID_ARGUMENT", 'lang must be "pl" or "en"', { field: "lang" }));
        return;
      }
      if (signal?.aborted) {
        reject(new CardBridgeError("REQUEST_CANCELLED", "the request was aborted before it was sent", { op }));
        return;
      }
      listen();
      const id = newId();
      /** @type {Pending} */
      const p = { resolve: /** @type {(result: unknown) => void} */ (resolve), reject, onProgress, acked: false, signal };
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
      post({ type: "request", id, op, params: params ?? {}, ...(lang ? { lang } : {}) });
    });
  }

  /**
   * @param {unknown} _params
   * @param {CallOptions} [options]
   * @returns {Promise<Status>}
   */
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
  /**
   * @param {string} name
   * @param {AbortSignal} [signal]
   * @returns {Promise<Status>}
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
    const shared = compatible;
    if (!signal) return shared;
    return new Promise((resolve, reject) => {
      const onAbort = () =>
        reject(new CardBridgeError("REQUEST_CANCELLED", "the request was aborted by the page", { op: name }));
      signal.addEventListener("abort", onAbort, { once: true });
      shared.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  /**
   * @template {keyof OperationResults} K
   * @param {K} name
   */
  function op(name) {
    return async (/** @type {unknown} */ params, /** @type {CallOptions} */ options = {}) => {
      restartWatchIfDue();
      try {
        await ensureCompatible(name, options.signal);
        return await request(name, params, options);
      } catch (e) {
        throw linked(e);
      }
    };
  }

  /** A missing extension or host comes with the install link the page configured (or the default). */
  /** @param {unknown} e */
  function linked(e) {
    return withInstallLink(e, env.install ?? pageDefaults.install, env.lang ?? pageDefaults.lang);
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

  /**
   * @param {string} event
   * @param {(data: never) => void} fn a listener of that event's data (CardBridgeEvents)
   */
  function on(event, fn) {
    if (!EVENTS.includes(event)) throw new TypeError(`unknown CardBridge event '${event}' (${EVENTS.join(", ")})`);
    if (typeof fn !== "function") throw new TypeError("listener must be a function");
    if (!listeners.has(event)) listeners.set(event, new Set());
    /** @type {Set<Listener>} */ (listeners.get(event)).add(/** @type {Listener} */ (fn));
    if (!subscribed) return startWatch();
    return Promise.resolve({ subscribed: true });
  }

  /**
   * @param {string} event
   * @param {(data: never) => void} fn
   */
  function off(event, fn) {
    listeners.get(event)?.delete(/** @type {Listener} */ (fn));
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
      return status(params, options).catch((e) => {
        throw linked(e);
      });
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
    changePin: op("changePin"),
    unblockPin: op("unblockPin"),
    createKeyUpdateRequest: op("createKeyUpdateRequest"),
    acceptCmpResponse: op("acceptCmpResponse"),
    on,
    off,
  };
}

/** What `configure` set for the module's own client: the install link and its language. */
/** @type {{install: InstallLinkOption | undefined, lang: string | undefined}} */
const pageDefaults = { install: undefined, lang: undefined };

/**
 * Page-wide settings of the module's functions: `install: {url, text}` — where errors for a missing
 * extension or host (`EXTENSION_UNAVAILABLE`, `NATIVE_UNAVAILABLE`) send the person (`error.install`);
 * `text` may be a string or `{pl, en}`; `lang` picks from it.
 */
/** @param {{install?: InstallLinkOption, lang?: string}} [settings] */
export function configure({ install, lang } = {}) {
  if (install !== undefined) pageDefaults.install = install;
  if (lang !== undefined) pageDefaults.lang = lang;
}

/** @type {ReturnType<typeof createClient> | null} */
let defaultClient = null;
function client() {
  defaultClient ??= createClient({ window: globalThis.window });
  return defaultClient;
}

/** Extension, host and protocol versions and the host's operations. */
export const status = /** @type {Client["status"]} */ ((params, options) => client().status(params, options));
export const listTokens = /** @type {Client["listTokens"]} */ ((params, options) => client().listTokens(params, options));
export const listCertificates = /** @type {Client["listCertificates"]} */ ((params, options) => client().listCertificates(params, options));
export const login = /** @type {Client["login"]} */ ((params, options) => client().login(params, options));
export const logout = /** @type {Client["logout"]} */ ((params, options) => client().logout(params, options));
export const generateKeyPair = /** @type {Client["generateKeyPair"]} */ ((params, options) => client().generateKeyPair(params, options));
export const createCsr = /** @type {Client["createCsr"]} */ ((params, options) => client().createCsr(params, options));
export const sign = /** @type {Client["sign"]} */ ((params, options) => client().sign(params, options));
export const installCertificate = /** @type {Client["installCertificate"]} */ ((params, options) => client().installCertificate(params, options));
export const removeKey = /** @type {Client["removeKey"]} */ ((params, options) => client().removeKey(params, options));
/** The person changes the card's PIN in the host's own window (current PIN, new PIN twice); the page sees no PIN. */
export const changePin = /** @type {Client["changePin"]} */ ((params, options) => client().changePin(params, options));
/** The person unblocks the card's PIN with the PUK in the host's own window; the page sees neither. */
export const unblockPin = /** @type {Client["unblockPin"]} */ ((params, options) => client().unblockPin(params, options));
/** CMP renewal: a key update request (base64 DER) for the page to POST to its CA's CMP endpoint. */
export const createKeyUpdateRequest = /** @type {Client["createKeyUpdateRequest"]} */ ((params, options) => client().createKeyUpdateRequest(params, options));
/** CMP renewal: the CA's kup (installs, gives the certConf to send) or pkiConf (closes the transaction). */
export const acceptCmpResponse = /** @type {Client["acceptCmpResponse"]} */ ((params, options) => client().acceptCmpResponse(params, options));
/** Listens to a reader event; the first listener makes the host start watching readers. */
export const on = /** @type {Client["on"]} */ ((event, fn) => client().on(event, fn));
/** Removes a listener; when none is left the host stops watching for this page. */
export const off = /** @type {Client["off"]} */ ((event, fn) => client().off(event, fn));

// ==========================================================================================================
// The renewal as one journey (docs/renewal-states.md). A CA page gives its four server calls and draws
// what `state` and `activity` say; the helper runs the low-level calls above in the order that keeps the
// old certificate working, and finds where a renewal stands from the card plus one CA `lookup`.
// ==========================================================================================================

/** Where a page sends people who lack the extension or the host, unless it configures its own. */
export const DEFAULT_INSTALL_LINK = Object.freeze({
  url: "https://cardbridge.org/install",
  text: Object.freeze({ en: "Install CardBridge", pl: "Zainstaluj CardBridge" }),
});

/** The renewal's states, in the order of the journey (docs/renewal-states.md). */
export const RENEWAL_STATES = Object.freeze([
  "idle",
  "noCard",
  "refused",
  "eligible",
  "keyOnCard",
  "drafted",
  "unknown",
  "issued",
  "scheduled",
  "deferred",
  "finishable",
  "done",
]);

/** Codes of a RenewalError: what went wrong on the CA's side or in the journey (card errors stay CardBridgeError). */
export const RENEWAL_ERROR_CODES = Object.freeze([
  "CA_REFUSED",
  "CA_UNAVAILABLE",
  "CA_OUTCOME_UNKNOWN",
  "CA_ANSWER_INVALID",
  "NOT_ALLOWED_NOW",
]);

export class RenewalError extends Error {
  /**
   * @param {string} code one of RENEWAL_ERROR_CODES
   * @param {string} message for the developer
   * @param {{refusal?: {code: string, message: string}, cause?: unknown}} [extra]
   */
  constructor(code, message, extra = {}) {
    super(message);
    this.name = "RenewalError";
    this.code = code;
    if (extra.refusal) this.refusal = extra.refusal;
    if (extra.cause !== undefined) this.cause = extra.cause;
  }
}

const HOST_MISSING = new Set(["EXTENSION_UNAVAILABLE", "NATIVE_UNAVAILABLE"]);

/**
 * Adds `install: {url, text}` to an error that means CardBridge is missing (no extension, no host), so a
 * page can show a link instead of a dead end. Other errors are returned unchanged. Where the administrator
 * set a link in the extension's managed storage (NATIVE_UNAVAILABLE's `details.install`, `installText`), it
 * wins over the page's: it names where this computer gets the program. `replace`: a link set before (the
 * client's, when a renewal configures its own) is computed anew.
 */
/**
 * @template E
 * @param {E} error
 * @param {InstallLinkOption} [link]
 * @param {string} [lang]
 * @param {boolean} [replace]
 * @returns {E}
 */
export function withInstallLink(error, link = {}, lang = "en", replace = false) {
  if (!(error instanceof CardBridgeError) || !HOST_MISSING.has(error.code) || (error.install && !replace)) return error;
  const managed = typeof error.details?.install === "string" && error.details.install.startsWith("https:") ? error.details.install : null;
  const text = (managed && typeof error.details.installText === "string" && error.details.installText) || (link.text ?? DEFAULT_INSTALL_LINK.text);
  error.install = {
    url: managed ?? link.url ?? DEFAULT_INSTALL_LINK.url,
    text: typeof text === "string" ? text : (/** @type {Record<string, string | undefined>} */ (text)[lang] ?? text.en ?? DEFAULT_INSTALL_LINK.text.en),
  };
  return error;
}

/**
 * The four CA calls over fetch: POST JSON to `${base}/check|draft|submit|lookup`. An HTTP 400/422 with a
 * JSON body is the CA's answer (a refusal); anything else that is not a 2xx JSON answer throws (the CA gave
 * no usable answer).
 *
 * @param {string} base e.g. "/api/renewal"
 * @param {{timeout?: number, extra?: () => object, fetch?: typeof fetch}} [options]
 */
export function caEndpoints(base, options = {}) {
  const doFetch = options.fetch ?? ((...a) => globalThis.fetch(...a));
  const call = (/** @type {string} */ name) => async (/** @type {object} */ body) => {
    const res = await doFetch(`${base}/${name}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ...body, ...(options.extra?.() ?? {}) }),
      ...(options.timeout ? { signal: AbortSignal.timeout(options.timeout) } : {}),
    });
    /** @type {any} */
    let json = null;
    try {
      json = await res.json();
    } catch {
      // not JSON: no usable answer
    }
    if ((res.status === 400 || res.status === 422) && json?.status === "refused") return json;
    if (!res.ok || !json) throw new Error(`CA ${name}: HTTP ${res.status}`);
    return json;
  };
  return { check: call("check"), draft: call("draft"), submit: call("submit"), lookup: call("lookup") };
}

/**
 * The CMP transport of the renewal helper's CMP mode: POSTs a base64 DER PKIMessage to `url` (the CA's CMP
 * endpoint: same origin, or one that allows this page by CORS) as `application/pkixcmp` and resolves with
 * the answer as base64 DER. An answer of that type is the CA's, whatever its HTTP status (an `error`
 * PKIMessage may come with 4xx/5xx); anything else throws (the CA gave no usable answer).
 *
 * @param {string} url e.g. "/cmp"
 * @param {{timeout?: number, fetch?: typeof fetch}} [options]
 */
export function cmpEndpoint(url, options = {}) {
  const doFetch = options.fetch ?? ((...a) => globalThis.fetch(...a));
  return async (/** @type {string} */ messageB64) => {
    const res = await doFetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/pkixcmp" },
      body: b64ToBytes(messageB64),
      ...(options.timeout ? { signal: AbortSignal.timeout(options.timeout) } : {}),
    });
    const type = String(res.headers?.get?.("Content-Type") ?? "").split(";")[0].trim().toLowerCase();
    const body = new Uint8Array(await res.arrayBuffer());
    if (type !== "application/pkixcmp" || body.length === 0) throw new Error(`CMP: HTTP ${res.status}, ${type || "no content type"}`);
    let s = "";
    for (let i = 0; i < body.length; i += 0x8000) s += String.fromCharCode(...body.subarray(i, i + 0x8000));
    return globalThis.btoa(s);
  };
}

// --- a little DER, only what the helper needs of a certificate: subject, issuer, validity -------------

/** @param {string} b64 base64, or PEM */
function b64ToBytes(b64) {
  const s = globalThis.atob(String(b64).replace(/-----[^-]+-----|\s/g, ""));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** @typedef {{tag: number, start: number, body: number, end: number}} DerItem One DER item: its tag, where it starts, its contents, its end. */

/**
 * @param {Uint8Array} bytes
 * @param {number} at
 * @returns {DerItem}
 */
function derItem(bytes, at) {
  const tag = bytes[at];
  let len = bytes[at + 1];
  let head = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[at + 2 + i];
    head += n;
  }
  if (at + head + len > bytes.length) throw new Error("DER: truncated");
  return { tag, start: at, body: at + head, end: at + head + len };
}

/**
 * @param {Uint8Array} bytes
 * @param {DerItem} item
 */
function derChildren(bytes, item) {
  const out = [];
  for (let at = item.body; at < item.end; ) {
    const c = derItem(bytes, at);
    out.push(c);
    at = c.end;
  }
  return out;
}

/**
 * @param {Uint8Array} bytes
 * @param {DerItem} item
 */
function derTime(bytes, item) {
  const s = String.fromCharCode(...bytes.subarray(item.body, item.end));
  // UTCTime (0x17) has a two-digit year, GeneralizedTime (0x18) four.
  const m = (item.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/ : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/).exec(s);
  if (!m) throw new Error("DER: time");
  let year = Number(m[1]);
  if (item.tag === 0x17) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)));
}

/**
 * {subject, issuer (hex of the DER names), notBefore, notAfter (Date)} of a base64 DER or PEM certificate.
 * @param {string} certificate
 */
export function certificateFacts(certificate) {
  const bytes = b64ToBytes(certificate);
  const tbs = derChildren(bytes, derChildren(bytes, derItem(bytes, 0))[0]);
  const fields = tbs[0].tag === 0xa0 ? tbs.slice(1) : tbs; // [0] version is optional
  const hex = (/** @type {DerItem} */ it) => Array.from(bytes.subarray(it.start, it.end), (b) => b.toString(16).padStart(2, "0")).join("");
  const [notBefore, notAfter] = derChildren(bytes, fields[3]).map((t) => derTime(bytes, t));
  return { issuer: hex(fields[2]), subject: hex(fields[4]), notBefore, notAfter };
}

/**
 * @param {{subject: string, issuer: string}} a
 * @param {{subject: string, issuer: string}} b
 */
function sameHolder(a, b) {
  return a.subject === b.subject && a.issuer === b.issuer;
}

/**
 * The renewal helper. `ca` gives the CA's four server calls — each resolves with the CA's answer object
 * (`{status: "eligible" | "draft" | "issued" | "scheduled" | "waiting" | "none" | "refused", …}`, a refusal
 * as `{status: "refused", error: {code, message}}`) or throws when there is no usable answer (network,
 * timeout, 5xx). `caEndpoints(base)` builds them over fetch.
 *
 * The page calls `read()` and then whichever action `state.next` offers; it draws `state` (a stable
 * state, with `error` when the last action failed and left the state as it was) and `activity` (what is
 * happening right now, or null). Actions never reject for an expected failure: it arrives as
 * `state.error` (a CardBridgeError from the card side, a RenewalError from the CA side).
 *
 * @param {RenewalOptions} options
 * @returns {Renewal}
 */
export function createRenewal(options) {
  /** @typedef {Extract<CaAnswer, {status: "eligible"}>} Eligible */
  /** @typedef {Extract<CaAnswer, {status: "draft"}>} Draft */
  /** @typedef {Extract<CaAnswer, {status: "issued"}>} Issued */
  /** @typedef {{transactionId: string, waiting?: boolean, pollReq: string, checkAfter?: number, installation: InstallCertificateResult, certConf: string}} CmpAccepted */
  /** @typedef {Token & {token: string}} CardToken The card being renewed: readCard takes only a token that has one. */
  /** @typedef {Partial<Certificate> & {certificate: string, notBefore: string}} Successor */
  /** @typedef {"generateKeyPair" | "createCsr" | "sign" | "installCertificate" | "removeKey" | "createKeyUpdateRequest" | "acceptCmpResponse"} HostOp */
  /**
   * What the journey knows. Each field is set by the step that learns it; an action that reads one
   * without a check is offered only in states after that step (NEXT), which the casts at those reads say.
   * @typedef {object} Known
   * @property {CardToken} [token]
   * @property {Certificate | null} [old] the certificate being renewed
   * @property {Eligible} [eligible] the CA's check answer
   * @property {PendingKey | null} [key]
   * @property {Draft | null} [draft]
   * @property {{document: string, signature: string}} [signed]
   * @property {Issued | {status: "issued", cmp: true, certificate?: string} | null} [answer] the CA's issued answer; in CMP mode what the card got
   * @property {string | null} [availableFrom]
   * @property {Successor | null} [successor]
   * @property {CaRefusal | null} [refusal]
   * @property {InstallCertificateResult} [result]
   * @property {string | null} [kur] CMP: the signed key update request
   * @property {string | null} [kup] CMP: the CA's answer not yet taken by the host
   * @property {string | null} [pollReq] CMP: the host's pollReq, to send after a wait
   */
  const ca = options?.ca;
  // CMP mode: the renewal is a key update request relayed to the CA's CMP endpoint; no other CA calls.
  const cmp = options?.cmp ?? null;
  if (cmp) {
    if (typeof cmp.send !== "function" && typeof cmp.url !== "string") {
      throw new TypeError("createRenewal: cmp.url (the CA's CMP endpoint) or cmp.send must be given");
    }
    if (!cmp.caCertificates || cmp.caCertificates.length === 0) {
      throw new TypeError("createRenewal: cmp.caCertificates must name who signs the CA's CMP answers");
    }
  } else {
    for (const name of /** @type {const} */ (["check", "draft", "submit", "lookup"])) {
      if (typeof ca?.[name] !== "function") throw new TypeError(`createRenewal: ca.${name} must be a function`);
    }
  }
  const cmpSend = cmp ? (cmp.send ?? cmpEndpoint(/** @type {string} */ (cmp.url), { timeout: cmp.timeout })) : null;
  const api = options.client ?? {
    status,
    listTokens,
    listCertificates,
    generateKeyPair,
    createCsr,
    sign,
    installCertificate,
    removeKey,
    createKeyUpdateRequest,
    acceptCmpResponse,
  };
  // lang and the description may be functions: a page that switches language keeps its journey.
  /**
   * @template T
   * @param {T | (() => T)} v
   * @returns {T}
   */
  const value = (v) => (typeof v === "function" ? /** @type {() => T} */ (v)() : v);
  // The host's windows speak "pl" or "en" and refuse any other lang: a page in another language (or one that
  // says "pl-PL") gets the nearest of the two, never a renewal whose every card call fails INVALID_ARGUMENT.
  /** @returns {"pl" | "en"} */
  const lang = () => (/^pl(\b|$)/i.test(String(value(options.lang) ?? "")) ? "pl" : "en");
  const now = options.now ?? Date.now;
  const removeOldKey = options.removeOldKey ?? true;
  const description = () =>
    value(options.applicationDescription) ??
    (lang() === "pl" ? "Wniosek o odnowienie certyfikatu" : "Application for the renewal of the certificate");
  /** @type {{state: Set<(state: RenewalState) => void>, activity: Set<(activity: RenewalActivity | null) => void>}} */
  const listeners = { state: new Set(), activity: new Set() };
  if (options.onState) listeners.state.add(options.onState);
  if (options.onActivity) listeners.activity.add(options.onActivity);

  /** @type {Known} What the journey knows; everything in it came from the card or the CA during this visit. */
  let known = {};
  /** @type {RenewalState} set below, once NEXT exists */
  let state;
  /** @type {RenewalActivity | null} */
  let activity = null;
  let busy = false;

  /**
   * @param {"state" | "activity"} kind
   * @param {RenewalState | RenewalActivity | null} value of that kind
   */
  function emit(kind, value) {
    for (const fn of /** @type {Set<(value: unknown) => void>} */ (listeners[kind])) {
      try {
        fn(value);
      } catch (err) {
        setTimeout(() => {
          throw err;
        });
      }
    }
  }

  /**
   * @param {RenewalActivity["name"] | null} name
   * @param {{call?: string, op?: string}} [extra] what RenewalActivity has for that name
   */
  function setActivity(name, extra = {}) {
    activity = name ? /** @type {RenewalActivity} */ (Object.freeze({ name, since: now(), ...extra })) : null;
    emit("activity", activity);
  }

  /** @type {Record<RenewalStateName, RenewalAction[]>} */
  const NEXT = {
    idle: ["read"],
    noCard: ["read"],
    refused: ["read"],
    eligible: ["renew"],
    keyOnCard: ["renew", "discard"],
    drafted: ["submit", "discard"],
    unknown: ["lookup"],
    issued: ["install"],
    scheduled: ["read"],
    deferred: ["read"],
    finishable: ["finish"],
    done: ["read"],
  };
  // Every field from the start, as the typings say: null until known (a page reading state.token before the
  // first read gets null, not undefined).
  state = snapshot("idle");

  /**
   * @param {RenewalStateName} name
   * @param {RenewalState["error"]} [error]
   * @returns {RenewalState}
   */
  function snapshot(name, error = null) {
    /** @type {RenewalState} */
    const s = {
      name,
      next: name === "refused" && known.key ? ["discard", "read"] : name === "scheduled" && (known.pollReq || known.kup) ? ["lookup"] : NEXT[name],
      error,
      token: known.token ?? null,
      certificate: known.old ?? null,
      eligibility: known.eligible ?? null,
      key: known.key ?? null,
      application: known.draft ? { document: /** @type {Draft} */ (known.draft).document, statement: /** @type {Draft} */ (known.draft).statement ?? [] } : null,
      signedApplication: known.signed ?? null,
      issued: /** @type {RenewalState["issued"]} */ (known.answer ?? null),
      availableFrom: known.availableFrom ?? null,
      successor: known.successor ?? null,
      validFrom: known.successor ? new Date(/** @type {Successor} */ (known.successor).notBefore).toISOString() : null,
      refusal: known.refusal ?? null,
      result: known.result ?? null,
    };
    return Object.freeze(s);
  }

  /** @param {RenewalStateName} name */
  function setState(name) {
    state = snapshot(name);
    emit("state", state);
    return state;
  }

  /** @param {any} error what an action threw (a catch's value): shown as state.error */
  function fail(error) {
    // The renewal's own link and language win over what the low-level client attached.
    state = snapshot(state.name, withInstallLink(error, options.install ?? pageDefaults.install, lang(), true));
    emit("state", state);
    return state;
  }

  /**
   * Runs one action if the state offers it (reading the card again is always offered); its expected
   * failures become state.error.
   */
  /**
   * @template {unknown[]} A
   * @param {RenewalAction} name
   * @param {(...args: A) => Promise<RenewalState>} fn
   * @returns {(...args: A) => Promise<RenewalState>}
   */
  function action(name, fn) {
    return async (...args) => {
      if (busy || (name !== "read" && !state.next.includes(name))) {
        const e = new RenewalError("NOT_ALLOWED_NOW", `${name} is not offered in state ${state.name}${busy ? " (busy)" : ""}`);
        return fail(e);
      }
      busy = true;
      try {
        const result = await fn(...args);
        return result;
      } catch (e) {
        setActivity(null);
        return fail(e);
      } finally {
        busy = false;
        if (activity) setActivity(null);
      }
    };
  }

  // --- the CA -----------------------------------------------------------------------------------

  /**
   * @param {keyof CaCalls} call
   * @param {{[k: string]: unknown}} body what that call sends (CaCalls)
   * @returns {Promise<CaAnswer>}
   */
  async function askCa(call, body) {
    setActivity("askingCa", { call });
    let answer;
    try {
      // JSON mode: createRenewal checked ca's four calls; each caller gives its call's body.
      answer = await /** @type {Record<keyof CaCalls, (body: {[k: string]: unknown}) => Promise<CaAnswer>>} */ (ca)[call](body);
    } catch (e) {
      throw new RenewalError("CA_UNAVAILABLE", `the CA gave no answer to ${call}: ${e?.message ?? e}`, { cause: e });
    } finally {
      setActivity(null);
    }
    if (!answer || typeof answer.status !== "string") {
      throw new RenewalError("CA_ANSWER_INVALID", `the CA's answer to ${call} has no status`);
    }
    return answer;
  }

  /** @param {{error?: Partial<CaRefusal>}} answer the CA's refusal (without an error: REFUSED) */
  function refusalOf(answer) {
    return { code: String(answer.error?.code ?? "REFUSED"), message: String(answer.error?.message ?? answer.error?.code ?? "") };
  }

  /**
   * @param {{error?: Partial<CaRefusal>}} answer
   * @param {string} call
   */
  function refused(answer, call) {
    const refusal = refusalOf(answer);
    return new RenewalError("CA_REFUSED", `the CA refused ${call}: ${refusal.code}`, { refusal });
  }

  // --- the card -------------------------------------------------------------------------------------

  /** A host call that may open a CardBridge window: "waitingForYou" until the host reports work of its own. */
  /**
   * @template {HostOp} K
   * @param {K} op
   * @param {Parameters<Client[K]>[0]} params
   * @returns {Promise<OperationResults[K]>}
   */
  async function host(op, params) {
    setActivity("waitingForYou", { op });
    try {
      // Each op with its own params (K relates them; TypeScript cannot follow api[op] by itself); CMP's two are in the client in CMP mode.
      return await /** @type {Record<K, (params: Parameters<Client[K]>[0], options: CallOptions) => Promise<OperationResults[K]>>} */ (/** @type {unknown} */ (api))[op](params, {
        // The host's windows speak the page's language (the browser's when the page sets none).
        ...(value(options.lang) ? { lang: lang() } : {}),
        onProgress: (p) => {
          if (p?.stage === "generatingKey") setActivity("generatingKey", { op });
        },
      });
    } finally {
      setActivity(null);
    }
  }

  /**
   * The card named by `wanted`, or the only usable card present; null when it is not there. Two or more
   * and none named is TOKEN_AMBIGUOUS listing them, never a silent first pick: the person may be renewing
   * the other card's certificate.
   * @param {string | undefined} wanted a token handle, or nothing for "the" card
   */
  async function readCard(wanted) {
    setActivity("connecting");
    await api.status();
    setActivity("readingCard");
    const { tokens } = await api.listTokens();
    const usable = tokens.filter((t) => t.present && t.token);
    if (!wanted && usable.length > 1) {
      throw new CardBridgeError("TOKEN_AMBIGUOUS", `${usable.length} cards are present: read({token}) with the one the person chooses`, {
        tokens: usable,
      });
    }
    const token = wanted ? usable.find((t) => t.token === wanted) : usable[0];
    if (!token) return null;
    const { certificates, pendingKeys } = await api.listCertificates({ token: /** @type {string} */ (token.token) });
    setActivity(null);
    return { token, certificates, pendingKeys };
  }

  /** @param {{certificate: string}} c */
  function facts(c) {
    try {
      return certificateFacts(c.certificate);
    } catch {
      return null;
    }
  }

  /** The old certificate and its successor on the card (same holder, valid from later), if any. */
  /** @param {Certificate[]} users */
  function successorPair(users) {
    // The filter leaves only certificates whose facts could be read.
    const withFacts = /** @type {{c: Certificate, f: ReturnType<typeof certificateFacts>}[]} */ (users.map((c) => ({ c, f: facts(c) })).filter((x) => x.f));
    for (const n of withFacts) {
      for (const o of withFacts) {
        if (o !== n && sameHolder(o.f, n.f) && n.f.notBefore > o.f.notBefore && o.f.notAfter <= n.f.notAfter) {
          return { old: o.c, successor: { ...n.c, notBefore: n.f.notBefore.toISOString() } };
        }
      }
    }
    return null;
  }

  /** The user certificate the issued one replaces: same holder, with a private key. */
  /**
   * @param {string} issuedCertificate
   * @param {Certificate[]} users
   */
  function replacedBy(issuedCertificate, users) {
    let f;
    try {
      f = certificateFacts(issuedCertificate);
    } catch {
      return null;
    }
    return users.find((c) => {
      const g = facts(c);
      return g && sameHolder(g, f) && c.certificate !== issuedCertificate;
    }) ?? null;
  }

  const read = action("read", async (/** @type {{token?: string}} */ { token } = {}) => {
    known = {};
    const card = await readCard(token);
    if (!card) return setState("noCard");
    known.token = /** @type {CardToken} */ (card.token);
    const users = card.certificates.filter((c) => c.hasPrivateKey && !c.isCa);

    // The old certificate and its successor beside it: finish once the successor is valid.
    const pair = successorPair(users);
    if (pair) {
      known.old = pair.old;
      known.successor = pair.successor;
      return setState(Date.parse(pair.successor.notBefore) <= now() ? "finishable" : "deferred");
    }

    if (cmp) return readCmp(card, users);

    // A key waiting for its certificate: the CA says whether it issued one (the second visit).
    let reusable = null;
    for (const k of card.pendingKeys) {
      if (!k.publicKey) continue;
      const answer = await askCa("lookup", { publicKey: k.publicKey });
      if (answer.status === "issued") {
        known.key = k;
        known.answer = answer;
        known.old = replacedBy(answer.certificate, users);
        return setState("issued");
      }
      if (answer.status === "waiting") {
        known.key = k;
        known.availableFrom = answer.availableFrom ?? null;
        return setState("scheduled");
      }
      reusable ??= k;
    }

    // Which certificate is this CA's, and may it be renewed online? Decided before the card is touched.
    /** @type {{code: string, message: string} | null} */
    let refusal = null;
    for (const c of users.filter((x) => Date.parse(x.notAfter) > now())) {
      const answer = await askCa("check", { certificate: c.certificate });
      if (answer.status === "refused") {
        if (answer.error?.code !== "CERTIFICATE_NOT_OURS") refusal ??= refusalOf(answer);
        continue;
      }
      known.old = c;
      known.eligible = /** @type {Eligible} */ (answer); // not refused: the CA's eligible answer
      if (reusable) known.key = reusable;
      return setState(reusable ? "keyOnCard" : "eligible");
    }
    if (!refusal && users.length > 0) {
      // Only expired certificates: the CA explains (it may refuse them with its own words).
      for (const c of users) {
        const answer = await askCa("check", { certificate: c.certificate });
        if (answer.status === "refused" && answer.error?.code !== "CERTIFICATE_NOT_OURS") {
          refusal = refusalOf(answer);
          break;
        }
      }
    }
    known.refusal = refusal ?? { code: "NO_RENEWABLE_CERTIFICATE", message: "" };
    return setState("refused");
  });

  function algorithmFor() {
    const offered = /** @type {CardToken} */ (known.token).algorithms ?? [];
    const wanted = options.keyAlgorithm ?? known.eligible?.keyAlgorithm;
    if (wanted && offered.includes(wanted)) return wanted;
    return offered.find((a) => a.startsWith("RSA")) ?? offered[0] ?? "RSA-2048";
  }

  /**
   * Code, validity and whatever else the CA's form asks: passed to the CA's check and draft as they are.
   * Reuses a key already waiting on the card (no second key for one renewal).
   */
  const renew = action("renew", async (/** @type {Record<string, unknown>} */ details = {}) => {
    const checked = await askCa("check", { certificate: /** @type {Certificate} */ (known.old).certificate, ...details });
    if (checked.status === "refused") throw refused(checked, "check");
    if (!known.key) {
      // The card keeps the label and the host's window shows it: in the page's language.
      const label = options.keyLabel ?? `${lang() === "pl" ? "Odnowienie" : "Renewal"} ${new Date(now()).toISOString().slice(0, 10)}`;
      const k = await host("generateKeyPair", { token: /** @type {CardToken} */ (known.token).token, algorithm: algorithmFor(), label, renews: /** @type {Certificate} */ (known.old).handle });
      known.key = { handle: k.handle ?? k.key, keyId: k.keyId, label: k.label, algorithm: k.algorithm, publicKey: k.publicKey };
      setState("keyOnCard");
    }
    const csr = await host("createCsr", { key: /** @type {PendingKey} */ (known.key).handle, subject: /** @type {Eligible} */ (known.eligible).subject ?? /** @type {Certificate} */ (known.old).subject });
    const draft = await askCa("draft", { certificate: /** @type {Certificate} */ (known.old).certificate, ...details, csr: csr.der });
    if (draft.status === "refused") throw refused(draft, "draft");
    known.draft = /** @type {Draft} */ (draft); // not refused: the CA's draft
    return setState("drafted");
  });

  /** Signs the application with the OLD certificate and sends it; then installs what the CA issued. */
  const submit = action("submit", async () => {
    // One document (data), so one signature (SingleSignResult).
    const { signature } = /** @type {SingleSignResult} */ (await host("sign", {
      certificate: /** @type {Certificate} */ (known.old).handle,
      data: /** @type {Draft} */ (known.draft).document,
      format: "cms",
      detached: true,
      description: description(),
    }));
    known.signed = { document: /** @type {Draft} */ (known.draft).document, signature };
    let answer;
    try {
      answer = await askCa("submit", { document: /** @type {Draft} */ (known.draft).document, signature });
    } catch (e) {
      // The CA may or may not have it: never send it again; lookup settles it.
      known.draft = null;
      setState("unknown");
      throw new RenewalError("CA_OUTCOME_UNKNOWN", "the CA did not confirm the application; lookup will tell", { cause: e });
    }
    known.draft = null;
    if (answer.status === "refused") {
      // A refused repeated submission may hide an earlier acceptance whose answer was lost.
      const again = await askCa("lookup", { publicKey: /** @type {PendingKey} */ (known.key).publicKey }).catch(() => null);
      if (again?.status === "issued" || again?.status === "waiting") answer = again;
      else {
        known.refusal = refusalOf(answer);
        setState("refused");
        throw refused(answer, "submit");
      }
    }
    return settle(answer);
  });

  /** The CA's answer about the key on the card, as a state; an issued certificate is installed at once. */
  /** @param {CaAnswer} answer */
  async function settle(answer) {
    if (answer.status === "issued") {
      known.answer = answer;
      setState("issued");
      return installNow();
    }
    if (answer.status === "scheduled" || answer.status === "waiting") {
      known.availableFrom = answer.availableFrom ?? null;
      return setState("scheduled");
    }
    if (answer.status === "none") return setState(known.old && known.eligible ? "keyOnCard" : "refused");
    throw new RenewalError("CA_ANSWER_INVALID", `unexpected CA status '${answer.status}'`);
  }

  const lookup = action("lookup", async () =>
    cmp ? (known.pollReq || known.kup ? pollCmp() : sendKur()) : settle(await askCa("lookup", { publicKey: /** @type {PendingKey} */ (known.key).publicKey })),
  );

  async function installNow() {
    const answer = /** @type {Issued} */ (known.answer); // install is offered after the CA's issued answer
    /** @type {Date | null} */
    let notBefore = null;
    try {
      notBefore = certificateFacts(answer.certificate).notBefore;
    } catch {
      // the host says what is wrong with it
    }
    const notYetValid = notBefore != null && notBefore.getTime() > now();
    const params = {
      certificates: [answer.certificate, ...(answer.chain ?? [])],
      ...(known.old ? { replaces: /** @type {Certificate} */ (known.old).handle, removeOldKey } : {}),
      ...(notYetValid ? { allowNotYetValid: true } : {}),
    };
    let result;
    try {
      result = await host("installCertificate", params);
    } catch (e) {
      // This computer's clock is behind the CA's: the host refuses before any window; store it beside.
      if (!(e instanceof CardBridgeError && e.code === "CERTIFICATE_NOT_YET_VALID") || notYetValid) throw e;
      result = await host("installCertificate", { ...params, allowNotYetValid: true });
      notBefore = notBefore ?? new Date(e.details?.notBefore ?? now());
    }
    known.result = result;
    if (known.old && !result.replaced) {
      known.successor = { handle: result.certificate, certificate: answer.certificate, notBefore: new Date(notBefore ?? now()).toISOString() };
      return setState("deferred");
    }
    known.key = null;
    return setState("done");
  }

  // --- CMP mode (docs/integration.md, section 6): kur → kup → certConf → pkiConf -------------------------

  /** Subjects (DER hex) of the CA certificates the page named: the old certificate must be issued by one. */
  function cmpIssuers() {
    const out = new Set();
    for (const c of [/** @type {CmpOptions} */ (cmp).caCertificates, /** @type {CmpOptions} */ (cmp).chain ?? []].flat()) {
      try {
        out.add(certificateFacts(c).subject);
      } catch {
        // not one certificate: it cannot name an issuer
      }
    }
    return out;
  }

  /** CMP mode has no CA lookup: a pending key is reused by the next request; eligibility is read from the card. */
  /**
   * @param {{token: Token, certificates: Certificate[], pendingKeys: PendingKey[]}} card
   * @param {Certificate[]} users
   */
  function readCmp(card, users) {
    const issuers = cmpIssuers();
    const ours = users.filter((c) => issuers.size === 0 || issuers.has(facts(c)?.issuer));
    const valid = ours.find((c) => Date.parse(c.notAfter) > now());
    if (!valid) {
      known.refusal = ours.length > 0 ? { code: "CERTIFICATE_EXPIRED", message: "" } : { code: "NO_RENEWABLE_CERTIFICATE", message: "" };
      return setState("refused");
    }
    known.old = valid;
    known.eligible = { status: "eligible", subject: valid.subject, notAfter: valid.notAfter };
    const pending = card.pendingKeys.find((k) => k.publicKey);
    if (pending) known.key = pending;
    return setState(pending ? "keyOnCard" : "eligible");
  }

  /** Relays one message to the CA's CMP endpoint. */
  /** @param {string | null | undefined} message set in the states that send it */
  async function askCmp(message) {
    setActivity("askingCa", { call: "cmp" });
    try {
      return await /** @type {(message: string) => Promise<string>} */ (cmpSend)(/** @type {string} */ (message));
    } catch (e) {
      throw new RenewalError("CA_UNAVAILABLE", `the CA's CMP endpoint gave no answer: ${e?.message ?? e}`, { cause: e });
    } finally {
      setActivity(null);
    }
  }

  /** The key (made, or the pending one reused) and the key update request, signed with the old key; then sent. */
  const renewCmp = action("renew", async () => {
    if (!known.key) {
      const label = options.keyLabel ?? `Renewal ${new Date(now()).toISOString().slice(0, 10)}`;
      const k = await host("generateKeyPair", { token: /** @type {CardToken} */ (known.token).token, algorithm: algorithmFor(), label });
      known.key = { handle: k.handle ?? k.key, keyId: k.keyId, label: k.label, algorithm: k.algorithm, publicKey: k.publicKey };
      setState("keyOnCard");
    }
    const kur = await host("createKeyUpdateRequest", {
      key: /** @type {PendingKey} */ (known.key).handle,
      certificate: /** @type {Certificate} */ (known.old).handle,
      ...(/** @type {CmpOptions} */ (cmp).chain ? { chain: /** @type {CmpOptions} */ (cmp).chain } : {}),
    });
    known.kur = kur.message;
    return sendKur();
  });

  /** Sends the signed kur (again, after no answer: the same message, never a second signature). */
  async function sendKur() {
    let kup;
    try {
      kup = await askCmp(known.kur);
    } catch (e) {
      setState("unknown");
      throw new RenewalError("CA_OUTCOME_UNKNOWN", "the CA's CMP endpoint did not answer the request; send it again", { cause: e });
    }
    known.answer = { status: "issued", cmp: true };
    known.kup = kup;
    return installCmp();
  }

  /**
   * The CA asked to wait (RFC 9483 delayed delivery): `lookup` sends the host's pollReq (or hands the host an
   * answer it has not taken yet); the CA's answer is another wait, or the certificate.
   */
  async function pollCmp() {
    if (!known.kup) {
      try {
        known.kup = await askCmp(known.pollReq);
      } catch (e) {
        throw new RenewalError("CA_UNAVAILABLE", `the CA's CMP endpoint gave no answer: ${e?.message ?? e}`, { cause: e });
      }
      known.pollReq = null;
    }
    return installCmp(true);
  }

  /** The host checks and installs the kup (one window), makes the certConf; the CA's pkiConf closes it. */
  async function installCmp(polling = false) {
    const caCertificates = /** @type {CmpOptions} */ (cmp).caCertificates;
    let accepted;
    try {
      // A wait (Waiting) or the installation (CmpInstalled): read as one record whose fields each case has.
      accepted = /** @type {CmpAccepted} */ (await host("acceptCmpResponse", { message: /** @type {string} */ (known.kup), caCertificates, removeOldKey }));
      if (accepted.waiting) {
        // Nothing on the card changed; the host's pollReq asks again (after the person confirms it).
        known.kup = null;
        known.answer = null;
        known.pollReq = accepted.pollReq;
        known.availableFrom = accepted.checkAfter != null ? new Date(now() + accepted.checkAfter * 1000).toISOString() : null;
        return setState("scheduled");
      }
    } catch (e) {
      const code = e?.code;
      if (code === "CMP_REJECTED") {
        // The CA said no: nothing was written; the new key is offered for removal.
        known.kup = null;
        known.answer = null;
        known.refusal = { code: "CMP_REJECTED", message: String(e.details?.statusText ?? "") };
        setState("refused");
        throw new RenewalError("CA_REFUSED", `the CA refused the key update request: ${e.message}`, { refusal: known.refusal, cause: e });
      }
      if (["CMP_MESSAGE_INVALID", "CMP_PROTECTION_INVALID", "CMP_TRANSACTION_MISMATCH", "CMP_WAITING"].includes(code)) {
        // No usable certificate in the answer: nothing was written; the key stays for a new request.
        known.kup = null;
        known.answer = null;
        setState("keyOnCard");
      } else {
        // A window cancelled, a wrong PIN, the card pulled, the CA's certificate refused: the same answer again
        // (while polling the answer may be another wait: "check again", not "install").
        setState(polling ? "scheduled" : "issued");
      }
      throw e;
    }
    known.result = accepted.installation;
    try {
      // The certificate itself (its dates for the page), as the card now holds it; no window.
      const { certificates } = await api.listCertificates({ token: /** @type {CardToken} */ (known.token).token });
      const written = certificates.find((c) => c.handle === accepted.installation.certificate);
      if (written) known.answer = { status: "issued", cmp: true, certificate: written.certificate };
    } catch {
      // only the page's text misses the dates
    }
    setState("issued");
    let conf;
    try {
      conf = await askCmp(accepted.certConf);
    } catch (e) {
      // The certificate is on the card; the CA still waits for the confirmation: "install" sends it again.
      throw new RenewalError("CA_UNAVAILABLE", `the CA did not take the certificate confirmation: ${e?.message ?? e}`, { cause: e });
    }
    known.kur = null;
    known.kup = null;
    known.key = null;
    known.pollReq = null;
    known.availableFrom = null;
    try {
      await /** @type {Client["acceptCmpResponse"]} */ (api.acceptCmpResponse)({ message: conf, caCertificates });
    } catch (e) {
      // The card is done whatever the CA says now; a refused confirmation is the CA's to explain (state.error).
      setState("done");
      throw e;
    }
    return setState("done");
  }

  const install = action("install", async () => (cmp ? installCmp() : installNow()));

  /** Completes a deferred renewal once the successor is valid: the old certificate goes, the new one stays. */
  const finish = action("finish", async () => {
    const result = await host("installCertificate", {
      certificates: [/** @type {Successor} */ (known.successor).certificate],
      replaces: /** @type {Certificate} */ (known.old).handle,
      removeOldKey,
    });
    known.result = result;
    if (!result.replaced) throw new RenewalError("NOT_ALLOWED_NOW", "the host did not replace the old certificate");
    return setState("done");
  });

  /** Abandons a renewal that the CA has not accepted: removes its key from the card (the host confirms). */
  const discard = action("discard", async () => {
    await host("removeKey", { key: /** @type {PendingKey} */ (known.key).handle });
    known.key = null;
    known.draft = null;
    return setState(known.eligible ? "eligible" : "refused");
  });

  return {
    get state() {
      return state;
    },
    get activity() {
      return activity;
    },
    /**
     * @param {"state" | "activity"} kind
     * @param {(value: never) => void} fn
     */
    on(kind, fn) {
      if (!listeners[kind]) throw new TypeError(`unknown renewal event '${kind}' (state, activity)`);
      /** @type {Set<(value: never) => void>} */ (listeners[kind]).add(fn);
    },
    /**
     * @param {"state" | "activity"} kind
     * @param {(value: never) => void} fn
     */
    off(kind, fn) {
      /** @type {Set<(value: never) => void> | undefined} */ (listeners[kind])?.delete(fn);
    },
    read,
    renew: cmp ? renewCmp : renew,
    submit,
    lookup,
    install,
    finish,
    discard,
  };
}
