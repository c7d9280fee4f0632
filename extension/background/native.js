// One connection to the CardBridge host (runtime.connectNative): numbers requests, routes answers,
// progress and events, and turns a failed or lost connection into NATIVE_UNAVAILABLE for everything that
// waits. The browser API is injected so node tests drive it with a fake.

export const HOST_NAME = "org.cardbridge.host";

/**
 * An error as the page receives it: a protocol code (the host's or the extension's own, e.g.
 * NATIVE_UNAVAILABLE), a message, and details whose fields depend on the code (docs/protocol.md).
 * @typedef {{ code: string, message: string, details?: Record<string, any> }} WireError
 */

/**
 * The answer to one request, exactly one of the two: the host's result (its shape is the op's, see
 * OperationResults in api/cardbridge.d.ts) or an error.
 * @typedef {{ result: unknown, error?: undefined } | { error: WireError, result?: undefined }} Answer
 */

/**
 * A request sent to the host and not answered yet: where its progress and its answer go.
 * @typedef {object} PendingRequest
 * @property {(answer: Answer) => void} onResponse exactly once
 * @property {((progress: unknown) => void) | undefined} [onProgress] each progress message, as the host sent it
 */

/**
 * What a session's owner hears besides answers: the host's reader events and the end of the connection.
 * @typedef {object} SessionHandlers
 * @property {(event: string, data: object) => void} [onEvent] `data` as the host sent it (CardBridgeEvents)
 * @property {(reason: string) => void} [onClose] once, when the connection ends for any reason
 */

/**
 * Where a person without the host gets it, as the CA or the administrator configures it in the extension's
 * managed storage (`installUrl`, `installText`; schema in managed_schema.json, set by browser policy).
 * There is no project-wide download page to default to: without a setting `url` is null and the popup
 * says, in plain words, where such a program comes from.
 */
/** @type {{url: string | null, text: string | null}} */
export const installInfo = { url: null, text: null };

/** @type {Promise<unknown> | null} */
let installInfoPending = null;

/**
 * The managed settings are being read (main.js, at start and as each connection opens): a connection lost
 * meanwhile answers once they are in, so its NATIVE_UNAVAILABLE carries the administrator's link.
 * @param {unknown} promise
 */
export function installInfoLoading(promise) {
  const p = Promise.resolve(promise)
    .catch(() => {})
    .finally(() => {
      if (installInfoPending === p) installInfoPending = null;
    });
  installInfoPending = p;
  return p;
}

/**
 * Takes the managed settings: an https URL and a short text; anything else is ignored.
 * @param {any} managed storage.managed as the browser gives it (set by policy): checked here
 */
export function setInstallInfo(managed) {
  /** @type {string | null} */
  let url = null;
  try {
    const u = new URL(String(managed?.installUrl ?? ""));
    if (u.protocol === "https:") url = u.href;
  } catch {
    // not a URL: no link
  }
  const text = typeof managed?.installText === "string" && managed.installText.trim() ? managed.installText.trim().slice(0, 500) : null;
  installInfo.url = url;
  installInfo.text = text;
  return { ...installInfo };
}

// The host's limits on what it reads. A request past them is answered here without being sent: a frame
// over the cap ends the host (MESSAGE_TOO_LARGE, then exit), and JSON nested too deep is refused with
// id null, so the request would never be answered. host/src/test/java/org/cardbridge/protocol/
// ExtensionLimitsTest.java checks these equal the Java constants named below.

/** Largest frame the host reads: org.cardbridge.protocol.FrameReader.DEFAULT_MAX_INCOMING. */
export const HOST_MAX_FRAME_BYTES = 8 * 1024 * 1024;
/** Deepest JSON nesting the host reads, the request object being level 1: org.cardbridge.protocol.Json.MAX_DEPTH. */
export const HOST_MAX_JSON_DEPTH = 64;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * The size in bytes of JSON text as a browser frames it, and its nesting depth as the host's reader counts
 * it. Firefox sends JSON.stringify's text as UTF-8. Chromium writes its own: `<`, U+007F, U+2028 and
 * U+2029 as \uXXXX, and an integral number outside int32 with ".0"; those are counted too, so the size is
 * never less than what either browser sends.
 * @param {string} json
 */
export function measureJson(json) {
  let bytes = 0;
  let depth = 0;
  let maxDepth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c < 0x80) bytes += c === 0x3c || c === 0x7f ? 6 : 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4; // JSON.stringify leaves no lone surrogate: this is a pair
      i++;
      continue;
    } else bytes += c === 0x2028 || c === 0x2029 ? 6 : 3;
    if (inString) {
      if (c === 0x5c) {
        i++; // the escaped character is ASCII
        bytes += 1;
      } else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) maxDepth = Math.max(maxDepth, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      while (end < json.length && /[0-9.eE+-]/.test(json[end])) end++;
      const token = json.slice(i, end);
      const n = Number(token);
      if (!/[.eE]/.test(token) && (n < INT32_MIN || n > INT32_MAX)) bytes += 2;
      bytes += end - i - 1;
      i = end - 1;
    }
  }
  return { bytes, depth: maxDepth };
}

/**
 * Why the host could not take `request`, as the error the host would have sent if it could; else null.
 * @param {object} request
 * @returns {WireError | null}
 */
function refusal(request) {
  let json;
  try {
    json = JSON.stringify(request);
  } catch (e) {
    // A cycle or a BigInt (Firefox passes structured clones), or nesting deep enough to exhaust the stack.
    return {
      code: "INVALID_ARGUMENT",
      message: `params cannot be sent to the host as JSON (${e?.message ?? e})`,
      details: { field: "params" },
    };
  }
  const { bytes, depth } = measureJson(json);
  if (bytes > HOST_MAX_FRAME_BYTES) {
    return {
      code: "MESSAGE_TOO_LARGE",
      message: `the request is ${bytes} bytes, more than the host reads (${HOST_MAX_FRAME_BYTES}); it was not sent`,
      details: { length: bytes, limit: HOST_MAX_FRAME_BYTES },
    };
  }
  if (depth > HOST_MAX_JSON_DEPTH) {
    return {
      code: "INVALID_ARGUMENT",
      message:
        `params nest ${depth - 1} levels deep; the host reads at most ${HOST_MAX_JSON_DEPTH - 1} ` +
        "(the request around them is one more)",
      details: { field: "params" },
    };
  }
  return null;
}

/**
 * The error every waiting request gets when the host cannot be started or goes away.
 * @param {string} reason
 * @param {WireError | null} [hostError] what the host said before it went, if anything
 * @returns {WireError}
 */
export function nativeUnavailable(reason, hostError) {
  const where = installInfo.url ? ` (${installInfo.url})` : "";
  return {
    code: "NATIVE_UNAVAILABLE",
    message:
      `the CardBridge host is not available (${reason}). Install the CardBridge host${where} and reload the page; ` +
      "an administrator checks an installation with `cardbridge-host doctor`",
    details: {
      reason,
      install: installInfo.url,
      ...(installInfo.text ? { installText: installInfo.text } : {}),
      check: "cardbridge-host doctor",
      ...(hostError ? { hostError } : {}),
    },
  };
}

let sessionCounter = 0;

export class NativeSession {
  /**
   * @param {object} deps
   * @param {import("../types/browser.js").Runtime} deps.runtime the browser's runtime API (connectNative, lastError)
   * @param {string} deps.origin stamped on every request: from the browser's sender data, never the page
   * @param {string} deps.lang "pl" or "en", for the host's dialogs
   * @param {(event: string, data: object) => void} [deps.onEvent]
   * @param {(reason: string) => void} [deps.onClose] once, when the connection ends for any reason
   * @param {string} [deps.hostName] the native host's name (tests start another)
   */
  constructor({ runtime, origin, lang, onEvent, onClose, hostName = HOST_NAME }) {
    this.runtime = runtime;
    this.origin = origin;
    this.lang = lang;
    this.onEvent = onEvent ?? (() => {});
    this.onClose = onClose ?? (() => {});
    this.hostName = hostName;
    /** @type {import("../types/browser.js").Port | null} */
    this.port = null;
    this.closed = false;
    this.prefix = `s${++sessionCounter}-`;
    this.next = 0;
    /** @type {Map<string, PendingRequest>} native id -> where its answer goes */
    this.pending = new Map();
    /** @type {WireError | null} */
    this.lastHostError = null;
  }

  /**
   * Sends one request; the answer (`{result}` or `{error}`) goes to onResponse exactly once — at once, before
   * this returns, when the session is closed or the request is past the host's limits.
   * @param {string} op
   * @param {object} params
   * @param {{onResponse: (answer: Answer) => void, onProgress?: (progress: unknown) => void, lang?: string}} handlers
   * @returns {string} the id the host sees (the page's own id never reaches the host)
   */
  send(op, params, { onProgress, onResponse, lang }) {
    const id = this.prefix + ++this.next;
    if (this.closed) {
      onResponse({ error: nativeUnavailable("the connection to the host was closed") });
      return id;
    }
    // The page's choice for this request (checked by the router), else the session's: the browser's.
    const request = { id, op, origin: this.origin, params: params ?? {}, lang: lang ?? this.lang };
    const refused = refusal(request);
    if (refused) {
      onResponse({ error: refused });
      return id;
    }
    this.pending.set(id, { onProgress, onResponse });
    try {
      this.connect().postMessage(request);
    } catch (e) {
      this.lost(String(e?.message ?? e));
    }
    return id;
  }

  connect() {
    if (this.port) return this.port;
    const port = this.runtime.connectNative(this.hostName);
    this.port = port;
    port.onMessage.addListener((msg) => this.receive(msg));
    port.onDisconnect.addListener((p) => {
      // Chrome reports why in runtime.lastError (reading it also keeps Chrome from logging it as
      // unchecked); Firefox in port.error.
      const reason =
        this.runtime.lastError?.message ?? p?.error?.message ?? port.error?.message ?? "the host exited";
      this.lost(reason);
    });
    return port;
  }

  /** @param {any} msg a message from the host, as it came: checked here */
  receive(msg) {
    if (!msg || typeof msg !== "object") return;
    if (typeof msg.event === "string") {
      this.onEvent(msg.event, msg.data ?? {});
      return;
    }
    if (msg.id == null) {
      // An error the host could not tie to a request (e.g. it refused this extension before exiting).
      if (msg.error) this.lastHostError = msg.error;
      return;
    }
    // The host answered normally since: an earlier id-less error says nothing about a later exit.
    this.lastHostError = null;
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.progress) {
      p.onProgress?.(msg.progress);
      return;
    }
    this.pending.delete(msg.id);
    p.onResponse(msg.error ? { error: msg.error } : { result: msg.result });
  }

  /** @param {string} reason */
  lost(reason) {
    if (this.closed) return;
    this.closed = true;
    this.port = null;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    const answer = () => {
      const error = nativeUnavailable(reason, this.lastHostError);
      for (const p of waiting) p.onResponse({ error });
    };
    if (installInfoPending && waiting.length > 0) installInfoPending.then(answer);
    else answer();
    this.onClose(reason);
  }

  /** Ends the connection: the host sees end of input, logs out of every token and exits. */
  close() {
    const port = this.port;
    this.lost("closed by the extension");
    try {
      port?.disconnect();
    } catch {
      // Already gone.
    }
  }
}
