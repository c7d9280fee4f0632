// The extension's own view of the cards: keeps one host session (origin cardbridge:extension, READ only)
// that subscribes to reader events, lists tokens and certificates, sets the badge (cards present,
// or "!" when a certificate on an inserted card expires soon) and answers the popup.

import { EXTENSION_ORIGIN } from "./router.js";

export const DEFAULT_SETTINGS = Object.freeze({ watch: true, expiryDays: 60 });
const DAY_MS = 24 * 60 * 60 * 1000;

/** Days from `now` until `notAfter` (ISO-8601), rounded down; negative once expired. */
export function daysLeft(notAfter, now) {
  return Math.floor((Date.parse(notAfter) - now) / DAY_MS);
}

/**
 * The renewal page for a certificate, from the policy's entries (`renewalPages` op, see the report:
 * proposed, optional): an entry matches when one of its `issuers` equals the certificate's issuer DN.
 */
export function renewalUrlFor(cert, pages) {
  for (const p of pages ?? []) {
    if (p.renewalUrl && (p.issuers ?? []).includes(cert.issuer)) return p.renewalUrl;
  }
  return null;
}

/** What the popup shows and the badge says, computed from the host's answers. Pure: node tests call it. */
export function summarize({ tokens, certificates, pages, expiryDays, now }) {
  // A blank card (present, no PKCS#11 token) holds no certificates and cannot be used: not counted.
  const present = tokens.filter((t) => t.present && t.token);
  const cards = present.map((t) => ({
    ...t,
    certificates: (certificates[t.token] ?? []).map((c) => {
      const left = daysLeft(c.notAfter, now);
      return { ...c, daysLeft: left, expiring: left <= expiryDays, renewalUrl: renewalUrlFor(c, pages) };
    }),
  }));
  const expiring = cards.flatMap((card) =>
    card.certificates
      .filter((c) => c.expiring && c.hasPrivateKey !== false)
      .map((c) => ({ token: card.token, label: card.label, subject: c.subject, notAfter: c.notAfter, daysLeft: c.daysLeft, renewalUrl: c.renewalUrl })),
  );
  const readers = [...new Set(tokens.map((t) => t.readerName).filter(Boolean))];
  return { readers, cards, expiring };
}

export function badgeFor(state) {
  if (!state || state.hostError) return { text: "", color: "#666666" };
  if (state.expiring?.length) return { text: "!", color: "#c62828" };
  if (state.cards?.length) return { text: String(state.cards.length), color: "#2e7d32" };
  return { text: "", color: "#666666" };
}

export class CardWatch {
  /**
   * @param {object} deps
   * @param {(origin: string, handlers: object) => object} deps.openSession a NativeSession factory
   * @param {object} [deps.action]  browser action API (badge)
   * @param {object} [deps.storage] storage.local-like {get, set}
   * @param {() => number} [deps.now]
   * @param {object} [deps.timers]
   */
  constructor({ openSession, action, storage, now = Date.now, timers = globalThis }) {
    this.openSession = openSession;
    this.action = action;
    this.storage = storage;
    this.now = now;
    this.timers = timers;
    this.session = null;
    this.settings = { ...DEFAULT_SETTINGS };
    this.state = { status: "starting" };
    this.listeners = new Set();
    this.refreshTimer = null;
    this.refreshing = null;
    /** reader -> {reader, atr}: cards the host found no module for; the popup offers a report text */
    this.unknownCards = new Map();
  }

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

  onChange(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  request(op, params = {}) {
    return new Promise((resolve, reject) => {
      this.ensureSession().send(op, params, {
        onResponse: (a) => (a.error ? reject(a.error) : resolve(a.result)),
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

  stop() {
    const s = this.session;
    this.session = null;
    s?.close();
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
      const { tokens = [] } = ops.has("listTokens") ? await this.request("listTokens") : {};
      const certificates = {};
      for (const t of tokens.filter((x) => x.present && x.token)) {
        try {
          certificates[t.token] = (await this.request("listCertificates", { token: t.token })).certificates ?? [];
        } catch {
          certificates[t.token] = [];
        }
      }
      const summary = summarize({ tokens, certificates, pages, expiryDays: this.settings.expiryDays, now: this.now() });
      this.setState({
        status: "ok",
        host: hello.host,
        protocol: hello.protocol,
        settings: this.settings,
        unknownCards: [...this.unknownCards.values()],
        ...summary,
      });
    } catch (error) {
      this.setState({
        status: "error",
        hostError: error?.code ? error : { code: "INTERNAL_ERROR", message: String(error), details: {} },
        settings: this.settings,
      });
    }
    return this.state;
  }

  setState(state) {
    this.state = state;
    const badge = badgeFor(state);
    try {
      this.action?.setBadgeText?.({ text: badge.text });
      this.action?.setBadgeBackgroundColor?.({ color: badge.color });
    } catch {
      // No badge in this browser context; the popup still shows the state.
    }
    for (const fn of this.listeners) fn(state);
  }
}
