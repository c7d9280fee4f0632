// The extension's own view of the cards: keeps one host session (origin cardbridge:extension, READ only)
// that subscribes to reader events, lists tokens and certificates, sets the badge (cards present,
// or "!" when a certificate on an inserted card expires soon) and answers the popup.

import { EXTENSION_ORIGIN } from "./router.js";
import { plainNames, formatDate } from "./names.js";
import { installInfo } from "./native.js";

/** @typedef {import("../api/cardbridge.js").Token} Token */
/** @typedef {import("../api/cardbridge.js").Certificate} Certificate */
/** @typedef {import("../api/cardbridge.js").PendingKey} PendingKey */
/** @typedef {import("../api/cardbridge.js").Page} Page */
/** @typedef {import("../api/cardbridge.js").Finding} Finding */
/** @typedef {import("../api/cardbridge.js").OperationResults} OperationResults */
/** @typedef {import("../api/cardbridge.js").ListCertificatesResult} ListCertificatesResult */
/** @typedef {import("./native.js").WireError} WireError */
/** @typedef {import("./native.js").NativeSession} NativeSession */

/** @typedef {{watch: boolean, expiryDays: number}} Settings The popup's settings (storage.local "settings"). */
/** @typedef {{url: string | null, text: string | null}} InstallInfo Where the host is got (native.js installInfo). */
/** @typedef {{reader: string, atr: string | null}} UnknownCard A card the host found no module for. */

/**
 * A certificate as the popup shows it: the host's, with the names a person knows it by and where it stands.
 * @typedef {object} CardCertificateFacts
 * @property {string} name the holder (names.js plainNames)
 * @property {string} issuerName the issuer's organisation
 * @property {number} daysLeft negative once expired
 * @property {boolean} notYetValid
 * @property {boolean} expiring within the settings' expiryDays
 * @property {string | null} renewalUrl the policy's renewal page for its issuer
 * @property {string} [successor] the handle of the certificate that follows it after a renewal
 * @typedef {Certificate & CardCertificateFacts} CardCertificate
 */

/** @typedef {"usable" | "notUsable"} LoginLine What the popup says about logging in to web sites. */

/**
 * A card present in a reader, with its certificates and keys waiting for a certificate.
 * @typedef {object} CardFacts
 * @property {CardCertificate[]} certificates
 * @property {PendingKey[]} pendingKeys
 * @property {boolean | undefined} usableForLogin the host's login check; undefined when it could not tell
 * @property {LoginLine | null} login
 * @typedef {Token & CardFacts} Card
 */

/**
 * What every summary item says: which card and which certificate.
 * @typedef {object} SummaryItem
 * @property {string | null} token
 * @property {string | null} label the card's
 * @property {string} subject
 * @property {string} name
 * @property {string} issuerName
 * @property {string} notAfter
 */
/** @typedef {SummaryItem & {daysLeft: number, renewalUrl: string | null, inProgress: boolean}} ExpiringItem To renew (or continue). */
/** @typedef {SummaryItem & {readyFrom: string, until: string, renewalUrl: string | null}} ScheduledItem Its successor waits for its date. */
/** @typedef {SummaryItem & {since: string, until: string, expired: boolean, renewalUrl: string | null}} FinishItem Its successor is valid: finish on the CA's page. */

/**
 * @typedef {object} Summary
 * @property {string[]} readers
 * @property {Card[]} cards
 * @property {ExpiringItem[]} expiring
 * @property {ScheduledItem[]} scheduled
 * @property {FinishItem[]} finish
 */

/**
 * The watch's state, as the popup receives it. "starting" has only the status; "off" (the person turned the
 * watch off) the settings; "error" the settings, hostError and install; "ok" everything else.
 * @typedef {object} WatchState
 * @property {"starting" | "ok" | "off" | "error"} status
 * @property {Settings} [settings]
 * @property {WireError} [hostError] "error": why the host could not be asked
 * @property {InstallInfo} [install] "error": where the host is got
 * @property {string} [host] "ok": the host's name and version (hello)
 * @property {string} [protocol] "ok"
 * @property {UnknownCard[]} [unknownCards] "ok"
 * @property {Finding[]} [diagnosis] "ok": the host's FAIL and WARN findings when no card is present
 * @property {string[]} [readers] "ok", and the rest of the Summary
 * @property {Card[]} [cards]
 * @property {ExpiringItem[]} [expiring]
 * @property {ScheduledItem[]} [scheduled]
 * @property {FinishItem[]} [finish]
 * @property {boolean} [pinManagement] "ok": the host can change and unblock the PIN (changePin, unblockPin)
 * @property {PinOutcome | null} [pin] the last PIN change or unblock the person started in the popup
 */

/**
 * A PIN change or unblock started in the popup: under way while the host's window waits for the person, then
 * what came of it. It outlives the popup, which closes as soon as the host's window takes the focus.
 * @typedef {object} PinOutcome
 * @property {string} token
 * @property {"change" | "unblock"} action
 * @property {"running" | "done" | "error"} status
 * @property {string} [code] "error": the host's error code
 * @property {string} [message] "error": the host's words, for whoever supports the person
 */

/** @typedef {WatchState & Summary & {status: "ok", host: string, protocol: string, settings: Settings, unknownCards: UnknownCard[], diagnosis: Finding[]}} OkState The state once the host answered. */

/**
 * What stands between the person and their card (problemOf).
 * @typedef {object} Problem
 * @property {string} key the message key of the plain-words text
 * @property {InstallInfo} [install] "hostMissing": where the host is got
 * @property {string} [product] "moduleNotInstalled": what to install for the card (the host's details.product)
 * @property {(string | null)[]} details the technical words, for the "details" disclosure
 */

export const DEFAULT_SETTINGS = Object.freeze({ watch: true, expiryDays: 60 });
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Days from `now` until `notAfter` (ISO-8601), rounded down; negative once expired.
 * @param {string} notAfter
 * @param {number} now
 */
export function daysLeft(notAfter, now) {
  return Math.floor((Date.parse(notAfter) - now) / DAY_MS);
}

/**
 * The renewal page for a certificate, from the policy's entries (`renewalPages` op, see the report:
 * proposed, optional): an entry matches when one of its `issuers` equals the certificate's issuer DN.
 * @param {Pick<Certificate, "issuer">} cert
 * @param {Page[] | null | undefined} pages
 * @returns {string | null}
 */
export function renewalUrlFor(cert, pages) {
  for (const p of pages ?? []) {
    if (p.renewalUrl && (p.issuers ?? []).includes(cert.issuer)) return p.renewalUrl;
  }
  return null;
}

/** @typedef {Pick<Certificate, "keyUsage" | "extendedKeyUsage">} Usage */

/**
 * @param {Usage} a
 * @param {Usage} b
 */
function sameUsage(a, b) {
  const norm = (/** @type {Usage} */ c) => [...(c.keyUsage ?? [])].sort().join(",") + "|" + [...(c.extendedKeyUsage ?? [])].sort().join(",");
  return norm(a) === norm(b);
}

/**
 * The certificate on the same card that follows `cert` after a renewal: same subject and key usage, its
 * key on the card, starting later and ending later. The latest such one, or null.
 * @template {Usage & Pick<Certificate, "subject" | "hasPrivateKey" | "notBefore" | "notAfter">} C
 * @param {C} cert
 * @param {C[]} all
 * @returns {C | null}
 */
export function successorOf(cert, all) {
  /** @type {C | null} */
  let best = null;
  for (const s of all) {
    if (s === cert || s.hasPrivateKey === false || s.subject !== cert.subject || !sameUsage(s, cert)) continue;
    if (!(Date.parse(s.notBefore) > Date.parse(cert.notBefore) && Date.parse(s.notAfter) > Date.parse(cert.notAfter))) continue;
    if (!best || Date.parse(s.notBefore) > Date.parse(best.notBefore)) best = s;
  }
  return best;
}

/**
 * Whether the popup tells the person that this browser can use the card to log in to web sites (issue 16):
 * "usable" or "notUsable" from the host's `usableForLogin` (listCertificates {withLoginCheck: true}, doctor's
 * check for the card's module), only for a card holding a certificate valid now with its key on the card —
 * the one a site would get. Null when the host could not tell (Windows, macOS, an older host, an unreadable
 * NSS database) or there is no such certificate: then the popup says nothing about logging in.
 * @param {{usableForLogin?: boolean, certificates?: Pick<CardCertificate, "hasPrivateKey" | "isCa" | "notYetValid" | "daysLeft">[]}} card
 * @returns {LoginLine | null}
 */
export function loginLineFor(card) {
  if (typeof card.usableForLogin !== "boolean") return null;
  const current = (card.certificates ?? []).some((c) => c.hasPrivateKey !== false && !c.isCa && !c.notYetValid && c.daysLeft >= 0);
  if (!current) return null;
  return card.usableForLogin ? "usable" : "notUsable";
}

/**
 * What the popup shows and the badge says, computed from the host's answers. Pure: node tests call it.
 *
 * Each certificate with its key on the card is in at most one of:
 * - `scheduled`: its successor is on the card but not valid yet ("new certificate ready from <date>") —
 *   never "renew": the renewal is paid for and done, a second one would cost a second code;
 * - `finish`: its successor is valid now: the renewal is finished on the CA's page (the old certificate
 *   and, by the CA's choice, its key removed once the new one is verified on the card);
 * - `expiring`: no successor, expiring within `expiryDays` ("renew", or "continue" when a key on the card
 *   already waits for its certificate: a renewal was started and must not be paid for twice).
 * @param {object} input the host's answers
 * @param {Token[]} input.tokens listTokens
 * @param {Record<string, Certificate[]>} input.certificates listCertificates, by token
 * @param {Record<string, PendingKey[]>} [input.pendingKeys] listCertificates, by token
 * @param {Record<string, boolean | undefined>} [input.usableForLogin] listCertificates, by token
 * @param {Page[] | null} [input.pages] renewalPages
 * @param {number} input.expiryDays the settings'
 * @param {number} input.now
 * @returns {Summary}
 */
export function summarize({ tokens, certificates, pendingKeys = {}, usableForLogin = {}, pages, expiryDays, now }) {
  // A blank card (present, no PKCS#11 token) holds no certificates and cannot be used: not counted.
  const present = tokens.filter((t) => t.present && t.token);
  /** @type {ExpiringItem[]} */
  const expiring = [];
  /** @type {ScheduledItem[]} */
  const scheduled = [];
  /** @type {FinishItem[]} */
  const finish = [];
  const cards = present.map((t) => {
    const token = /** @type {string} present: filtered above */ (t.token);
    const raw = certificates[token] ?? [];
    const pending = pendingKeys[token] ?? [];
    /** @type {CardCertificate[]} */
    const certs = raw.map((c) => {
      const left = daysLeft(c.notAfter, now);
      const { name, issuer } = plainNames(c);
      return {
        ...c,
        name,
        issuerName: issuer,
        daysLeft: left,
        notYetValid: Date.parse(c.notBefore) > now,
        expiring: left <= expiryDays,
        renewalUrl: renewalUrlFor(c, pages),
      };
    });
    for (const c of certs) {
      if (c.hasPrivateKey === false || c.notYetValid) continue;
      const next = successorOf(c, certs);
      const base = { token: t.token, label: t.label, subject: c.subject, name: c.name, issuerName: c.issuerName, notAfter: c.notAfter };
      if (next) {
        c.successor = next.handle;
        const url = next.renewalUrl ?? c.renewalUrl;
        if (next.notYetValid) scheduled.push({ ...base, readyFrom: next.notBefore, until: next.notAfter, renewalUrl: url });
        else finish.push({ ...base, since: next.notBefore, until: next.notAfter, expired: c.daysLeft < 0, renewalUrl: url });
      } else if (c.expiring) {
        expiring.push({ ...base, daysLeft: c.daysLeft, renewalUrl: c.renewalUrl, inProgress: pending.length > 0 });
      }
    }
    const card = { ...t, certificates: certs, pendingKeys: pending, usableForLogin: usableForLogin[token] };
    /** @type {Card} */
    const shown = { ...card, login: loginLineFor(card) };
    return shown;
  });
  const readers = /** @type {string[]} */ ([...new Set(tokens.map((t) => t.readerName).filter(Boolean))]);
  return { readers, cards, expiring, scheduled, finish };
}

/** The longest the watch waits between two readings of the card while the browser runs. */
export const MAX_QUIET_MS = 6 * 3600000;

/**
 * How long until what the popup and badge say changes by the clock alone: a successor becomes valid ("ready
 * from" → "finish"), a certificate enters the warning window or expires. A browser left running for weeks
 * then shows the right step on the day, not when the card is next touched. One second past the moment (the
 * dates are whole seconds); at most MAX_QUIET_MS, so the days-left count and anything missed stay fresh.
 * @param {{certificates: {notBefore: string, notAfter: string}[]}[]} cards
 * @param {number} expiryDays
 * @param {number} now
 */
export function nextChangeIn(cards, expiryDays, now) {
  let next = now + MAX_QUIET_MS;
  for (const c of cards.flatMap((card) => card.certificates ?? [])) {
    const notAfter = Date.parse(c.notAfter);
    for (const at of [Date.parse(c.notBefore), notAfter, notAfter - expiryDays * DAY_MS]) {
      if (at > now && at < next) next = at;
    }
  }
  return next - now + 1000;
}

/**
 * What stands between the person and their card, when something does: the key of the plain-words text
 * the popup shows, and the technical details (the host's or the browser's own words) it keeps behind a
 * "details" disclosure. Null when nothing is missing.
 * @param {WatchState | null | undefined} state
 * @returns {Problem | null}
 */
export function problemOf(state) {
  if (!state) return null;
  if (state.status === "error") {
    const e = state.hostError ?? /** @type {WireError} */ ({});
    if (e.code === "NATIVE_UNAVAILABLE") {
      return { key: "hostMissing", install: state.install ?? { url: null, text: null }, details: [e.details?.reason ?? e.message] };
    }
    if (e.code === "MODULE_NOT_FOUND") {
      const tried = (e.details?.tried ?? []).map((/** @type {{path: string, problem: string}} */ x) => `${x.path}: ${x.problem}`);
      return { key: "noModule", details: [e.message, ...tried] };
    }
    if (e.code === "TOKEN_BUSY") {
      return { key: "tokenBusy", details: [e.message] };
    }
    if (e.code === "MODULE_NOT_INSTALLED") {
      const d = e.details ?? {};
      return { key: "moduleNotInstalled", product: String(d.product ?? ""), details: [e.message, `${d.reader}: ${d.atr}`] };
    }
    return { key: "hostProblem", details: [`${e.code}: ${e.message}`] };
  }
  const finding = (/** @type {string} */ code) => state.diagnosis?.find((f) => f.code === code);
  for (const [code, key] of [["doctor.pcscDown", "pcscDown"], ["doctor.noReader", "noReader"]]) {
    const f = finding(code);
    if (f) return { key, details: [f.message, f.fix].filter(Boolean) };
  }
  return null;
}

/**
 * Badge text and colour, and the key and arguments of the action's title (tooltip). The badge says "!"
 * only when the person has something to do (renew, or finish a renewal); a successor waiting for its
 * date is not a warning.
 * @param {WatchState | null | undefined} state
 * @returns {{text: string, color: string, title: string[] | null}} title: a message key, then its argument if any
 */
export function badgeFor(state) {
  if (!state || state.hostError) return { text: "", color: "#666666", title: state?.hostError ? ["badgeTitleProblem"] : null };
  if (state.finish?.length) return { text: "!", color: "#e65100", title: ["badgeTitleFinish"] };
  if (state.expiring?.length) return { text: "!", color: "#c62828", title: ["badgeTitleExpiring"] };
  const count = state.cards?.length ? String(state.cards.length) : "";
  if (state.scheduled?.length) {
    return { text: count, color: "#1565c0", title: ["badgeTitleScheduled", state.scheduled[0].readyFrom] };
  }
  return { text: count, color: "#2e7d32", title: null };
}

export class CardWatch {
  /**
   * @param {object} deps
   * @param {(origin: string, handlers: import("./native.js").SessionHandlers) => NativeSession} deps.openSession a NativeSession factory
   * @param {import("../types/browser.js").Action} [deps.action]  browser action API (badge)
   * @param {import("../types/browser.js").StorageArea} [deps.storage] storage.local-like {get, set}
   * @param {import("../types/browser.js").I18n} [deps.i18n] for the action's title (getMessage, getUILanguage)
   * @param {() => number} [deps.now]
   * @param {import("../types/browser.js").Timers} [deps.timers]
   */
  constructor({ openSession, action, storage, i18n, now = Date.now, timers = globalThis }) {
    this.openSession = openSession;
    this.i18n = i18n;
    this.action = action;
    this.storage = storage;
    this.now = now;
    this.timers = timers;
    /** @type {NativeSession | null} */
    this.session = null;
    /** @type {Settings} */
    this.settings = { ...DEFAULT_SETTINGS };
    /** @type {WatchState} */
    this.state = { status: "starting" };
    /** @type {Set<(state: WatchState) => void>} */
    this.listeners = new Set();
    this.refreshTimer = null;
    /** @type {any} the timers' handle: its type is the environment's (browser.d.ts Timers) */
    this.dueTimer = null;
    /** @type {any} the timers' handle, as dueTimer */
    this.rereadTimer = null;
    /** @type {((state: WatchState) => void)[]} */
    this.rereadWaiters = [];
    /** @type {Promise<WatchState> | null} */
    this.refreshing = null;
    /** @type {NativeSession | null | undefined} the host session subscribed to reader events (once per process) */
    this.subscribedSession = undefined;
    /** @type {Map<string, UnknownCard>} reader -> cards the host found no module for; the popup offers a report text */
    this.unknownCards = new Map();
    /** @type {NativeSession | null} the host session that refused listCertificates' withLoginCheck (an older host) */
    this.noLoginCheck = null;
    /** @type {PinOutcome | null} */
    this.pin = null;
    /** @type {Set<string>} tokens whose PIN a page or the popup found blocked, while the host's reading may not say so */
    this.seenLocked = new Set();
  }

  /**
   * What a page's request naming a token showed of its PIN (router.js onPinAnswer). PIN_LOCKED is kept, so the
   * popup offers "Unblock PIN" even when the watch's host cannot tell yet (a fresh OpenSC process learns a PIN's
   * state only from a try); a PIN change or unblock that worked, or any success after a login, forgets it.
   * @param {string} token
   * @param {"locked" | "ok" | "unknown"} pin
   * @param {string} op
   */
  pinAnswer(token, pin, op) {
    if (pin === "locked" && !this.seenLocked.has(token)) {
      this.seenLocked.add(token);
      this.scheduleRefresh();
    } else if (pin === "ok" && ["changePin", "unblockPin", "login", "sign"].includes(op)) {
      this.seenLocked.delete(token);
    }
  }

  /**
   * @param {string} event
   * @param {any} data the event's data as the host sent it (CardBridgeEvents): checked here
   */
  noteEvent(event, data) {
    if (event === "tokenInserted" && data?.moduleMatched === false) {
      this.unknownCards.set(data.reader, { reader: data.reader, atr: data.atr ?? null });
    } else if ((event === "tokenRemoved" || event === "readerRemoved") && data?.reader) {
      this.unknownCards.delete(data.reader);
    }
  }

  async loadSettings() {
    const stored = (await this.storage?.get?.("settings"))?.settings ?? {};
    this.settings = { ...DEFAULT_SETTINGS, ...stored };
    return this.settings;
  }

  /** @param {{watch?: boolean, expiryDays?: unknown}} update from the popup: expiryDays is checked here */
  async saveSettings(update) {
    const days = Number(update.expiryDays);
    const next = {
      watch: update.watch ?? this.settings.watch,
      expiryDays: Number.isInteger(days) && days >= 1 && days <= 365 ? days : this.settings.expiryDays,
    };
    this.settings = next;
    await this.storage?.set?.({ settings: next });
    if (!next.watch) this.stop();
    return this.refresh();
  }

  /** @param {(state: WatchState) => void} fn */
  onChange(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * @template {keyof OperationResults} K
   * @param {K} op
   * @param {object} [params]
   * @returns {Promise<OperationResults[K]>}
   */
  request(op, params = {}) {
    return new Promise((resolve, reject) => {
      this.ensureSession().send(op, params, {
        onResponse: (a) => (a.error ? reject(a.error) : resolve(/** @type {OperationResults[K]} the host answers op so */ (a.result))),
      });
    });
  }

  ensureSession() {
    if (!this.session) {
      const s = this.openSession(EXTENSION_ORIGIN, {
        onEvent: (event, data) => {
          this.noteEvent(event, data);
          this.scheduleRefresh();
        },
        onClose: () => {
          if (this.session === s) this.session = null;
        },
      });
      this.session = s;
    }
    return this.session;
  }

  /**
   * Changes or unblocks the PIN of the person's own card from the popup: the host asks for every PIN in its own
   * window (the extension never sees one). A connection of its own, so a refresh or a page's write that replaces
   * the watch's host cannot close the window under the person; afterwards the card is read again through a new
   * host (OpenSC keeps a card's PIN state per process). One at a time: a second click while the window is open
   * changes nothing.
   * @param {string} token
   * @param {"change" | "unblock"} action
   * @returns {Promise<WatchState>} the state once the card was read again
   */
  async managePin(token, action) {
    if (this.pin?.status === "running") return this.state;
    this.pin = { token, action, status: "running" };
    this.setState({ ...this.state, pin: this.pin });
    const session = this.openSession(EXTENSION_ORIGIN, {});
    try {
      await new Promise((resolve, reject) =>
        session.send(action === "change" ? "changePin" : "unblockPin", { token }, {
          onResponse: (a) => (a.error ? reject(a.error) : resolve(a.result)),
        }),
      );
      this.pin = { token, action, status: "done" };
      this.seenLocked.delete(token);
    } catch (error) {
      this.pin = { token, action, status: "error", code: error?.code ?? "INTERNAL_ERROR", message: String(error?.message ?? error) };
      if (error?.code === "PIN_LOCKED") this.seenLocked.add(token);
    } finally {
      session.close();
    }
    this.setState({ ...this.state, pin: this.pin });
    return this.cardWritten(0);
  }

  stop() {
    this.timers.clearTimeout(this.dueTimer);
    const s = this.session;
    this.session = null;
    s?.close();
  }

  /**
   * A page wrote the card through its own host process. The watch's host cannot see that (OpenSC reads a
   * card's objects once per process and keeps them), so its process is replaced and the card read again.
   * Several writes in a row (key, then certificate) give one re-read; a refresh under way finishes first,
   * so the popup never sees a closed host as an error.
   * @returns {Promise<WatchState>} the state after the re-read
   */
  cardWritten(delayMs = 300) {
    if (!this.settings.watch) return Promise.resolve(this.state);
    this.timers.clearTimeout(this.rereadTimer);
    return new Promise((resolve) => {
      this.rereadWaiters.push(resolve);
      this.rereadTimer = this.timers.setTimeout(() => {
        const waiters = this.rereadWaiters;
        this.rereadWaiters = [];
        this.rereadTimer = null;
        Promise.resolve(this.refreshing)
          .then(() => {
            this.stop();
            return this.refresh();
          })
          .then((state) => waiters.forEach((w) => w(state)));
      }, delayMs);
    });
  }

  scheduleRefresh(delayMs = 300) {
    // Inserting a card fires several events (reader, token); one refresh answers them all.
    this.timers.clearTimeout(this.refreshTimer);
    this.refreshTimer = this.timers.setTimeout(() => this.refresh(), delayMs);
  }

  /** Asks the host for everything again; never rejects: a failure becomes the state the popup shows. */
  refresh() {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  async doRefresh() {
    if (!this.settings.watch) {
      this.setState({ status: "off", settings: this.settings });
      return this.state;
    }
    try {
      const hello = await this.request("hello");
      const ops = new Set(hello.operations ?? []);
      if (ops.has("subscribe") && this.subscribedSession !== this.session) {
        // Once per host process: events then trigger the refreshes.
        this.subscribedSession = this.session;
        await this.request("subscribe").catch(() => null);
      }
      const pages = ops.has("renewalPages") ? ((await this.request("renewalPages")).pages ?? []) : [];
      const { tokens = [] } = ops.has("listTokens") ? await this.request("listTokens") : /** @type {{tokens?: Token[]}} */ ({});
      /** @type {Record<string, Certificate[]>} */
      const certificates = {};
      /** @type {Record<string, PendingKey[]>} */
      const pendingKeys = {};
      /** @type {Record<string, boolean | undefined>} */
      const usableForLogin = {};
      for (const t of tokens.filter((x) => x.present && x.token)) {
        const token = /** @type {string} present: filtered above */ (t.token);
        try {
          const listed = await this.listCertificates(token);
          certificates[token] = listed.certificates ?? [];
          pendingKeys[token] = listed.pendingKeys ?? [];
          usableForLogin[token] = listed.usableForLogin;
        } catch {
          certificates[token] = [];
        }
      }
      // No card: ask the host why, when it can say (doctor's view of pcscd and the readers).
      /** @type {Finding[]} */
      let diagnosis = [];
      if (ops.has("diagnose") && !tokens.some((t) => t.present && t.token)) {
        diagnosis = ((await this.request("diagnose").catch(() => null))?.findings ?? []).filter(
          (f) => f.status === "FAIL" || f.status === "WARN",
        );
      }
      for (const seen of [...this.seenLocked]) if (!tokens.some((t) => t.token === seen && t.present)) this.seenLocked.delete(seen);
      for (const t of tokens) if (t.token && this.seenLocked.has(t.token)) t.pinState = "locked";
      const summary = summarize({
        tokens,
        certificates,
        pendingKeys,
        usableForLogin,
        pages,
        expiryDays: this.settings.expiryDays,
        now: this.now(),
      });
      // The last PIN outcome stays while its card is in (the popup shows it when next opened); not after.
      if (this.pin && this.pin.status !== "running" && !summary.cards.some((c) => c.token === this.pin?.token)) this.pin = null;
      this.setState({
        status: "ok",
        host: hello.host,
        protocol: hello.protocol,
        settings: this.settings,
        unknownCards: [...this.unknownCards.values()],
        diagnosis,
        pinManagement: ops.has("changePin") && ops.has("unblockPin"),
        pin: this.pin,
        ...summary,
      });
      this.timers.clearTimeout(this.dueTimer);
      this.dueTimer = this.timers.setTimeout(() => this.refresh(), nextChangeIn(summary.cards, this.settings.expiryDays, this.now()));
    } catch (error) {
      this.setState({
        status: "error",
        hostError: error?.code ? error : { code: "INTERNAL_ERROR", message: String(error), details: {} },
        install: { ...installInfo },
        settings: this.settings,
      });
    }
    return this.state;
  }

  /**
   * listCertificates with the host's login check (`usableForLogin`, for the popup). A host older than that
   * parameter refuses it as unknown: then once more without it, and not asked again of that host process.
   */
  /**
   * @param {string} token
   * @returns {Promise<ListCertificatesResult>}
   */
  async listCertificates(token) {
    if (!this.session || this.noLoginCheck !== this.session) {
      try {
        return await this.request("listCertificates", { token, withLoginCheck: true });
      } catch (error) {
        if (error?.code !== "INVALID_ARGUMENT" || error?.details?.field !== "withLoginCheck") throw error;
        this.noLoginCheck = this.session;
      }
    }
    return this.request("listCertificates", { token });
  }

  /** The action's tooltip: the extension's name, and what the badge means when it means something. */
  /** @param {string[] | null} title a message key, then its argument if any (badgeFor) */
  titleFor(title) {
    const t = (/** @type {string} */ key, /** @type {unknown[]} */ ...subs) => this.i18n?.getMessage?.(key, subs.map(String)) || "";
    const name = t("extName") || "CardBridge";
    if (!title) return name;
    const [key, date] = title;
    const text = date ? t(key, formatDate(date, t("dateLocale") || (this.i18n?.getUILanguage?.() ?? "en"))) : t(key);
    return text ? `${name}: ${text}` : name;
  }

  /** @param {WatchState} state */
  setState(state) {
    this.state = state;
    const badge = badgeFor(state);
    try {
      this.action?.setBadgeText?.({ text: badge.text });
      this.action?.setBadgeBackgroundColor?.({ color: badge.color });
      this.action?.setTitle?.({ title: this.titleFor(badge.title) });
    } catch {
      // No badge in this browser context; the popup still shows the state.
    }
    for (const fn of this.listeners) fn(state);
  }
}
