// One connection to the CardBridge host (runtime.connectNative): numbers requests, routes answers,
// progress and events, and turns a failed or lost connection into NATIVE_UNAVAILABLE for everything that
// waits. The browser API is injected so node tests drive it with a fake.

export const HOST_NAME = "org.cardbridge.host";
/** Where a user finds the host installer; shown with NATIVE_UNAVAILABLE and in the popup. */
export const INSTALL_URL = "https://cardbridge.org/install";

/** The error every waiting request gets when the host cannot be started or goes away. */
export function nativeUnavailable(reason, hostError) {
  return {
    code: "NATIVE_UNAVAILABLE",
    message:
      `the CardBridge host is not available (${reason}). Install the CardBridge host (${INSTALL_URL}), ` +
      "then run `cardbridge-host doctor` to check the installation, and reload the page",
    details: {
      reason,
      install: INSTALL_URL,
      check: "cardbridge-host doctor",
      ...(hostError ? { hostError } : {}),
    },
  };
}

let sessionCounter = 0;

export class NativeSession {
  /**
   * @param {object} deps
   * @param {object} deps.runtime the browser's runtime API (connectNative, lastError)
   * @param {string} deps.origin stamped on every request: from the browser's sender data, never the page
   * @param {string} deps.lang "pl" or "en", for the host's dialogs
   * @param {(event: string, data: object) => void} [deps.onEvent]
   * @param {(reason: string) => void} [deps.onClose] once, when the connection ends for any reason
   */
  constructor({ runtime, origin, lang, onEvent, onClose, hostName = HOST_NAME }) {
    this.runtime = runtime;
    this.origin = origin;
    this.lang = lang;
    this.onEvent = onEvent ?? (() => {});
    this.onClose = onClose ?? (() => {});
    this.hostName = hostName;
    this.port = null;
    this.closed = false;
    this.prefix = `s${++sessionCounter}-`;
    this.next = 0;
    /** native id -> {onProgress, onResponse} */
    this.pending = new Map();
    this.lastHostError = null;
  }

  /**
   * Sends one request; the answer (`{result}` or `{error}`) goes to onResponse exactly once.
   * @returns {string} the id the host sees (the page's own id never reaches the host)
   */
  send(op, params, { onProgress, onResponse }) {
    const id = this.prefix + ++this.next;
    if (this.closed) {
      onResponse({ error: nativeUnavailable("the connection to the host was closed") });
      return id;
    }
    this.pending.set(id, { onProgress, onResponse });
    try {
      this.connect().postMessage({ id, op, origin: this.origin, params: params ?? {}, lang: this.lang });
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
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.progress) {
      p.onProgress?.(msg.progress);
      return;
    }
    this.pending.delete(msg.id);
    p.onResponse(msg.error ? { error: msg.error } : { result: msg.result });
  }

  lost(reason) {
    if (this.closed) return;
    this.closed = true;
    this.port = null;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    const error = nativeUnavailable(reason, this.lastHostError);
    for (const p of waiting) p.onResponse({ error });
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
