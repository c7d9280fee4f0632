// The background's routing logic, kept free of globals so node tests inject the browser API.
//
// - Every frame that uses CardBridge holds one runtime port to us (content.js, or an extension page).
// - Requests of a tab go to one native session per (tab, origin): one long-lived host process, so a PIN
//   login lasts across the steps of a renewal; a frame of another origin inside the tab gets its own
//   session and cannot ride on that login.
// - The origin is taken from the browser's sender data, never from the page's message.
// - A session closes when its tab closes, when its host exits, when a top frame of another origin in the
//   tab uses CardBridge while no frame of the session's origin remains, or `graceMs` after its last
//   frame left. Within that grace only a top frame of its origin resumes it (a reload or the next page
//   of the site keeps the login); a sub-frame arriving then gets a new session, and the old one closes.
//   Navigations themselves are not seen (no tabs or webNavigation permission): only ports coming and going.
// - The page's request ids never reach the host: the session numbers requests itself, so a page can
//   neither collide with nor cancel another frame's requests.

import { NativeSession } from "./native.js";

/** @typedef {import("../types/browser.js").Port} Port */
/** @typedef {import("../types/browser.js").MessageSender} MessageSender */
/** @typedef {import("./native.js").Answer} Answer */

/**
 * What the host's watch reported present: reader -> its `readerAdded` data, reader -> its `tokenInserted`
 * data (CardBridgeEvents in api/cardbridge.d.ts, as the host sent them).
 * @typedef {{readers: Map<string, object>, tokens: Map<string, object>}} Present
 */

/**
 * One frame that uses CardBridge (a page's frame through content.js, or an extension page): one port.
 * @typedef {object} Frame
 * @property {Port} port
 * @property {string} origin from the browser's sender data, never the page's message
 * @property {number | null} tabId null for the extension's own pages
 * @property {number} frameId 0 for a tab's top frame
 * @property {Map<string, string>} requests the page's id -> the id the host sees, for each open cancellable request
 * @property {boolean} subscribed
 * @property {Session} [session] the session it uses now (a fresh one after its host went away)
 */

/**
 * One host session of a (tab, origin), or of one extension page.
 * @typedef {object} Session
 * @property {string} key `${tabId}|${origin}`, or `ext:…` for an extension page
 * @property {number | null} tabId
 * @property {string} origin
 * @property {NativeSession} native the host process
 * @property {Set<Frame>} frames its frames now
 * @property {Set<Frame>} subscribers the frames subscribed to reader events
 * @property {boolean} watching the host was asked to watch (subscribe) and not asked to stop
 * @property {{waiters: {frame: Frame, id: string}[]} | null} starting while the first subscribe is in flight
 * @property {Present} present
 * @property {boolean} closed
 * @property {any} [closeTimer] the timers' handle (browser.d.ts Timers) while the grace after the last frame runs
 */

/** Origin the host gives the extension's own pages (READ only). */
export const EXTENSION_ORIGIN = "cardbridge:extension";

/** Ops the router handles itself or translates before they reach the host. */
const LOCAL_OPS = new Set(["cancel", "subscribe", "unsubscribe"]);

/**
 * Ops that may change what is on a card (a key made or removed, a certificate written, the PIN changed or
 * unblocked, which changes its pinState). Their answer,
 * success or error (a failure may come after a partial write), tells the card watch to read the card
 * again through a new host process: OpenSC binds a card's objects once per process, so the watch's own
 * host would go on showing the card as it was before the page wrote it.
 */
export const CARD_WRITING_OPS = new Set([
  "generateKeyPair",
  "installCertificate",
  "removeKey",
  "changePin",
  "unblockPin",
  "createKeyUpdateRequest",
  "acceptCmpResponse",
]);

/**
 * The origin to stamp for a port's sender, or null when the sender is not one we serve.
 * @param {MessageSender | undefined} sender
 * @param {Pick<import("../types/browser.js").Runtime, "id" | "getURL">} runtime
 * @returns {string | null}
 */
export function originOf(sender, runtime) {
  // sender.url is used only where the browser reports no sender.origin at all (older Firefox).
  if (!sender || sender.id !== runtime.id) return null;
  const base = runtime.getURL("");
  if (typeof sender.url === "string" && sender.url.startsWith(base)) return EXTENSION_ORIGIN;
  // An opaque origin ("null": a sandboxed frame, a data: URL) is no origin at all. Its URL may still
  // name the CA's site, but the content is not the site's to speak for: refuse it, never fall back.
  if (typeof sender.origin === "string") return sender.origin === "null" ? null : sender.origin;
  try {
    const o = new URL(/** @type {string} not a string throws: caught below */ (sender.url)).origin;
    return o === "null" ? null : o;
  } catch {
    return null;
  }
}

/**
 * The contexts the host accepts pages from; anything else is refused here already.
 * @param {string} origin
 */
export function isAllowedOrigin(origin) {
  if (origin === EXTENSION_ORIGIN) return true;
  let url;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && (url.hostname === "localhost" || url.hostname === "127.0.0.1");
}

/**
 * The language of the host's windows: the one the extension's own texts are shown in (its `lang`
 * message), else the browser's UI language; "pl" or "en".
 * @param {import("../types/browser.js").I18n | undefined} i18n
 * @returns {"pl" | "en"}
 */
export function langOf(i18n) {
  const own = i18n?.getMessage?.("lang");
  if (own === "pl" || own === "en") return own;
  const ui = i18n?.getUILanguage?.() ?? "en";
  return ui.toLowerCase().startsWith("pl") ? "pl" : "en";
}

/**
 * What the host's watch has reported as present, kept from the events relayed: a frame that joins a
 * running watch is told the same, since the host reports what is present only when its watch starts.
 */
/** @returns {Present} */
function emptyPresent() {
  return { readers: new Map(), tokens: new Map() };
}

/**
 * @param {Present} present
 * @param {string} event
 * @param {any} data the event's data as the host sent it: checked here
 */
function notePresent(present, event, data) {
  const reader = data?.reader;
  if (typeof reader !== "string") return;
  if (event === "readerAdded") present.readers.set(reader, data);
  else if (event === "tokenInserted") present.tokens.set(reader, data);
  else if (event === "tokenRemoved") present.tokens.delete(reader);
  else if (event === "readerRemoved") {
    present.readers.delete(reader);
    present.tokens.delete(reader);
  }
}

/**
 * The present state as the host reports it: each reader, then its card; then tokens outside any reader.
 * @param {Present} present
 */
function presentEvents(present) {
  /** @type {{event: string, data: object | undefined}[]} */
  const out = [];
  for (const [reader, data] of present.readers) {
    out.push({ event: "readerAdded", data });
    if (present.tokens.has(reader)) out.push({ event: "tokenInserted", data: present.tokens.get(reader) });
  }
  for (const [reader, data] of present.tokens) {
    if (!present.readers.has(reader)) out.push({ event: "tokenInserted", data });
  }
  return out;
}

/**
 * @param {string} id the page's
 * @param {string} code
 * @param {string} message
 * @param {Record<string, unknown>} [details]
 */
function errorResponse(id, code, message, details = {}) {
  return { type: "response", id, error: { code, message, details } };
}

export class Router {
  /**
   * @param {object} deps
   * @param {import("../types/browser.js").Runtime} deps.runtime  runtime API: id, getURL, onConnect, connectNative, lastError
   * @param {import("../types/browser.js").Tabs} [deps.tabs]   tabs API (onRemoved); optional in tests
   * @param {import("../types/browser.js").I18n} [deps.i18n]   for the dialog language
   * @param {number} [deps.graceMs] how long a session outlives its last frame
   * @param {import("../types/browser.js").Timers} [deps.timers] {setTimeout, clearTimeout}
   * @param {(origin: string, handlers: import("./native.js").SessionHandlers) => NativeSession} [deps.openSession]
   * @param {(op: string) => void} [deps.onCardWritten] told when an op of CARD_WRITING_OPS was answered
   * @param {(token: string, pin: "locked" | "ok" | "unknown", op: string) => void} [deps.onPinAnswer] told of every
   *   answer to a request naming a token: "locked" when it was PIN_LOCKED, "ok" when it succeeded
   */
  constructor({ runtime, tabs, i18n, graceMs = 10000, timers = globalThis, openSession, onCardWritten, onPinAnswer }) {
    this.onCardWritten = onCardWritten;
    this.onPinAnswer = onPinAnswer;
    this.runtime = runtime;
    this.tabs = tabs;
    this.lang = langOf(i18n);
    this.graceMs = graceMs;
    this.timers = timers;
    this.openSession =
      openSession ??
      ((origin, handlers) => new NativeSession({ runtime, origin, lang: this.lang, ...handlers }));
    /** @type {Map<string, Session>} key -> the session */
    this.sessions = new Map();
    /** port names this router serves; other ports (e.g. the popup's watch port) are someone else's */
    this.portNames = new Set(["cardbridge-page"]);
  }

  start() {
    this.runtime.onConnect.addListener((port) => {
      if (this.portNames.has(port.name)) this.accept(port);
    });
    this.tabs?.onRemoved?.addListener((tabId) => this.closeTab(tabId));
  }

  /** @param {Port} port */
  accept(port) {
    const sender = port.sender ?? {};
    const origin = originOf(sender, this.runtime);
    if (!origin) {
      port.disconnect();
      return;
    }
    const tabId = origin === EXTENSION_ORIGIN ? null : (sender.tab?.id ?? null);
    /** @type {Frame} */
    const frame = { port, origin, tabId, frameId: sender.frameId ?? 0, requests: new Map(), subscribed: false };
    if (tabId != null && frame.frameId === 0) this.closeOthersOfTab(tabId, origin);
    const session = this.sessionFor(frame);
    session.frames.add(frame);
    port.onMessage.addListener((msg) => this.handle(frame, session, msg));
    port.onDisconnect.addListener(() => this.detach(frame, session));
  }

  /**
   * @param {Frame} frame
   * @returns {Session}
   */
  sessionFor(frame) {
    // The extension's own pages get a session each: it closes with the page.
    const key = frame.tabId == null ? `ext:${Math.random()}` : `${frame.tabId}|${frame.origin}`;
    let s = this.sessions.get(key);
    if (s && !s.closed) {
      // With no frame of its origin left, only a top frame (a reload, the next page of the site) resumes
      // the session. A sub-frame then may sit in another site's page that the tab moved to (we are not
      // told of navigations), and must not pick up the user's login: it gets a new session.
      if (s.frames.size > 0 || frame.frameId === 0) {
        this.timers.clearTimeout(s.closeTimer);
        s.closeTimer = null;
        return s;
      }
      this.close(s);
    }
    // native is set just below: the session's handlers need the session.
    s = /** @type {Session} */ ({
      key,
      tabId: frame.tabId,
      origin: frame.origin,
      frames: new Set(),
      subscribers: new Set(),
      watching: false,
      starting: null,
      present: emptyPresent(),
      closed: false,
    });
    s.native = this.openSession(frame.origin, {
      onEvent: (event, data) => {
        notePresent(s.present, event, data);
        for (const f of s.subscribers) this.post(f, { type: "event", event, data });
      },
      onClose: (reason) => {
        // The host went away: the next request starts a new one (and a new login). Its watch went with
        // it, so subscribed frames are told; the page library subscribes again.
        if (this.sessions.get(key) === s) this.sessions.delete(key);
        s.closed = true;
        for (const f of s.subscribers) this.post(f, { type: "watchEnded", reason });
        s.subscribers.clear();
        for (const f of s.frames) f.subscribed = false;
      },
    });
    this.sessions.set(key, s);
    return s;
  }

  /**
   * @param {Frame} frame
   * @param {object} msg
   */
  post(frame, msg) {
    try {
      frame.port.postMessage(msg);
    } catch {
      // The frame is gone; its disconnect handler cleans up.
    }
  }

  /**
   * @param {Frame} frame
   * @param {Session} session
   * @param {any} msg the frame's message as it came (a page may post anything): checked here
   */
  handle(frame, session, msg) {
    if (!msg || msg.type !== "request" || typeof msg.id !== "string" || typeof msg.op !== "string") return;
    const { id, op } = msg;
    const params = msg.params ?? {};
    if (typeof params !== "object" || Array.isArray(params)) {
      this.post(frame, errorResponse(id, "INVALID_ARGUMENT", "params must be an object", { field: "params" }));
      return;
    }
    // The page may choose the language of this request's host windows; the host checks it again.
    const lang = msg.lang;
    if (lang !== undefined && lang !== "pl" && lang !== "en") {
      this.post(frame, errorResponse(id, "INVALID_ARGUMENT", 'lang must be "pl" or "en"', { field: "lang" }));
      return;
    }
    if (!isAllowedOrigin(frame.origin)) {
      this.post(
        frame,
        errorResponse(id, "CONTEXT_INSECURE", "CardBridge works only on https pages", { origin: frame.origin }),
      );
      return;
    }
    // A frame may come back to a session that closed (host exited): reattach to a fresh one.
    if (session.closed) {
      session.frames.delete(frame);
      session = this.sessionFor(frame);
      session.frames.add(frame);
      frame.session = session;
    }
    frame.session = session;
    if (LOCAL_OPS.has(op)) {
      this.local(frame, session, id, op, params);
      return;
    }
    this.forward(frame, session, id, op, params, { lang });
  }

  /**
   * Sends a frame's request to the host. `after` sees the answer before the frame does. A request not
   * `cancellable` is left out of the frame's open requests: a subscribe other frames wait on is the
   * session's, not the frame's, so the frame leaving must not cancel it (its unsubscribe undoes it).
   * @param {Frame} frame
   * @param {Session} session
   * @param {string} id
   * @param {string} op
   * @param {object} params
   * @param {{after?: (answer: Answer) => void, cancellable?: boolean, lang?: string}} [options]
   */
  forward(frame, session, id, op, params, { after, cancellable = true, lang } = {}) {
    let answered = false;
    const nativeId = session.native.send(op, params, {
      lang,
      onProgress: (progress) => this.post(frame, { type: "progress", id, progress }),
      onResponse: (answer) => {
        answered = true;
        frame.requests.delete(id);
        after?.(answer);
        this.post(frame, { type: "response", id, ...answer });
        if (CARD_WRITING_OPS.has(op)) this.onCardWritten?.(op);
        // A card whose PIN a page just found blocked: the watch's host, a fresh OpenSC process, may not know it
        // yet (OpenSC learns a PIN's state from a try), and the popup should offer "Unblock PIN" at once.
        const token = /** @type {{token?: unknown}} */ (params ?? {}).token;
        if (typeof token === "string") this.onPinAnswer?.(token, answer.error?.code === "PIN_LOCKED" ? "locked" : answer.error ? "unknown" : "ok", op);
      },
    });
    // send answers at once what it never sent (closed session, request past the host's limits).
    if (cancellable && !answered) frame.requests.set(id, nativeId);
  }

  /**
   * @param {Frame} frame
   * @param {Session} session
   * @param {string} id
   * @param {string} op one of LOCAL_OPS
   * @param {any} params the page's params, an object not checked further (the host checks what it gets)
   */
  local(frame, session, id, op, params) {
    switch (op) {
      case "cancel": {
        const target = frame.requests.get(params.id);
        if (!target) {
          this.post(frame, { type: "response", id, result: { cancelled: false } });
          return;
        }
        this.forward(frame, session, id, "cancel", { id: target });
        return;
      }
      case "subscribe": {
        this.subscribe(frame, session, id, params);
        return;
      }
      case "unsubscribe": {
        this.unsubscribe(frame, session, id);
        return;
      }
      default:
        return;
    }
  }

  /**
   * One host watch per session, shared by its subscribed frames. `watching` is true from the moment the
   * host is asked; while that first subscribe is in flight (`starting`) later subscribers wait for its
   * answer rather than being told "subscribed" by a watch that may yet fail. A frame joining a watch
   * already asked for is first told what the host reported present so far; later events reach it live.
   * @param {Frame} frame
   * @param {Session} session
   * @param {string} id
   * @param {object} params
   */
  subscribe(frame, session, id, params) {
    const joining = !session.subscribers.has(frame);
    frame.subscribed = true;
    session.subscribers.add(frame);
    if (session.watching && joining) {
      for (const e of presentEvents(session.present)) this.post(frame, { type: "event", ...e });
    }
    if (session.starting) {
      session.starting.waiters.push({ frame, id });
      return;
    }
    if (session.watching) {
      this.post(frame, { type: "response", id, result: { subscribed: true } });
      return;
    }
    // A new watch on the host reports everything present again.
    session.present = emptyPresent();
    /** @type {{waiters: {frame: Frame, id: string}[]}} */
    const start = { waiters: [] };
    session.starting = start;
    session.watching = true;
    const after = (/** @type {Answer} */ answer) => {
      // Everyone may have left meanwhile (an unsubscribe went out after it): the state is no longer ours
      // to change, but every waiter's request still gets its answer.
      if (session.starting === start) {
        session.starting = null;
        if (answer.error) {
          session.watching = false;
          for (const f of [frame, ...start.waiters.map((w) => w.frame)]) {
            session.subscribers.delete(f);
            f.subscribed = false;
          }
        }
      }
      for (const w of start.waiters) this.post(w.frame, { type: "response", id: w.id, ...answer });
    };
    this.forward(frame, session, id, "subscribe", params, { after, cancellable: false });
  }

  /**
   * @param {Frame} frame
   * @param {Session} session
   * @param {string | null} id the page's unsubscribe request; null when the frame left
   */
  unsubscribe(frame, session, id) {
    frame.subscribed = false;
    session.subscribers.delete(frame);
    if (session.subscribers.size === 0 && session.watching && !session.closed) {
      session.watching = false;
      // A subscribe still in flight is undone by this unsubscribe, which the host runs after it.
      session.starting = null;
      if (id) {
        this.forward(frame, session, id, "unsubscribe", {});
      } else {
        session.native.send("unsubscribe", {}, { onResponse: () => {} });
      }
      return;
    }
    if (id) this.post(frame, { type: "response", id, result: { subscribed: false } });
  }

  /**
   * @param {Frame} frame
   * @param {Session} maybeStale the session the frame started with
   */
  detach(frame, maybeStale) {
    const session = frame.session ?? maybeStale;
    session.frames.delete(frame);
    if (frame.subscribed) this.unsubscribe(frame, session, null);
    // The page is gone: nobody will answer a dialog for it, so its open requests are cancelled.
    if (!session.closed) {
      for (const nativeId of frame.requests.values()) {
        session.native.send("cancel", { id: nativeId }, { onResponse: () => {} });
      }
    }
    frame.requests.clear();
    if (session.frames.size === 0 && !session.closed) {
      const grace = session.tabId == null ? 0 : this.graceMs;
      if (grace === 0) {
        this.close(session);
      } else {
        session.closeTimer = this.timers.setTimeout(() => this.close(session), grace);
      }
    }
  }

  /**
   * @param {number} tabId
   * @param {string} origin
   */
  closeOthersOfTab(tabId, origin) {
    for (const s of [...this.sessions.values()]) {
      if (s.tabId === tabId && s.origin !== origin && s.frames.size === 0) this.close(s);
    }
  }

  /** @param {number} tabId */
  closeTab(tabId) {
    for (const s of [...this.sessions.values()]) {
      if (s.tabId === tabId) this.close(s);
    }
  }

  /** @param {Session} session */
  close(session) {
    this.timers.clearTimeout(session.closeTimer);
    if (this.sessions.get(session.key) === session) this.sessions.delete(session.key);
    if (!session.closed) {
      session.closed = true;
      session.native.close();
    }
  }
}
