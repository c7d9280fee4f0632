// The popup's own rendering, on a small fake DOM (only what popup.js touches): the real popup.js is
// imported once with a fake extension API, and the test sends it states as the background does.
/* global document */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { summarize } from "../background/watch.js";

const en = JSON.parse(readFileSync(new URL("../_locales/en/messages.json", import.meta.url), "utf8"));

class FakeNode {}
class FakeText extends FakeNode {
  constructor(text) {
    super();
    this.text = text;
  }
  get textContent() {
    return this.text;
  }
}
class FakeElement extends FakeNode {
  constructor(tag) {
    super();
    this.tagName = tag.toUpperCase();
    this.children = [];
    this.dataset = {};
    this.className = "";
    this.hidden = false;
  }
  append(...nodes) {
    for (const n of nodes) this.children.push(n instanceof FakeNode ? n : new FakeText(String(n)));
  }
  replaceChildren(...nodes) {
    this.children = [];
    this.append(...nodes);
  }
  addEventListener(type, fn) {
    (this.listeners ??= {})[type] = fn;
  }
  click() {
    this.listeners?.click?.();
  }
  get textContent() {
    return this.children.map((c) => c.textContent).join("");
  }
  set textContent(v) {
    this.children = [new FakeText(v)];
  }
  /** Every element below (and this one) for which `pick` is true. */
  findAll(pick) {
    const out = pick(this) ? [this] : [];
    for (const c of this.children) if (c instanceof FakeElement) out.push(...c.findAll(pick));
    return out;
  }
}

const byId = new Map();
globalThis.Node = FakeNode;
globalThis.document = {
  documentElement: {},
  getElementById(id) {
    if (!byId.has(id)) {
      const e = new FakeElement(id === "settings-form" ? "form" : "section");
      if (id === "settings-form") Object.assign(e, { watch: {}, expiryDays: {} });
      byId.set(id, e);
    }
    return byId.get(id);
  },
  querySelectorAll: () => [],
  createElement: (tag) => new FakeElement(tag),
  createTextNode: (text) => new FakeText(text),
};
let toPopup = null;
const fromPopup = [];
globalThis.chrome = {
  i18n: {
    getMessage: (key, subs = []) => (en[key]?.message ?? "").replace(/\$P(\d)\$/g, (_, n) => subs[n - 1] ?? ""),
    getUILanguage: () => "en",
  },
  runtime: {
    connect: () => ({
      onMessage: { addListener: (fn) => (toPopup = fn) },
      postMessage: (msg) => fromPopup.push(msg),
    }),
  },
};
await import("../popup/popup.js");

const NOW = Date.now();
const DAY = 24 * 60 * 60 * 1000;
const cert = (notBefore, notAfter) => ({
  handle: `h|${notBefore}`,
  subject: "CN=Jan Kowalski,C=PL",
  issuer: "CN=CA1",
  notBefore: new Date(notBefore).toISOString(),
  notAfter: new Date(notAfter).toISOString(),
  keyUsage: ["digitalSignature"],
  extendedKeyUsage: ["clientAuth"],
  hasPrivateKey: true,
  isCa: false,
});
const valid = cert(NOW - 10 * DAY, NOW + 300 * DAY);

/** Renders the state the watch would make of one card with `certs` and the host's `usableForLogin`. */
function renderCard(certs, usableForLogin) {
  const summary = summarize({
    tokens: [{ token: "t1", present: true, label: "Karta", readerName: "R1" }],
    certificates: { t1: certs },
    usableForLogin: { t1: usableForLogin },
    pages: [],
    expiryDays: 60,
    now: NOW,
  });
  toPopup({ type: "state", state: { status: "ok", host: "0.1.0", protocol: "1.0.0", settings: { watch: true, expiryDays: 60 }, ...summary } });
  return document.getElementById("cards").findAll((e) => e.dataset.login);
}

test("popup: the host says the browser offers the card for login → one plain line saying it can be used", () => {
  const lines = renderCard([valid], true);
  assert.equal(lines.length, 1);
  assert.equal(lines[0].dataset.login, "usable");
  assert.equal(lines[0].textContent, en.loginUsable.message);
  assert.equal(lines[0].findAll((e) => e.tagName === "DETAILS").length, 0, "nothing for the administrator");
});

test("popup: the card's module is not registered for this browser → it says so, the command only behind details", () => {
  const lines = renderCard([valid], false);
  assert.equal(lines.length, 1);
  assert.equal(lines[0].dataset.login, "notUsable");
  const [details] = lines[0].findAll((e) => e.tagName === "DETAILS");
  assert.ok(details, "the administrator's hint is behind a disclosure");
  assert.equal(details.findAll((e) => e.tagName === "P")[0].textContent, en.loginNotUsableAdmin.message);
  const plain = lines[0].findAll((e) => e.tagName === "P" && e.className === "login-no");
  assert.equal(plain[0].textContent, en.loginNotUsable.message);
  assert.doesNotMatch(plain[0].textContent, /cardbridge-host|NSS|PKCS/, "the plain line has no technical words");
});

test("popup: the host cannot tell (absent) → nothing about logging in", () => {
  assert.deepEqual(renderCard([valid], undefined), []);
  assert.doesNotMatch(document.getElementById("cards").textContent, /log in/);
});

test("popup: only an expired or not-yet-valid certificate on the card → nothing about logging in, whatever the host says", () => {
  assert.deepEqual(renderCard([cert(NOW - 400 * DAY, NOW - DAY)], true), []);
  assert.deepEqual(renderCard([cert(NOW + DAY, NOW + 400 * DAY)], false), []);
});

test("popup: a working host is one plain sentence, the protocol only in its tooltip", () => {
  renderCard([valid], undefined);
  const [ok] = document.getElementById("host").findAll((e) => e.id === "host-ok");
  assert.equal(ok.textContent, "CardBridge is ready (program version 0.1.0).");
  assert.equal(ok.title, "protocol 1.0.0");
});

test("popup: a renewal under way is a step to finish in the calmer colour, said once, never 'renew'", () => {
  const old = cert(NOW - 300 * DAY, NOW + 20 * DAY);
  const summary = summarize({
    tokens: [{ token: "t1", present: true, label: "Karta", readerName: "R1" }],
    certificates: { t1: [old] },
    pendingKeys: { t1: [{ handle: "k", keyId: "02" }] },
    pages: [],
    expiryDays: 60,
    now: NOW,
  });
  toPopup({ type: "state", state: { status: "ok", host: "0.1.0", protocol: "1.0.0", settings: { watch: true, expiryDays: 60 }, ...summary } });
  const box = document.getElementById("expiring");
  const [item] = box.findAll((e) => e.className.includes("expiring-item"));
  assert.match(item.className, /in-progress/);
  assert.match(item.className, /finish/, "amber like 'finish', not the red of an expiring certificate");
  const text = item.textContent;
  assert.ok(text.startsWith(en.inProgressTitle.message), text);
  assert.match(text, /Do not buy a new renewal code\./);
  assert.equal(text.split("certification authority").length - 1, 1, "where to continue is said once: " + text);
  assert.doesNotMatch(text, /Renew/);
});

/** The popup's PIN part of one card: the host can manage the PIN (`pinManagement`), the card's `pinState`, the last outcome. */
function renderPin({ pinState = "ok", pin = null, pinManagement = true } = {}) {
  const summary = summarize({
    tokens: [{ token: "t1", present: true, label: "Karta", readerName: "R1", pinState }],
    certificates: { t1: [valid] },
    pages: [],
    expiryDays: 60,
    now: NOW,
  });
  const state = { status: "ok", host: "0.1.0", protocol: "1.0.0", settings: { watch: true, expiryDays: 60 }, pinManagement, pin, ...summary };
  toPopup({ type: "state", state });
  const [box] = document.getElementById("cards").findAll((e) => e.className === "pin");
  const buttons = box ? box.findAll((e) => e.tagName === "BUTTON") : [];
  return { box, buttons, text: box?.textContent ?? "" };
}

test("popup: a card whose PIN works offers 'Change PIN'; the click asks the background, never for a PIN", () => {
  const { buttons, text } = renderPin();
  assert.equal(buttons.length, 1);
  assert.equal(buttons[0].textContent, "Change PIN");
  assert.equal(text, "Change PIN", "no other words while nothing happened");
  fromPopup.length = 0;
  buttons[0].click();
  assert.deepEqual(fromPopup, [{ type: "pin", action: "change", token: "t1" }]);
});

test("popup: a blocked PIN is explained and 'Unblock PIN' offered instead", () => {
  const { buttons, text } = renderPin({ pinState: "locked" });
  assert.deepEqual(buttons.map((b) => [b.textContent, b.dataset.pinAction]), [["Unblock PIN", "unblock"]]);
  assert.ok(text.startsWith(en.pinLockedHelp.message), text);
  fromPopup.length = 0;
  buttons[0].click();
  assert.deepEqual(fromPopup, [{ type: "pin", action: "unblock", token: "t1" }]);
});

test("popup: while the host's window is open it points there, with no button to start a second one", () => {
  const { buttons, text } = renderPin({ pinState: "locked", pin: { token: "t1", action: "unblock", status: "running" } });
  assert.equal(buttons.length, 0);
  assert.ok(text.startsWith(en.pinRunning.message), text);
});

test("popup: what came of it, in plain words; the host's own words only behind details", () => {
  assert.ok(renderPin({ pin: { token: "t1", action: "unblock", status: "done" } }).text.startsWith("The PIN was unblocked."));
  assert.ok(renderPin({ pin: { token: "t1", action: "change", status: "done" } }).text.startsWith("The PIN was changed."));
  const closed = renderPin({ pin: { token: "t1", action: "change", status: "error", code: "USER_CANCELLED", message: "closed" } });
  assert.equal(closed.text, en.pinNotChanged.message + "Change PIN", "closing the window is no fault: no details");
  const conf = renderPin({
    pinState: "locked",
    pin: { token: "t1", action: "unblock", status: "error", code: "PIN_CHANGE_NOT_SUPPORTED", message: "opensc.conf: user_pin_unblock_style = none" },
  });
  const [details] = conf.box.findAll((e) => e.tagName === "DETAILS");
  assert.match(details.textContent, /user_pin_unblock_style/);
  assert.ok(conf.text.startsWith(en.pinErrorNotSupported.message), conf.text);
  assert.doesNotMatch(conf.text, /envelope/, "no 'unblock with the PUK' beside 'cannot unblock here'");
  const lockedClosed = renderPin({ pinState: "locked", pin: { token: "t1", action: "unblock", status: "error", code: "USER_CANCELLED", message: "" } });
  assert.equal(lockedClosed.text, en.pinNotChanged.message + en.pinLockedHelp.message + "Unblock PIN");
  const locked = renderPin({ pin: { token: "t1", action: "change", status: "error", code: "PIN_LOCKED", message: "blocked" } });
  assert.deepEqual(locked.buttons.map((b) => b.dataset.pinAction), ["unblock"], "a PIN found blocked while changing it: unblock next");
  assert.ok(locked.text.startsWith(en.pinErrorLocked.message));
  assert.equal(locked.box.findAll((e) => e.tagName === "DETAILS").length, 0, "a blocked PIN needs no technical words");
  assert.doesNotMatch(locked.text, new RegExp(en.pinLockedHelp.message.slice(0, 20)), "said once");
  const busy = renderPin({ pin: { token: "t1", action: "change", status: "error", code: "TOKEN_BUSY", message: "held" } });
  assert.ok(busy.text.startsWith(en.pinErrorBusy.message), busy.text);
  const odd = renderPin({ pin: { token: "t1", action: "change", status: "error", code: "INTERNAL_ERROR", message: "x" } });
  assert.ok(odd.text.startsWith("The PIN could not be changed (INTERNAL_ERROR)."), odd.text);
  assert.equal(odd.box.findAll((e) => e.tagName === "DETAILS").length, 1, "the host's words for whoever helps");
});

test("popup: a blocked PUK offers no unblock button: only the card's issuer can help", () => {
  const { buttons, text } = renderPin({ pinState: "locked", pin: { token: "t1", action: "unblock", status: "error", code: "PUK_LOCKED", message: "" } });
  assert.equal(buttons.length, 0);
  assert.ok(text.startsWith(en.pinErrorPukLocked.message), text);
  assert.equal(text, en.pinErrorPukLocked.message, "nothing suggesting the PUK, no technical words: " + text);
});

test("popup: a host that cannot change PINs (older) → no PIN part at all", () => {
  assert.equal(renderPin({ pinManagement: false }).box, undefined);
});
