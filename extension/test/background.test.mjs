import { test } from "node:test";
import assert from "node:assert/strict";
import { Router, originOf, EXTENSION_ORIGIN } from "../background/router.js";
import { NativeSession, HOST_NAME, HOST_MAX_FRAME_BYTES, HOST_MAX_JSON_DEPTH, measureJson } from "../background/native.js";
import { fakeRuntime, fakePort, manualTimers } from "./fakes.mjs";

const EXT_ID = "ofgjjddghmifhcdedhlchefmbecfflch";

function setup({ lang = "pl", onCardWritten = undefined, onPinAnswer = undefined } = {}) {
  const runtime = fakeRuntime();
  const timers = manualTimers();
  const removed = [];
  const tabs = { onRemoved: { addListener: (fn) => removed.push(fn) } };
  const router = new Router({ runtime, tabs, i18n: { getUILanguage: () => lang }, timers, graceMs: 5000, onCardWritten, onPinAnswer });
  router.start();
  const open = (sender, name = "cardbridge-page") => {
    const port = fakePort(name, { id: EXT_ID, frameId: 0, ...sender });
    runtime.onConnect.fire(port);
    return port;
  };
  const page = (tabId, url, extra = {}) =>
    open({ tab: { id: tabId }, url, origin: new URL(url).origin, ...extra });
  const send = (port, id, op, params) => port.onMessage.fire({ type: "request", id, op, params });
  return { runtime, timers, router, open, page, send, closeTab: (id) => removed.forEach((fn) => fn(id)) };
}

test("origin is stamped from the sender, not from anything the page sends", () => {
  const { runtime, page, send } = setup();
  const port = page(1, "https://ca.example/renew?x=1");
  port.onMessage.fire({ type: "request", id: "p1", op: "listTokens", params: {}, origin: "https://bank.example" });
  const [native] = runtime.natives;
  assert.equal(native.name, HOST_NAME);
  assert.equal(native.sent.length, 1);
  const msg = native.sent[0];
  assert.equal(msg.origin, "https://ca.example");
  assert.equal(msg.op, "listTokens");
  assert.equal(msg.lang, "pl");
  assert.deepEqual(Object.keys(msg).sort(), ["id", "lang", "op", "origin", "params"]);
  send(port, "p2", "hello", {});
});

test("originOf: sender.origin, else the URL's origin; extension pages are cardbridge:extension", () => {
  const runtime = fakeRuntime();
  assert.equal(originOf({ id: EXT_ID, origin: "https://a.example", url: "https://b.example/" }, runtime), "https://a.example");
  assert.equal(originOf({ id: EXT_ID, url: "https://c.example:8443/p?q#h" }, runtime), "https://c.example:8443");
  assert.equal(originOf({ id: EXT_ID, url: `chrome-extension://${EXT_ID}/popup/popup.html` }, runtime), EXTENSION_ORIGIN);
  assert.equal(originOf({ id: "another-extension", url: "https://a.example/" }, runtime), null);
  assert.equal(originOf({ id: EXT_ID, origin: "null", url: "data:text/html,x" }, runtime), null);
  // A sandboxed frame on the CA's own site has an opaque origin: it must not be stamped with the site's.
  assert.equal(originOf({ id: EXT_ID, origin: "null", url: "https://ca.example/sandboxed.html" }, runtime), null);
});

test("a port from a sender we cannot place is disconnected", () => {
  const { runtime, open } = setup();
  const port = open({ id: "intruder", url: "https://x.example/" });
  assert.ok(port.disconnected);
  assert.equal(runtime.natives.length, 0);
});

test("answers are correlated by id and reach the right frame under the page's own id", () => {
  const { runtime, page, send } = setup();
  const a = page(1, "https://ca.example/");
  const b = page(2, "https://ca.example/");
  send(a, "same", "listTokens", {});
  send(b, "same", "listTokens", {});
  assert.equal(runtime.natives.length, 2, "one native port per tab");
  const [na, nb] = runtime.natives;
  assert.notEqual(na.sent[0].id, "same", "page ids never reach the host");
  nb.reply({ id: nb.sent[0].id, result: { tokens: ["B"] } });
  na.reply({ id: na.sent[0].id, result: { tokens: ["A"] } });
  assert.deepEqual(a.sent, [{ type: "response", id: "same", result: { tokens: ["A"] } }]);
  assert.deepEqual(b.sent, [{ type: "response", id: "same", result: { tokens: ["B"] } }]);
});

test("one tab keeps one native port across requests (login lasts the renewal)", () => {
  const { runtime, page, send } = setup();
  const a = page(1, "https://ca.example/");
  send(a, "1", "login", { token: "t" });
  send(a, "2", "generateKeyPair", { token: "t", algorithm: "RSA-2048", label: "x" });
  assert.equal(runtime.natives.length, 1);
  assert.deepEqual(runtime.natives[0].sent.map((m) => m.op), ["login", "generateKeyPair"]);
});

test("progress goes to the requesting frame with its id; error answers pass through", () => {
  const { runtime, page, send } = setup();
  const a = page(1, "https://ca.example/");
  send(a, "g", "generateKeyPair", {});
  const n = runtime.natives[0];
  const id = n.sent[0].id;
  n.reply({ id, progress: { stage: "generatingKey" } });
  n.reply({ id, error: { code: "TOKEN_FULL", message: "full", details: {} } });
  assert.deepEqual(a.sent, [
    { type: "progress", id: "g", progress: { stage: "generatingKey" } },
    { type: "response", id: "g", error: { code: "TOKEN_FULL", message: "full", details: {} } },
  ]);
});

test("an answered op that writes the card (success or error) tells the card watch; reads and unanswered ops do not", () => {
  const written = [];
  const { runtime, page, send } = setup({ onCardWritten: (op) => written.push(op) });
  const a = page(1, "https://ca.example/");
  const ops = ["listTokens", "sign", "createCsr", "generateKeyPair", "installCertificate", "removeKey", "acceptCmpResponse"];
  ops.forEach((op, i) => send(a, `r${i}`, op, {}));
  send(a, "late", "createKeyUpdateRequest", {});
  const n = runtime.natives[0];
  assert.deepEqual(written, [], "nothing before the host answers");
  ops.forEach((_op, i) =>
    n.reply(i === 5 ? { id: n.sent[i].id, error: { code: "USER_CANCELLED", message: "no", details: {} } } : { id: n.sent[i].id, result: {} }),
  );
  assert.deepEqual(written, ["generateKeyPair", "installCertificate", "removeKey", "acceptCmpResponse"]);
  n.reply({ id: n.sent[ops.length].id, result: {} });
  assert.deepEqual(written.at(-1), "createKeyUpdateRequest");
});

test("an answer to a request naming a token tells the watch what it showed of the PIN: PIN_LOCKED as 'locked'", () => {
  const seen = [];
  const { runtime, page, send } = setup({ onPinAnswer: (token, pin, op) => seen.push([token, pin, op]) });
  const a = page(1, "https://ca.example/");
  send(a, "k", "generateKeyPair", { token: "t1", algorithm: "RSA", size: 2048 });
  send(a, "l", "login", { token: "t1" });
  send(a, "u", "unblockPin", { token: "t1" });
  send(a, "h", "hello", {});
  const n = runtime.natives[0];
  n.reply({ id: n.sent[0].id, error: { code: "PIN_LOCKED", message: "blocked", details: { pinState: "locked" } } });
  n.reply({ id: n.sent[1].id, error: { code: "USER_CANCELLED", message: "closed", details: {} } });
  n.reply({ id: n.sent[2].id, result: { unblocked: true } });
  n.reply({ id: n.sent[3].id, result: { host: "0.1.0" } });
  assert.deepEqual(seen, [
    ["t1", "locked", "generateKeyPair"],
    ["t1", "unknown", "login"],
    ["t1", "ok", "unblockPin"],
  ]);
});

test("host missing: lastError on disconnect becomes NATIVE_UNAVAILABLE with the reason and the fix", () => {
  const { runtime, page, send } = setup();
  const a = page(1, "https://ca.example/");
  send(a, "h", "hello", {});
  runtime.natives[0].die("Specified native messaging host not found.");
  assert.equal(a.sent.length, 1);
  const { error } = a.sent[0];
  assert.equal(error.code, "NATIVE_UNAVAILABLE");
  assert.equal(error.details.reason, "Specified native messaging host not found.");
  assert.equal(error.details.check, "cardbridge-host doctor");
  assert.match(error.message, /cardbridge-host doctor/);
  // The next request tries a new host process.
  send(a, "h2", "hello", {});
  assert.equal(runtime.natives.length, 2);
});

test("Firefox-style port.error is read when there is no lastError", () => {
  const runtime = fakeRuntime();
  const answers = [];
  const s = new NativeSession({ runtime, origin: "https://ca.example", lang: "en" });
  s.send("hello", {}, { onResponse: (a) => answers.push(a) });
  const port = runtime.natives[0];
  port.error = { message: "No such native application org.cardbridge.host" };
  port.onDisconnect.fire(port);
  assert.equal(answers[0].error.code, "NATIVE_UNAVAILABLE");
  assert.equal(answers[0].error.details.reason, "No such native application org.cardbridge.host");
});

test("an id-less host error before exit is kept in the NATIVE_UNAVAILABLE details", () => {
  const runtime = fakeRuntime();
  const answers = [];
  const s = new NativeSession({ runtime, origin: "https://ca.example", lang: "en" });
  s.send("hello", {}, { onResponse: (a) => answers.push(a) });
  const port = runtime.natives[0];
  port.reply({ id: null, error: { code: "ORIGIN_NOT_ALLOWED", message: "not our extension", details: {} } });
  port.die("Native host has exited.");
  assert.equal(answers[0].error.details.hostError.code, "ORIGIN_NOT_ALLOWED");
});

test("an id-less host error followed by a normal answer is not reported with a later NATIVE_UNAVAILABLE", () => {
  const runtime = fakeRuntime();
  const answers = [];
  const s = new NativeSession({ runtime, origin: "https://ca.example", lang: "en" });
  s.send("hello", {}, { onResponse: (a) => answers.push(a) });
  const port = runtime.natives[0];
  port.reply({ id: null, error: { code: "INVALID_MESSAGE", message: "nesting deeper than 64", details: {} } });
  port.reply({ id: port.sent[0].id, result: { host: "0.1.0" } });
  s.send("listTokens", {}, { onResponse: (a) => answers.push(a) });
  port.die("Native host has exited.");
  assert.equal(answers[1].error.code, "NATIVE_UNAVAILABLE");
  assert.equal(answers[1].error.details.hostError, undefined, "the old error was about something else");
});

test("closing the tab closes its native port at once", () => {
  const { runtime, page, send, closeTab } = setup();
  const a = page(7, "https://ca.example/");
  send(a, "1", "listTokens", {});
  closeTab(7);
  assert.ok(runtime.natives[0].disconnected);
});

test("navigating the tab to another origin closes the old session; a same-origin reload keeps it", () => {
  const { runtime, timers, page, send } = setup();
  const a = page(3, "https://ca.example/step1");
  send(a, "1", "login", { token: "t" });
  a.onDisconnect.fire(); // page unloads
  const a2 = page(3, "https://ca.example/step2");
  timers.runAll(); // the grace timer was cancelled by the reconnect: nothing to run
  send(a2, "2", "sign", {});
  assert.equal(runtime.natives.length, 1);
  assert.ok(!runtime.natives[0].disconnected);
  a2.onDisconnect.fire();
  const b = page(3, "https://other.example/");
  assert.ok(runtime.natives[0].disconnected, "closed as soon as the tab shows another origin");
  send(b, "3", "listTokens", {});
  assert.equal(runtime.natives[1].sent[0].origin, "https://other.example");
});

test("in its grace period a session is resumed only by a top frame; a sub-frame of its origin gets a new one", () => {
  // Logged in on ca.example; the tab goes to evil.example, which never uses CardBridge itself but frames a
  // ca.example page within the grace period: that frame must not ride on the user's login.
  const { runtime, page, send } = setup();
  const top = page(3, "https://ca.example/renew");
  send(top, "1", "login", { token: "t" });
  top.onDisconnect.fire();
  const framed = page(3, "https://ca.example/widget", { frameId: 7 });
  send(framed, "2", "sign", {});
  assert.equal(runtime.natives.length, 2, "a new host process: a new login");
  assert.ok(runtime.natives[0].disconnected, "the logged-in session is closed");
  assert.deepEqual(runtime.natives[1].sent.map((m) => m.op), ["sign"]);
});

test("a sub-frame joins its origin's session while a frame of that origin is connected", () => {
  const { runtime, page, send } = setup();
  const top = page(3, "https://ca.example/renew");
  send(top, "1", "login", { token: "t" });
  const frame = page(3, "https://ca.example/widget", { frameId: 7 });
  send(frame, "2", "sign", {});
  assert.equal(runtime.natives.length, 1);
  assert.deepEqual(runtime.natives[0].sent.map((m) => m.op), ["login", "sign"]);
});

test("a session without frames closes after the grace period", () => {
  const { runtime, timers, page, send } = setup();
  const a = page(4, "https://ca.example/");
  send(a, "1", "listTokens", {});
  a.onDisconnect.fire();
  assert.ok(!runtime.natives[0].disconnected);
  timers.runAll();
  assert.ok(runtime.natives[0].disconnected);
});

test("a frame of another origin in the tab gets its own session", () => {
  const { runtime, page, send } = setup();
  const top = page(5, "https://ca.example/");
  const frame = page(5, "https://widget.example/", { frameId: 3 });
  send(top, "1", "login", { token: "t" });
  send(frame, "1", "sign", {});
  assert.equal(runtime.natives.length, 2);
  assert.equal(runtime.natives[1].sent[0].origin, "https://widget.example");
});

test("cancel is translated to the host's id; another frame's id cannot be cancelled", () => {
  const { runtime, page, send } = setup();
  const a = page(1, "https://ca.example/");
  const b = page(1, "https://ca.example/", { frameId: 2 });
  send(a, "gen", "generateKeyPair", {});
  const n = runtime.natives[0];
  send(b, "c1", "cancel", { id: "gen" });
  assert.deepEqual(b.sent, [{ type: "response", id: "c1", result: { cancelled: false } }]);
  assert.equal(n.sent.length, 1, "nothing sent for b's cancel");
  send(a, "c2", "cancel", { id: "gen" });
  assert.equal(n.sent[1].op, "cancel");
  assert.deepEqual(n.sent[1].params, { id: n.sent[0].id });
});

test("a frame that goes away has its open requests cancelled on the host", () => {
  const { runtime, page, send } = setup();
  const a = page(1, "https://ca.example/");
  send(a, "pin", "login", { token: "t" });
  a.onDisconnect.fire();
  const n = runtime.natives[0];
  assert.deepEqual(n.sent.map((m) => m.op), ["login", "cancel"]);
  assert.deepEqual(n.sent[1].params, { id: n.sent[0].id });
});

test("insecure sender origin is refused in the background too", () => {
  const { runtime, page, send } = setup();
  const a = page(1, "http://evil.example/");
  send(a, "1", "listTokens", {});
  assert.equal(a.sent[0].error.code, "CONTEXT_INSECURE");
  assert.equal(runtime.natives.length, 0);
});

test("http loopback is passed on (the host's policy decides)", () => {
  const { runtime, page, send } = setup();
  send(page(1, "http://localhost:8080/"), "1", "hello", {});
  assert.equal(runtime.natives[0].sent[0].origin, "http://localhost:8080");
});

test("the extension's own page is stamped cardbridge:extension and closes with the page", () => {
  const { runtime, open, send } = setup();
  const p = open({ url: `chrome-extension://${EXT_ID}/popup/popup.html` });
  send(p, "1", "listTokens", {});
  assert.equal(runtime.natives[0].sent[0].origin, EXTENSION_ORIGIN);
  p.onDisconnect.fire();
  assert.ok(runtime.natives[0].disconnected);
});

test("subscribe is sent once per session; events fan out to subscribed frames only; last leaver unsubscribes", () => {
  const { runtime, page, send } = setup();
  const a = page(1, "https://ca.example/");
  const b = page(1, "https://ca.example/", { frameId: 1 });
  const c = page(1, "https://ca.example/", { frameId: 2 });
  send(a, "s1", "subscribe", {});
  const n = runtime.natives[0];
  n.reply({ id: n.sent[0].id, result: { subscribed: true } });
  send(b, "s2", "subscribe", {});
  assert.deepEqual(n.sent.map((m) => m.op), ["subscribe"]);
  assert.deepEqual(b.sent, [{ type: "response", id: "s2", result: { subscribed: true } }]);
  n.reply({ event: "tokenInserted", data: { reader: "R", token: "t" } });
  const ev = { type: "event", event: "tokenInserted", data: { reader: "R", token: "t" } };
  assert.deepEqual(a.sent.at(-1), ev);
  assert.deepEqual(b.sent.at(-1), ev);
  assert.equal(c.sent.length, 0);
  send(a, "u1", "unsubscribe", {});
  assert.deepEqual(n.sent.map((m) => m.op), ["subscribe"]);
  b.onDisconnect.fire();
  assert.deepEqual(n.sent.map((m) => m.op), ["subscribe", "unsubscribe"]);
});

test("malformed frame messages are ignored or answered, never forwarded", () => {
  const { runtime, page } = setup();
  const a = page(1, "https://ca.example/");
  a.onMessage.fire(null);
  a.onMessage.fire({ type: "request", id: 5, op: "hello" });
  a.onMessage.fire({ type: "request", id: "x", op: "sign", params: [1, 2] });
  assert.equal(runtime.natives.length, 0);
  assert.equal(a.sent[0].error.code, "INVALID_ARGUMENT");
});

test("a request after the host exited starts a new host for the same frame", () => {
  const { runtime, page, send } = setup();
  const a = page(1, "https://ca.example/");
  send(a, "1", "hello", {});
  runtime.natives[0].die("Native host has exited.");
  send(a, "2", "hello", {});
  assert.equal(runtime.natives.length, 2);
  runtime.natives[1].reply({ id: runtime.natives[1].sent[0].id, result: { host: "x" } });
  assert.deepEqual(a.sent.at(-1), { type: "response", id: "2", result: { host: "x" } });
});

test("subscribers arriving while the first subscribe is in flight share its failure; the next subscribe goes to the host", () => {
  const { runtime, page, send } = setup();
  const a = page(1, "https://ca.example/");
  const b = page(1, "https://ca.example/", { frameId: 1 });
  const c = page(1, "https://ca.example/", { frameId: 2 });
  send(a, "s1", "subscribe", {});
  send(b, "s2", "subscribe", {});
  const n = runtime.natives[0];
  assert.deepEqual(n.sent.map((m) => m.op), ["subscribe"], "one subscribe in flight");
  assert.deepEqual(b.sent, [], "b waits for the host's answer");
  const error = { code: "ORIGIN_NOT_ALLOWED", message: "refused", details: {} };
  n.reply({ id: n.sent[0].id, error });
  assert.deepEqual(a.sent, [{ type: "response", id: "s1", error }]);
  assert.deepEqual(b.sent, [{ type: "response", id: "s2", error }]);
  // Nobody is subscribed now: the next subscribe asks the host again instead of being answered locally.
  send(c, "s3", "subscribe", {});
  assert.deepEqual(n.sent.map((m) => m.op), ["subscribe", "subscribe"]);
  assert.deepEqual(c.sent, []);
  n.reply({ id: n.sent[1].id, result: { subscribed: true } });
  assert.deepEqual(c.sent, [{ type: "response", id: "s3", result: { subscribed: true } }]);
  n.reply({ event: "readerAdded", data: { reader: "R" } });
  assert.equal(a.sent.length, 1, "a, whose subscribe failed, gets no events");
  assert.equal(b.sent.length, 1, "b, whose subscribe failed, gets no events");
  assert.deepEqual(c.sent.at(-1), { type: "event", event: "readerAdded", data: { reader: "R" } });
});

test("a subscriber waiting on the first subscribe is answered when it succeeds", () => {
  const { runtime, page, send } = setup();
  const a = page(1, "https://ca.example/");
  const b = page(1, "https://ca.example/", { frameId: 1 });
  send(a, "s1", "subscribe", {});
  send(b, "s2", "subscribe", {});
  const n = runtime.natives[0];
  assert.deepEqual(b.sent, [], "not answered before the host is watching");
  n.reply({ id: n.sent[0].id, result: { subscribed: true } });
  assert.deepEqual(a.sent, [{ type: "response", id: "s1", result: { subscribed: true } }]);
  assert.deepEqual(b.sent, [{ type: "response", id: "s2", result: { subscribed: true } }]);
  assert.deepEqual(n.sent.map((m) => m.op), ["subscribe"]);
});

test("when every subscriber leaves during the first subscribe, the next subscriber starts its own", () => {
  const { runtime, page, send } = setup();
  const a = page(1, "https://ca.example/");
  const b = page(1, "https://ca.example/", { frameId: 1 });
  const c = page(1, "https://ca.example/", { frameId: 2 });
  send(a, "s1", "subscribe", {});
  send(b, "s2", "subscribe", {});
  a.onDisconnect.fire();
  send(b, "u2", "unsubscribe", {});
  const n = runtime.natives[0];
  assert.deepEqual(n.sent.map((m) => m.op), ["subscribe", "unsubscribe"]);
  send(c, "s3", "subscribe", {});
  assert.deepEqual(n.sent.map((m) => m.op), ["subscribe", "unsubscribe", "subscribe"]);
  // The abandoned subscribe's answer settles b's request but does not answer c, whose own is pending.
  n.reply({ id: n.sent[0].id, result: { subscribed: true } });
  assert.deepEqual(b.sent.filter((m) => m.id === "s2"), [{ type: "response", id: "s2", result: { subscribed: true } }]);
  assert.deepEqual(c.sent, []);
  n.reply({ id: n.sent[2].id, result: { subscribed: true } });
  assert.deepEqual(c.sent, [{ type: "response", id: "s3", result: { subscribed: true } }]);
});

test("the first subscriber leaving does not cancel the subscribe others wait on", () => {
  const { runtime, page, send } = setup();
  const a = page(1, "https://ca.example/");
  const b = page(1, "https://ca.example/", { frameId: 1 });
  send(a, "s1", "subscribe", {});
  send(b, "s2", "subscribe", {});
  a.onDisconnect.fire();
  const n = runtime.natives[0];
  assert.deepEqual(n.sent.map((m) => m.op), ["subscribe"], "no cancel, no unsubscribe: b still wants the watch");
  n.reply({ id: n.sent[0].id, result: { subscribed: true } });
  assert.deepEqual(b.sent, [{ type: "response", id: "s2", result: { subscribed: true } }]);
  n.reply({ event: "readerAdded", data: { reader: "R" } });
  assert.deepEqual(b.sent.at(-1), { type: "event", event: "readerAdded", data: { reader: "R" } });
});

test("a later subscriber of the session gets the readers and cards already present; earlier ones get no duplicates", () => {
  const { runtime, page, send } = setup();
  const a = page(1, "https://ca.example/");
  const b = page(1, "https://ca.example/", { frameId: 1 });
  const c = page(1, "https://ca.example/", { frameId: 2 });
  const event = (name, data) => ({ type: "event", event: name, data });
  const inserted = { reader: "R1", token: "t1", atr: "3B00", module: "/m.so", moduleMatched: true };
  const softToken = { reader: "SoftHSM slot", token: "t9", module: "/softhsm.so", moduleMatched: true };
  send(a, "s1", "subscribe", {});
  const n = runtime.natives[0];
  // What the host reports at once on subscribe (before or after its answer).
  n.reply({ event: "readerAdded", data: { reader: "R1" } });
  n.reply({ event: "readerAdded", data: { reader: "R2" } });
  n.reply({ id: n.sent[0].id, result: { subscribed: true } });
  n.reply({ event: "tokenInserted", data: inserted });
  n.reply({ event: "tokenInserted", data: softToken });
  send(b, "s2", "subscribe", {});
  assert.deepEqual(b.sent, [
    event("readerAdded", { reader: "R1" }),
    event("tokenInserted", inserted),
    event("readerAdded", { reader: "R2" }),
    event("tokenInserted", softToken),
    { type: "response", id: "s2", result: { subscribed: true } },
  ]);
  assert.deepEqual(n.sent.map((m) => m.op), ["subscribe"], "the host is not asked again");
  assert.equal(a.sent.filter((m) => m.type === "event").length, 4, "a saw each event once");
  // Removals update what a newcomer is told.
  n.reply({ event: "tokenRemoved", data: { reader: "R1", token: "t1" } });
  n.reply({ event: "readerRemoved", data: { reader: "R2" } });
  send(c, "s3", "subscribe", {});
  assert.deepEqual(c.sent, [
    event("readerAdded", { reader: "R1" }),
    event("tokenInserted", softToken),
    { type: "response", id: "s3", result: { subscribed: true } },
  ]);
  assert.equal(a.sent.filter((m) => m.type === "event").length, 6);
  assert.equal(b.sent.filter((m) => m.type === "event").length, 6);
  // A frame that subscribes again is told nothing twice.
  send(b, "s4", "subscribe", {});
  assert.deepEqual(b.sent.at(-1), { type: "response", id: "s4", result: { subscribed: true } });
  assert.equal(b.sent.filter((m) => m.type === "event").length, 6);
});

test("a subscriber joining while the first subscribe is in flight gets what was reported so far, then the rest live", () => {
  const { runtime, page, send } = setup();
  const a = page(1, "https://ca.example/");
  const b = page(1, "https://ca.example/", { frameId: 1 });
  send(a, "s1", "subscribe", {});
  const n = runtime.natives[0];
  n.reply({ event: "readerAdded", data: { reader: "R1" } });
  send(b, "s2", "subscribe", {});
  n.reply({ event: "readerAdded", data: { reader: "R2" } });
  n.reply({ id: n.sent[0].id, result: { subscribed: true } });
  const readers = (port) => port.sent.filter((m) => m.type === "event").map((m) => m.data.reader);
  assert.deepEqual(readers(a), ["R1", "R2"]);
  assert.deepEqual(readers(b), ["R1", "R2"]);
});

test("after the watch stopped, a new watch starts from what the host reports afresh, not from old state", () => {
  const { runtime, page, send } = setup();
  const a = page(1, "https://ca.example/");
  const b = page(1, "https://ca.example/", { frameId: 1 });
  const c = page(1, "https://ca.example/", { frameId: 2 });
  send(a, "s1", "subscribe", {});
  const n = runtime.natives[0];
  n.reply({ event: "readerAdded", data: { reader: "R1" } });
  n.reply({ id: n.sent[0].id, result: { subscribed: true } });
  send(a, "u1", "unsubscribe", {});
  n.reply({ id: n.sent[1].id, result: { subscribed: false } });
  // R1 was unplugged while nobody watched; the new watch reports only R2.
  send(b, "s2", "subscribe", {});
  assert.deepEqual(n.sent.map((m) => m.op), ["subscribe", "unsubscribe", "subscribe"]);
  assert.deepEqual(b.sent, [], "nothing replayed from the stopped watch");
  n.reply({ event: "readerAdded", data: { reader: "R2" } });
  n.reply({ id: n.sent[2].id, result: { subscribed: true } });
  send(c, "s3", "subscribe", {});
  assert.deepEqual(
    c.sent.filter((m) => m.type === "event").map((m) => m.data.reader),
    ["R2"],
    "what the stopped watch reported is forgotten",
  );
});

test("when the host goes away, each subscribed frame is told its watch ended", () => {
  const { runtime, page, send } = setup();
  const a = page(1, "https://ca.example/");
  const b = page(1, "https://ca.example/", { frameId: 1 });
  const c = page(1, "https://ca.example/", { frameId: 2 });
  send(a, "s1", "subscribe", {});
  const n = runtime.natives[0];
  n.reply({ id: n.sent[0].id, result: { subscribed: true } });
  send(b, "s2", "subscribe", {});
  send(c, "h", "hello", {});
  n.die("Native host has exited.");
  const ended = { type: "watchEnded", reason: "Native host has exited." };
  assert.deepEqual(a.sent.at(-1), ended);
  assert.deepEqual(b.sent.at(-1), ended);
  assert.ok(!c.sent.some((m) => m.type === "watchEnded"), "c never subscribed");
  // The next subscribe starts a watch on a new host.
  send(a, "s3", "subscribe", {});
  assert.equal(runtime.natives.length, 2);
  assert.deepEqual(runtime.natives[1].sent.map((m) => m.op), ["subscribe"]);
});

test("a frame whose subscribe was still unanswered when the host went away gets the error, not watchEnded", () => {
  const { runtime, page, send } = setup();
  const a = page(1, "https://ca.example/");
  const b = page(1, "https://ca.example/", { frameId: 1 });
  send(a, "s1", "subscribe", {});
  send(b, "s2", "subscribe", {});
  runtime.natives[0].die("Native host has exited.");
  for (const [port, id] of [[a, "s1"], [b, "s2"]]) {
    assert.deepEqual(port.sent.map((m) => m.type), ["response"]);
    assert.equal(port.sent[0].id, id);
    assert.equal(port.sent[0].error.code, "NATIVE_UNAVAILABLE");
  }
});

test("measureJson counts UTF-8 bytes as browsers frame them and nesting as the host does", () => {
  const plain = JSON.stringify({ a: ["zażółć", 1, { b: "😀" }], c: 'q"\\' });
  assert.deepEqual(measureJson(plain), { bytes: Buffer.byteLength(plain), depth: 3 });
  // Chromium escapes these (6 bytes each) and writes an integral double beyond int32 with ".0".
  assert.equal(measureJson(JSON.stringify("<\u007f")).bytes, 2 + 12);
  assert.equal(measureJson(JSON.stringify("\u2028")).bytes, 2 + 6);
  assert.equal(measureJson("[3000000000,2147483647,-2147483649,1.5,1e21]").bytes, 44 + 2 + 2);
  // Brackets inside strings are text, not nesting.
  const brackets = JSON.stringify({ s: "[[[{{{\\\"" });
  assert.deepEqual(measureJson(brackets), { bytes: Buffer.byteLength(brackets), depth: 1 });
});

function nested(levels) {
  let v = {};
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
}

test("params nested deeper than the host reads are INVALID_ARGUMENT and never sent; the limit itself is sent", () => {
  const runtime = fakeRuntime();
  const answers = [];
  const s = new NativeSession({ runtime, origin: "https://ca.example", lang: "en" });
  // The request object is level 1, so params may nest HOST_MAX_JSON_DEPTH - 1 levels.
  s.send("sign", nested(HOST_MAX_JSON_DEPTH), { onResponse: (a) => answers.push(a) });
  assert.equal(answers.length, 1);
  assert.equal(answers[0].error.code, "INVALID_ARGUMENT");
  assert.equal(answers[0].error.details.field, "params");
  assert.equal(runtime.natives.length, 0, "nothing sent, no host started");
  // request, params, list, then the objects: HOST_MAX_JSON_DEPTH levels in all.
  s.send("sign", { list: [nested(HOST_MAX_JSON_DEPTH - 3)] }, { onResponse: (a) => answers.push(a) });
  assert.equal(answers.length, 1);
  assert.equal(runtime.natives[0].sent.length, 1, "exactly at the limit goes to the host");
});

test("a request over the host's frame cap is MESSAGE_TOO_LARGE and never sent; the session stays usable", () => {
  const runtime = fakeRuntime();
  const answers = [];
  const s = new NativeSession({ runtime, origin: "https://ca.example", lang: "en" });
  s.send("hello", {}, { onResponse: (a) => answers.push(a) });
  const port = runtime.natives[0];
  s.send("installCertificate", { certificates: ["A".repeat(HOST_MAX_FRAME_BYTES)] }, { onResponse: (a) => answers.push(a) });
  // Under the cap as JSON.stringify writes it, over it as Chromium writes it.
  s.send("sign", { data: "<".repeat(HOST_MAX_FRAME_BYTES / 4) }, { onResponse: (a) => answers.push(a) });
  assert.deepEqual(answers.map((a) => a.error?.code), ["MESSAGE_TOO_LARGE", "MESSAGE_TOO_LARGE"]);
  assert.equal(answers[0].error.details.limit, HOST_MAX_FRAME_BYTES);
  assert.ok(answers[0].error.details.length > HOST_MAX_FRAME_BYTES);
  assert.deepEqual(port.sent.map((m) => m.op), ["hello"]);
  assert.ok(!port.disconnected);
  s.send("installCertificate", { certificates: ["A".repeat(HOST_MAX_FRAME_BYTES - 200)] }, { onResponse: () => {} });
  assert.deepEqual(port.sent.map((m) => m.op), ["hello", "installCertificate"], "just under the cap is sent");
});

test("params that cannot be written as JSON are INVALID_ARGUMENT, and the session survives", () => {
  const runtime = fakeRuntime();
  const answers = [];
  const s = new NativeSession({ runtime, origin: "https://ca.example", lang: "en" });
  const cyclic = {};
  cyclic.self = cyclic;
  s.send("sign", cyclic, { onResponse: (a) => answers.push(a) });
  s.send("sign", { n: 1n }, { onResponse: (a) => answers.push(a) });
  assert.deepEqual(answers.map((a) => [a.error.code, a.error.details.field]), [["INVALID_ARGUMENT", "params"], ["INVALID_ARGUMENT", "params"]]);
  s.send("hello", {}, { onResponse: () => {} });
  assert.equal(runtime.natives[0].sent.length, 1);
});

test("a request refused before sending leaves nothing for the frame to cancel", () => {
  const { runtime, page, send } = setup();
  const a = page(1, "https://ca.example/");
  send(a, "h", "hello", {});
  send(a, "big", "sign", { data: "A".repeat(HOST_MAX_FRAME_BYTES) });
  assert.equal(a.sent.at(-1).error.code, "MESSAGE_TOO_LARGE");
  send(a, "c", "cancel", { id: "big" });
  assert.deepEqual(a.sent.at(-1), { type: "response", id: "c", result: { cancelled: false } });
  a.onDisconnect.fire();
  const n = runtime.natives[0];
  assert.deepEqual(n.sent.map((m) => m.op), ["hello", "cancel"], "only the pending hello is cancelled");
  assert.deepEqual(n.sent[1].params, { id: n.sent[0].id });
});
