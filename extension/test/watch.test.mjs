import { test } from "node:test";
import assert from "node:assert/strict";
import { summarize, badgeFor, daysLeft, renewalUrlFor, successorOf, CardWatch, nextChangeIn, MAX_QUIET_MS } from "../background/watch.js";
import { parseDn, plainNames, formatDate } from "../background/names.js";
import { NativeSession } from "../background/native.js";
import { fakeRuntime, manualTimers, sleep } from "./fakes.mjs";

const NOW = Date.parse("2026-11-21T12:00:00Z");
const cert = (subject, notAfter, issuer = "CN=CA1", notBefore = "2025-01-01T00:00:00Z") => ({
  handle: `${subject}|${notBefore}`,
  subject,
  issuer,
  notBefore,
  notAfter,
  keyUsage: ["digitalSignature", "nonRepudiation"],
  extendedKeyUsage: [],
  hasPrivateKey: true,
});

test("daysLeft rounds down and goes negative after expiry", () => {
  assert.equal(daysLeft("2026-12-21T12:00:00Z", NOW), 30);
  assert.equal(daysLeft("2026-11-21T11:00:00Z", NOW), -1);
});

test("summarize marks certificates expiring within the configured days, only on present cards", () => {
  const tokens = [
    { token: "t1", present: true, label: "Karta", readerName: "R1" },
    { token: "t2", present: false, label: "Gone", readerName: "R2" },
  ];
  const certificates = { t1: [cert("CN=Soon", "2026-12-31T00:00:00Z"), cert("CN=Later", "2027-11-01T00:00:00Z")], t2: [cert("CN=X", "2026-11-25T00:00:00Z")] };
  const pages = [{ origin: "https://ca.example", renewalUrl: "https://ca.example/renew", issuers: ["CN=CA1"] }];
  const s = summarize({ tokens, certificates, pages, expiryDays: 60, now: NOW });
  assert.deepEqual(s.readers, ["R1", "R2"]);
  assert.equal(s.cards.length, 1);
  assert.deepEqual(s.expiring.map((e) => [e.subject, e.renewalUrl]), [["CN=Soon", "https://ca.example/renew"]]);
  const s10 = summarize({ tokens, certificates, pages, expiryDays: 10, now: NOW });
  assert.equal(s10.expiring.length, 0);
});

test("summarize leaves out a blank card (present, no token): nothing to list or renew on it", () => {
  const tokens = [
    { token: null, present: true, label: null, readerName: "R0" },
    { token: "t1", present: true, label: "Karta", readerName: "R1" },
  ];
  const s = summarize({ tokens, certificates: { t1: [] }, pages: [], expiryDays: 60, now: NOW });
  assert.deepEqual(s.cards.map((c) => c.token), ["t1"]);
  assert.deepEqual(s.readers, ["R0", "R1"]);
  assert.equal(badgeFor(s).text, "1");
});

test("renewal link only when a policy entry names the issuer", () => {
  assert.equal(renewalUrlFor(cert("CN=a", "2027-01-01T00:00:00Z", "CN=Other"), [{ renewalUrl: "https://x", issuers: ["CN=CA1"] }]), null);
  assert.equal(renewalUrlFor(cert("CN=a", "2027-01-01T00:00:00Z"), undefined), null);
});

test("badge: count of cards, '!' when something expires, nothing when the host is missing", () => {
  assert.deepEqual(badgeFor({ cards: [{}, {}], expiring: [] }), { text: "2", color: "#2e7d32", title: null });
  assert.equal(badgeFor({ cards: [{}], expiring: [{}] }).text, "!");
  assert.equal(badgeFor({ hostError: { code: "NATIVE_UNAVAILABLE" } }).text, "");
});

function watchWith(answer) {
  const runtime = fakeRuntime();
  const badges = [];
  const store = {};
  const watch = new CardWatch({
    openSession: (origin, handlers) => new NativeSession({ runtime, origin, lang: "en", ...handlers }),
    action: { setBadgeText: (b) => badges.push(b.text), setBadgeBackgroundColor: () => {} },
    storage: { get: async (k) => ({ [k]: store[k] }), set: async (o) => Object.assign(store, o) },
    now: () => NOW,
    timers: manualTimers(),
  });
  // Answer each native request as soon as it is posted.
  const origConnect = runtime.connectNative.bind(runtime);
  runtime.connectNative = (name) => {
    const port = origConnect(name);
    const post = port.postMessage;
    port.postMessage = (msg) => {
      post(msg);
      queueMicrotask(() => answer(msg, port));
    };
    return port;
  };
  return { runtime, watch, badges, store };
}

test("watch: host missing becomes a NATIVE_UNAVAILABLE state and an empty badge", async () => {
  const { watch, badges } = watchWith((msg, port) => port.die("Specified native messaging host not found."));
  const state = await watch.refresh();
  assert.equal(state.status, "error");
  assert.equal(state.hostError.code, "NATIVE_UNAVAILABLE");
  assert.deepEqual(badges, [""]);
});

test("watch: lists tokens and certificates as cardbridge:extension, subscribes, badges '!' for an expiring one", async () => {
  const seen = [];
  const { watch, badges } = watchWith((msg, port) => {
    seen.push([msg.op, msg.origin]);
    const results = {
      hello: { host: "0.1.0", protocol: "1.0.0", operations: ["hello", "subscribe", "listTokens", "listCertificates"] },
      subscribe: { subscribed: true },
      listTokens: { tokens: [{ token: "t1", present: true, label: "K", readerName: "R" }] },
      listCertificates: { certificates: [cert("CN=Jan", "2026-12-01T00:00:00Z")], pendingKeys: [] },
    };
    port.reply({ id: msg.id, result: results[msg.op] });
  });
  const state = await watch.refresh();
  assert.equal(state.status, "ok");
  assert.deepEqual(seen.map((s) => s[0]), ["hello", "subscribe", "listTokens", "listCertificates"]);
  assert.ok(seen.every((s) => s[1] === "cardbridge:extension"));
  assert.equal(state.expiring[0].subject, "CN=Jan");
  assert.deepEqual(badges, ["!"]);
  // A second refresh does not subscribe again on the same host process.
  seen.length = 0;
  await watch.refresh();
  assert.ok(!seen.some((s) => s[0] === "subscribe"));
});

test("watch: settings are validated and stored; turning it off closes the host session", async () => {
  const { watch, store, runtime } = watchWith((msg, port) =>
    port.reply({ id: msg.id, result: { host: "0.1.0", protocol: "1.0.0", operations: ["hello"] } }),
  );
  await watch.loadSettings();
  assert.equal(watch.settings.expiryDays, 60);
  await watch.refresh();
  await watch.saveSettings({ expiryDays: 0 });
  assert.equal(store.settings.expiryDays, 60, "0 days refused, old value kept");
  await watch.saveSettings({ expiryDays: 30 });
  assert.equal(store.settings.expiryDays, 30);
  const state = await watch.saveSettings({ watch: false });
  assert.equal(state.status, "off");
  assert.ok(runtime.natives[0].disconnected);
});

test("watch: after a page wrote the card, one new host process reads it again (OpenSC keeps what it read per process)", async () => {
  let certs = [cert("CN=Jan", "2026-12-01T00:00:00Z")];
  const { watch, runtime } = watchWith((msg, port) => {
    const results = {
      hello: { host: "0.1.0", protocol: "1.0.0", operations: ["hello", "listTokens", "listCertificates"] },
      listTokens: { tokens: [{ token: "t1", present: true, label: "K", readerName: "R" }] },
      listCertificates: { certificates: certs, pendingKeys: [] },
    };
    port.reply({ id: msg.id, result: results[msg.op] });
  });
  await watch.refresh();
  assert.equal(watch.state.expiring.length, 1);
  assert.equal(runtime.natives.length, 1);
  // The page's renewal writes a key, then the certificate: the watch is told twice, re-reads once.
  certs = [cert("CN=Jan", "2028-12-01T00:00:00Z")];
  const first = watch.cardWritten();
  const second = watch.cardWritten();
  watch.timers.runAll();
  const [a, b] = await Promise.all([first, second]);
  assert.equal(a, b);
  assert.equal(runtime.natives.length, 2, "a new host process, once");
  assert.ok(runtime.natives[0].disconnected, "the old one is closed");
  assert.equal(a.status, "ok");
  assert.equal(a.expiring.length, 0, "the popup no longer says renew");
  assert.equal(a.cards.length, 1);
});

test("watch: a write reported while a refresh runs waits for it, so the popup never shows a closed host as an error", async () => {
  let release;
  const gate = new Promise((r) => (release = r));
  const { watch, runtime } = watchWith(async (msg, port) => {
    if (msg.op === "listTokens") await gate;
    const results = {
      hello: { host: "0.1.0", protocol: "1.0.0", operations: ["hello", "listTokens"] },
      listTokens: { tokens: [] },
    };
    port.reply({ id: msg.id, result: results[msg.op] });
  });
  const states = [];
  watch.onChange((s) => states.push(s.status));
  const running = watch.refresh();
  const written = watch.cardWritten();
  watch.timers.runAll();
  release();
  await running;
  const after = await written;
  assert.equal(after.status, "ok");
  assert.deepEqual(states, ["ok", "ok"]);
  assert.equal(runtime.natives.length, 2);
});

test("nextChangeIn: the next moment the popup's words change by the clock alone, else six hours", () => {
  const now = Date.parse("2026-12-06T00:00:00Z");
  const at = (iso) => Date.parse(iso) - now + 1000;
  const card = (...certs) => ({ certificates: certs.map(([notBefore, notAfter]) => ({ notBefore, notAfter })) });
  assert.equal(nextChangeIn([], 60, now), MAX_QUIET_MS + 1000, "no card: the quiet interval");
  // a successor valid from 6 Dec 03:00: "ready from" turns into "finish" then
  const deferred = card(["2025-12-06T03:00:00Z", "2026-12-06T03:00:00Z"], ["2026-12-06T03:00:00Z", "2027-12-06T03:00:00Z"]);
  assert.equal(nextChangeIn([deferred], 60, now), at("2026-12-06T03:00:00Z"));
  // a certificate entering the 60-day warning window in 2 hours
  assert.equal(nextChangeIn([card(["2026-01-01T00:00:00Z", "2027-02-04T02:00:00Z"])], 60, now), at("2026-12-06T02:00:00Z"));
  // far from anything: six hours, so days-left stays fresh
  assert.equal(nextChangeIn([card(["2026-01-01T00:00:00Z", "2028-01-01T00:00:00Z"])], 60, now), MAX_QUIET_MS + 1000);
});

test("watch: after each reading it asks again when the words change by the clock (the successor's start)", async () => {
  const timers = manualTimers();
  const delays = [];
  const setTimeout = timers.setTimeout;
  timers.setTimeout = (fn, ms) => (delays.push(ms), setTimeout(fn, ms));
  const reads = [];
  const { watch } = watchWith((msg, port) => {
    reads.push(msg.op);
    const results = {
      hello: { host: "0.1.0", protocol: "1.0.0", operations: ["hello", "listTokens", "listCertificates"] },
      listTokens: { tokens: [{ token: "t1", present: true, label: "K", readerName: "R" }] },
      listCertificates: { certificates: [cert("CN=Jan", "2099-01-01T00:00:00Z")], pendingKeys: [] },
    };
    port.reply({ id: msg.id, result: results[msg.op] });
  });
  watch.timers = timers;
  await watch.refresh();
  assert.deepEqual(delays, [MAX_QUIET_MS + 1000]);
  timers.runAll();
  await watch.refreshing;
  assert.equal(reads.filter((o) => o === "listTokens").length, 2, "the timer read the card again");
  watch.stop();
  assert.equal(timers.pending, 0, "stopping the watch stops its clock");
});

test("watch: with the watch turned off, a write starts no host", async () => {
  const { watch, runtime } = watchWith(() => {});
  await watch.saveSettings({ watch: false });
  await watch.cardWritten();
  assert.equal(runtime.natives.length, 0);
});

test("watch: unknown-ATR insert is kept for the report text until the card leaves", async () => {
  const { watch } = watchWith(() => {});
  watch.noteEvent("tokenInserted", { reader: "R1", atr: "3B:8F", moduleMatched: false });
  watch.noteEvent("tokenInserted", { reader: "R2", atr: "3B:00", moduleMatched: true });
  assert.deepEqual([...watch.unknownCards.values()], [{ reader: "R1", atr: "3B:8F" }]);
  watch.noteEvent("tokenRemoved", { reader: "R1" });
  assert.equal(watch.unknownCards.size, 0);
  await sleep(1);
});

const SUBJECT = "CN=Zażółć Gęślą,2.5.4.5=#1311504e4f504c2d3830303130313132333435,O=Firma,C=PL";
const ISSUER = "CN=Test CA Issuing,O=Centrum Testowe,C=PL";
const one = (certs, { pendingKeys = [], pages = [] } = {}) =>
  summarize({
    tokens: [{ token: "t1", present: true, label: "Karta", readerName: "R1" }],
    certificates: { t1: certs },
    pendingKeys: { t1: pendingKeys },
    pages,
    expiryDays: 60,
    now: NOW,
  });

test("names: the holder's CN and the issuer's organisation, hex attributes decoded, escapes undone", () => {
  assert.deepEqual(plainNames({ subject: SUBJECT, issuer: ISSUER }), { name: "Zażółć Gęślą", issuer: "Centrum Testowe" });
  assert.deepEqual(
    parseDn(SUBJECT).map((r) => [r.type, r.value]),
    [["CN", "Zażółć Gęślą"], ["serialNumber", "PNOPL-80010112345"], ["O", "Firma"], ["C", "PL"]],
  );
  // RFC 2253 escapes: "\," is a comma in the value, "\c5\82" the UTF-8 bytes of "ł"; "+" joins attributes.
  assert.deepEqual(parseDn(String.raw`CN=Kowalski\, Jan+O=Bia\c5\82ystok`).map((r) => r.value), ["Kowalski, Jan", "Białystok"]);
  // No CN: given name and surname (Java writes them as OIDs); no issuer O: its CN.
  assert.deepEqual(
    plainNames({ subject: "2.5.4.42=#0c034a616e,2.5.4.4=#0c084b6f77616c736b69,C=PL", issuer: "CN=Only CN" }),
    { name: "Jan Kowalski", issuer: "Only CN" },
  );
  assert.deepEqual(plainNames({ subject: "garbage", issuer: undefined }).issuer, "");
});

test("dates as a person reads them, in the UI language", () => {
  assert.equal(formatDate("2027-01-04T12:00:00Z", "en-GB"), "4 Jan 2027");
  assert.equal(formatDate("2027-01-04T12:00:00Z", "pl"), "4 sty 2027");
  assert.equal(formatDate("2027-01-04T12:00:00Z", "pl_PL"), "4 sty 2027");
  assert.equal(formatDate("not a date", "en"), "not a date");
});

test("successor: same subject and key usage, starting and ending later, key on the card", () => {
  const old = cert(SUBJECT, "2026-12-20T00:00:00Z", ISSUER);
  const next = cert(SUBJECT, "2028-12-20T00:00:00Z", ISSUER, "2026-12-20T00:00:00Z");
  assert.equal(successorOf(old, [old, next]), next);
  assert.equal(successorOf(next, [old, next]), null);
  assert.equal(successorOf(old, [old, { ...next, subject: "CN=Someone else" }]), null);
  assert.equal(successorOf(old, [old, { ...next, keyUsage: ["keyEncipherment"] }]), null);
  assert.equal(successorOf(old, [old, { ...next, hasPrivateKey: false }]), null);
});

test("successor not valid yet: 'ready from <date>', never 'renew', and the badge is no warning", () => {
  const old = cert(SUBJECT, "2026-12-20T00:00:00Z", ISSUER);
  const next = cert(SUBJECT, "2028-12-20T00:00:00Z", ISSUER, "2026-12-20T00:00:00Z");
  const s = one([old, next]);
  assert.deepEqual(s.expiring, [], "the old one expires in 28 days, but its successor is on the card");
  assert.deepEqual(s.finish, []);
  assert.equal(s.scheduled.length, 1);
  assert.equal(s.scheduled[0].readyFrom, "2026-12-20T00:00:00Z");
  assert.equal(s.scheduled[0].name, "Zażółć Gęślą");
  const badge = badgeFor(s);
  assert.equal(badge.text, "1");
  assert.notEqual(badge.text, "!");
  assert.deepEqual(badge.title, ["badgeTitleScheduled", "2026-12-20T00:00:00Z"]);
  assert.ok(s.cards[0].certificates.find((c) => c.handle === next.handle).notYetValid);
});

test("successor valid: 'finish the renewal' with the CA's page, badge '!'", () => {
  const old = cert(SUBJECT, "2026-11-20T00:00:00Z", ISSUER);
  const next = cert(SUBJECT, "2028-11-20T00:00:00Z", ISSUER, "2026-11-20T00:00:00Z");
  const pages = [{ origin: "https://ca.example", renewalUrl: "https://ca.example/renew", issuers: [ISSUER] }];
  const s = one([old, next], { pages });
  assert.deepEqual(s.expiring, []);
  assert.deepEqual(s.scheduled, []);
  assert.equal(s.finish.length, 1);
  assert.equal(s.finish[0].renewalUrl, "https://ca.example/renew");
  assert.equal(s.finish[0].issuerName, "Centrum Testowe");
  assert.equal(s.finish[0].expired, true);
  assert.deepEqual(badgeFor(s), { text: "!", color: "#e65100", title: ["badgeTitleFinish"] });
});

test("expiring with a key already waiting for its certificate: 'continue', not 'renew'", () => {
  const old = cert(SUBJECT, "2026-12-20T00:00:00Z", ISSUER);
  assert.equal(one([old]).expiring[0].inProgress, false);
  assert.equal(one([old], { pendingKeys: [{ handle: "k", keyId: "01" }] }).expiring[0].inProgress, true);
});

test("watch: the action's title says what the badge means, in the UI language", async () => {
  const titles = [];
  const watch = new CardWatch({
    openSession: () => ({}),
    action: { setBadgeText: () => {}, setBadgeBackgroundColor: () => {}, setTitle: (t) => titles.push(t.title) },
    i18n: {
      getUILanguage: () => "en-GB",
      getMessage: (k, subs) => ({ extName: "CardBridge", badgeTitleScheduled: `new certificate ready from ${subs?.[0]}` })[k] ?? "",
    },
  });
  const old = cert(SUBJECT, "2026-12-20T00:00:00Z", ISSUER);
  const next = cert(SUBJECT, "2028-12-20T00:00:00Z", ISSUER, "2026-12-20T00:00:00Z");
  watch.setState({ status: "ok", ...one([old, next]) });
  assert.deepEqual(titles, ["CardBridge: new certificate ready from 20 Dec 2026"]);
});

test("loginLineFor: usable, notUsable, or nothing when unknown or no certificate is valid now", async () => {
  const { loginLineFor } = await import("../background/watch.js");
  const tokens = [{ token: "t1", present: true, label: "K", readerName: "R" }];
  const card = (certs, usableForLogin) =>
    summarize({ tokens, certificates: { t1: certs }, usableForLogin: { t1: usableForLogin }, pages: [], expiryDays: 60, now: NOW }).cards[0];
  const valid = cert("CN=Jan", "2027-06-01T00:00:00Z");
  assert.equal(card([valid], true).login, "usable");
  assert.equal(card([valid], false).login, "notUsable");
  assert.equal(card([valid], undefined).login, null);
  assert.equal(card([cert("CN=Jan", "2026-11-01T00:00:00Z")], false).login, null, "only an expired certificate");
  assert.equal(card([{ ...valid, hasPrivateKey: false }], true).login, null, "no key on the card: not one a site gets");
  assert.equal(card([], true).login, null, "an empty card");
  assert.equal(loginLineFor({ usableForLogin: "yes", certificates: [] }), null);
});

test("watch: asks listCertificates withLoginCheck and keeps the card's usableForLogin for the popup", async () => {
  const asked = [];
  const { watch } = watchWith((msg, port) => {
    if (msg.op === "listCertificates") asked.push(msg.params);
    const results = {
      hello: { host: "0.1.0", protocol: "1.0.0", operations: ["hello", "listTokens", "listCertificates"] },
      listTokens: { tokens: [{ token: "t1", present: true, label: "K", readerName: "R" }] },
      listCertificates: { certificates: [cert("CN=Jan", "2027-06-01T00:00:00Z")], pendingKeys: [], usableForLogin: false },
    };
    port.reply({ id: msg.id, result: results[msg.op] });
  });
  const state = await watch.refresh();
  assert.deepEqual(asked, [{ token: "t1", withLoginCheck: true }]);
  assert.equal(state.cards[0].usableForLogin, false);
  assert.equal(state.cards[0].login, "notUsable");
});

test("watch: a host older than withLoginCheck refuses it; listed again without it, and not asked again of that host", async () => {
  const asked = [];
  const { watch } = watchWith((msg, port) => {
    if (msg.op === "listCertificates") {
      asked.push(msg.params);
      if ("withLoginCheck" in msg.params) {
        port.reply({
          id: msg.id,
          error: { code: "INVALID_ARGUMENT", message: "withLoginCheck: unknown parameter", details: { field: "withLoginCheck" } },
        });
        return;
      }
    }
    const results = {
      hello: { host: "0.0.9", protocol: "1.0.0", operations: ["hello", "listTokens", "listCertificates"] },
      listTokens: { tokens: [{ token: "t1", present: true, label: "K", readerName: "R" }] },
      listCertificates: { certificates: [cert("CN=Jan", "2027-06-01T00:00:00Z")], pendingKeys: [] },
    };
    port.reply({ id: msg.id, result: results[msg.op] });
  });
  const state = await watch.refresh();
  assert.deepEqual(asked, [{ token: "t1", withLoginCheck: true }, { token: "t1" }]);
  assert.equal(state.cards[0].certificates.length, 1, "the card is listed all the same");
  assert.equal(state.cards[0].login, null, "nothing said about logging in");
  asked.length = 0;
  await watch.refresh();
  assert.deepEqual(asked, [{ token: "t1" }]);
});

test("watch: the popup's 'Unblock PIN' runs in a host connection of its own, shows 'running', then reads the card again", async () => {
  let pinState = "locked";
  let release;
  const gate = new Promise((r) => (release = r));
  const pinRequests = [];
  const { watch, runtime } = watchWith(async (msg, port) => {
    if (msg.op === "unblockPin" || msg.op === "changePin") {
      pinRequests.push([msg.op, msg.origin, msg.params.token, runtime.natives.indexOf(port)]);
      await gate;
      pinState = "ok";
      port.reply({ id: msg.id, result: { unblocked: true } });
      return;
    }
    const results = {
      hello: { host: "0.1.0", protocol: "1.0.0", operations: ["hello", "listTokens", "listCertificates", "changePin", "unblockPin"] },
      listTokens: { tokens: [{ token: "t1", present: true, label: "K", readerName: "R", pinState }] },
      listCertificates: { certificates: [], pendingKeys: [] },
    };
    port.reply({ id: msg.id, result: results[msg.op] });
  });
  const before = await watch.refresh();
  assert.equal(before.pinManagement, true);
  assert.equal(before.cards[0].pinState, "locked");
  const done = watch.managePin("t1", "unblock");
  assert.deepEqual(watch.state.pin, { token: "t1", action: "unblock", status: "running" });
  assert.equal(await watch.managePin("t1", "change"), watch.state, "a second click while the window is open does nothing");
  await sleep(5);
  assert.deepEqual(pinRequests, [["unblockPin", "cardbridge:extension", "t1", 1]], "one request, on a connection of its own");
  release();
  while (watch.state.pin?.status === "running") await sleep(1);
  assert.ok(runtime.natives[1].disconnected, "its connection closed once answered");
  watch.timers.runAll();
  const after = await done;
  assert.equal(after.pin.status, "done");
  assert.equal(after.cards[0].pinState, "ok", "the card was read again");
  assert.ok(runtime.natives[0].disconnected, "through a new host process (OpenSC keeps PIN state per process)");
});

test("watch: a PIN change that the host refuses keeps its code for the popup, and is forgotten once the card is gone", async () => {
  let present = true;
  const { watch } = watchWith((msg, port) => {
    if (msg.op === "changePin") {
      port.reply({ id: msg.id, error: { code: "USER_CANCELLED", message: "the user closed the window", details: {} } });
      return;
    }
    const results = {
      hello: { host: "0.1.0", protocol: "1.0.0", operations: ["hello", "listTokens", "listCertificates", "changePin", "unblockPin"] },
      listTokens: { tokens: present ? [{ token: "t1", present: true, label: "K", readerName: "R", pinState: "ok" }] : [] },
      listCertificates: { certificates: [], pendingKeys: [] },
    };
    port.reply({ id: msg.id, result: results[msg.op] });
  });
  await watch.refresh();
  const done = watch.managePin("t1", "change");
  while (watch.state.pin?.status === "running") await sleep(1);
  watch.timers.runAll();
  const after = await done;
  assert.equal(after.pin.status, "error");
  assert.equal(after.pin.code, "USER_CANCELLED");
  assert.equal((await watch.refresh()).pin.code, "USER_CANCELLED", "still shown while the card is in");
  present = false;
  assert.equal((await watch.refresh()).pin, null);
});

test("watch: a PIN a page found blocked shows as blocked although the host's fresh reading cannot tell; a success or the card leaving forgets it", async () => {
  let present = true;
  const { watch } = watchWith((msg, port) => {
    const results = {
      hello: { host: "0.1.0", protocol: "1.0.0", operations: ["hello", "listTokens", "listCertificates", "changePin", "unblockPin"] },
      listTokens: { tokens: present ? [{ token: "t1", present: true, label: "K", readerName: "R", pinState: "ok" }] : [] },
      listCertificates: { certificates: [], pendingKeys: [] },
    };
    port.reply({ id: msg.id, result: results[msg.op] });
  });
  assert.equal((await watch.refresh()).cards[0].pinState, "ok");
  watch.pinAnswer("t1", "locked", "generateKeyPair");
  assert.equal((await watch.refresh()).cards[0].pinState, "locked");
  watch.pinAnswer("t1", "ok", "listCertificates");
  assert.equal((await watch.refresh()).cards[0].pinState, "locked", "a reading without a PIN proves nothing");
  watch.pinAnswer("t1", "ok", "unblockPin");
  assert.equal((await watch.refresh()).cards[0].pinState, "ok");
  watch.pinAnswer("t1", "locked", "login");
  present = false;
  await watch.refresh();
  present = true;
  assert.equal((await watch.refresh()).cards[0].pinState, "ok", "forgotten once the card was out");
});
