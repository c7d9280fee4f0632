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
  addEventListener() {}
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
globalThis.chrome = {
  i18n: {
    getMessage: (key, subs = []) => (en[key]?.message ?? "").replace(/\$P(\d)\$/g, (_, n) => subs[n - 1] ?? ""),
    getUILanguage: () => "en",
  },
  runtime: {
    connect: () => ({
      onMessage: { addListener: (fn) => (toPopup = fn) },
      postMessage: () => {},
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
