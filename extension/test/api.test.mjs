import { test } from "node:test";
import assert from "node:assert/strict";
import { createClient, CardBridgeError, PROTOCOL_VERSION, isAllowedContext } from "../api/cardbridge.js";
import { fakeWindow, fakeExtension, hostLike, HELLO, sleep, eventually } from "./fakes.mjs";

// Short enough to keep the suite fast, long enough for a busy CI machine to deliver an ack.
const ACK_MS = 250;
const fast = (win) => createClient({ window: win, ackTimeoutMs: ACK_MS });

test("status resolves extension, host, protocol and operations from hello", async () => {
  const win = fakeWindow();
  const ext = fakeExtension(win, hostLike(), { version: "9.8.7" });
  const s = await fast(win).status();
  assert.deepEqual(s, { extension: "9.8.7", host: "0.1.0", protocol: "1.0.0", operations: HELLO.operations });
  assert.equal(ext.requests[0].op, "hello");
  // Posted only to the page's own origin, never "*".
  assert.ok(win.posted.every((p) => p.targetOrigin === "https://ca.example"));
});

test("status_noExtensionAnswer_rejectsExtensionUnavailableAfterAckTimeout", async () => {
  const win = fakeWindow();
  const started = Date.now();
  await assert.rejects(fast(win).status(), (e) => {
    assert.ok(e instanceof CardBridgeError);
    assert.equal(e.code, "EXTENSION_UNAVAILABLE");
    return true;
  });
  assert.ok(Date.now() - started >= ACK_MS - 5);
});

test("a slow operation after the ack is not EXTENSION_UNAVAILABLE", async () => {
  const win = fakeWindow();
  fakeExtension(
    win,
    hostLike((m, reply) => setTimeout(() => reply({ type: "response", result: { tokens: [] } }), ACK_MS + 150)),
  );
  assert.deepEqual(await fast(win).listTokens(), { tokens: [] });
});

test("host error becomes CardBridgeError with code, message and details", async () => {
  const win = fakeWindow();
  fakeExtension(
    win,
    hostLike((m, reply) =>
      reply({ type: "response", error: { code: "PIN_INCORRECT", message: "wrong PIN", details: { triesLeft: 2 } } }),
    ),
  );
  await assert.rejects(fast(win).login({ token: "t1" }), (e) => {
    assert.ok(e instanceof CardBridgeError);
    assert.ok(e instanceof Error);
    assert.equal(e.code, "PIN_INCORRECT");
    assert.equal(e.message, "wrong PIN");
    assert.deepEqual(e.details, { triesLeft: 2 });
    return true;
  });
});

test("an unknown code from a newer host is INTERNAL_ERROR keeping the original", async () => {
  const e = new CardBridgeError("SOMETHING_NEW", "x", { a: 1 });
  assert.equal(e.code, "INTERNAL_ERROR");
  assert.equal(e.details.unknownCode, "SOMETHING_NEW");
});

test("params go to the extension verbatim and the result comes back verbatim", async () => {
  const win = fakeWindow();
  const result = { signature: "AAEC", signatureAlgorithm: "SHA256withRSA", format: "raw" };
  const ext = fakeExtension(win, hostLike((m, reply) => reply({ type: "response", result })));
  const params = { certificate: "c1", hash: "q83v", hashAlgorithm: "SHA-256", format: "raw", description: "wniosek" };
  assert.deepEqual(await fast(win).sign(params), result);
  const sent = ext.requests.find((r) => r.op === "sign");
  assert.deepEqual(sent.params, params);
  assert.equal(sent.origin, undefined, "the page never names its origin");
});

test("plain http page that is not loopback gets CONTEXT_INSECURE and sends nothing", async () => {
  const win = fakeWindow("http://ca.example/renew");
  const ext = fakeExtension(win, hostLike());
  await assert.rejects(fast(win).status(), { code: "CONTEXT_INSECURE" });
  await assert.rejects(fast(win).listTokens(), { code: "CONTEXT_INSECURE" });
  assert.equal(ext.requests.length, 0);
});

test("isAllowedContext: https and http loopback only", () => {
  assert.ok(isAllowedContext(new URL("https://a.example")));
  assert.ok(isAllowedContext(new URL("http://localhost:8080/x")));
  assert.ok(isAllowedContext(new URL("http://127.0.0.1/x")));
  assert.ok(!isAllowedContext(new URL("http://localhost.evil.example/")));
  assert.ok(!isAllowedContext(new URL("http://127.0.0.2/")));
  assert.ok(!isAllowedContext(new URL("file:///tmp/x.html")));
});

test("host with another protocol major is VERSION_MISMATCH saying which side to update", async () => {
  for (const [protocol, update] of [["2.0.0", "library"], ["0.9.0", "host"]]) {
    const win = fakeWindow();
    fakeExtension(win, (m, reply) => reply({ type: "response", result: { ...HELLO, protocol } }));
    await assert.rejects(fast(win).status(), (e) => {
      assert.equal(e.code, "VERSION_MISMATCH");
      assert.equal(e.details.update, update);
      assert.equal(e.details.library, PROTOCOL_VERSION);
      return true;
    });
  }
});

test("same major, newer minor is compatible", async () => {
  const win = fakeWindow();
  fakeExtension(win, (m, reply) => reply({ type: "response", result: { ...HELLO, protocol: "1.7.2" } }));
  assert.equal((await fast(win).status()).protocol, "1.7.2");
});

test("operations check the version once and refuse on mismatch", async () => {
  const win = fakeWindow();
  const ext = fakeExtension(win, (m, reply) => reply({ type: "response", result: { ...HELLO, protocol: "3.0.0" } }));
  const c = fast(win);
  await assert.rejects(c.listTokens(), { code: "VERSION_MISMATCH" });
  await assert.rejects(c.listTokens(), { code: "VERSION_MISMATCH" });
  assert.deepEqual(ext.requests.map((r) => r.op), ["hello"], "listTokens never sent");
});

test("handshake failure that can go away (no host) is retried on the next call", async () => {
  const win = fakeWindow();
  let hostThere = false;
  const ext = fakeExtension(win, (m, reply) => {
    if (!hostThere) {
      reply({ type: "response", error: { code: "NATIVE_UNAVAILABLE", message: "not installed", details: {} } });
    } else if (m.op === "hello") reply({ type: "response", result: HELLO });
    else reply({ type: "response", result: { tokens: [] } });
  });
  const c = fast(win);
  await assert.rejects(c.listTokens(), { code: "NATIVE_UNAVAILABLE" });
  hostThere = true;
  assert.deepEqual(await c.listTokens(), { tokens: [] });
  assert.deepEqual(ext.requests.map((r) => r.op), ["hello", "hello", "listTokens"]);
});

test("progress reaches onProgress before the result", async () => {
  const win = fakeWindow();
  fakeExtension(
    win,
    hostLike((m, reply) => {
      reply({ type: "progress", progress: { stage: "generatingKey" } });
      setTimeout(() => reply({ type: "response", result: { key: "k1" } }), 10);
    }),
  );
  const seen = [];
  const r = await fast(win).generateKeyPair(
    { token: "t", algorithm: "RSA-2048", label: "x" },
    { onProgress: (p) => seen.push(p.stage) },
  );
  assert.deepEqual(seen, ["generatingKey"]);
  assert.deepEqual(r, { key: "k1" });
});

test("AbortSignal rejects REQUEST_CANCELLED and sends cancel for that request's id", async () => {
  const win = fakeWindow();
  const ext = fakeExtension(win, hostLike(() => {})); // the host never answers generateKeyPair
  const ac = new AbortController();
  const p = fast(win).generateKeyPair({ token: "t", algorithm: "RSA-2048", label: "x" }, { signal: ac.signal });
  await eventually(() => assert.ok(ext.requests.some((r) => r.op === "generateKeyPair")));
  ac.abort();
  await assert.rejects(p, { code: "REQUEST_CANCELLED" });
  const cancel = await eventually(() => {
    const c = ext.requests.find((r) => r.op === "cancel");
    assert.ok(c, "cancel was sent");
    return c;
  });
  const gen = ext.requests.find((r) => r.op === "generateKeyPair");
  assert.deepEqual(cancel.params, { id: gen.id });
});

test("already aborted signal sends nothing", async () => {
  const win = fakeWindow();
  const ext = fakeExtension(win, hostLike());
  const ac = new AbortController();
  ac.abort();
  const c = fast(win);
  await c.status();
  await assert.rejects(c.sign({ certificate: "c" }, { signal: ac.signal }), { code: "REQUEST_CANCELLED" });
  assert.deepEqual(ext.requests.map((r) => r.op), ["hello"]);
});

test("timeout rejects ACTION_TIMEOUT and cancels on the host", async () => {
  const win = fakeWindow();
  const ext = fakeExtension(win, hostLike(() => {}));
  const c = fast(win);
  await c.status();
  await assert.rejects(c.login({ token: "t" }, { timeout: 80 }), (e) => {
    assert.equal(e.code, "ACTION_TIMEOUT");
    assert.equal(e.details.op, "login");
    return true;
  });
  await eventually(() => assert.ok(ext.requests.some((r) => r.op === "cancel")));
  const login = ext.requests.find((r) => r.op === "login");
  assert.deepEqual(ext.requests.find((r) => r.op === "cancel")?.params, { id: login.id });
});

test("a late answer after a timeout is ignored", async () => {
  const win = fakeWindow();
  fakeExtension(win, hostLike((m, reply) => setTimeout(() => reply({ type: "response", result: { late: true } }), 60)));
  const c = fast(win);
  await c.status();
  await assert.rejects(c.listTokens({}, { timeout: 20 }), { code: "ACTION_TIMEOUT" });
  await sleep(80); // no throw, no unhandled rejection
});

test("on() subscribes once, events reach listeners, off() of the last listener unsubscribes", async () => {
  const win = fakeWindow();
  let emit;
  const ext = fakeExtension(
    win,
    hostLike((m, reply) => {
      if (m.op === "subscribe") {
        reply({ type: "response", result: { subscribed: true } });
        emit = (event, data) =>
          win.postMessage({ source: "cardbridge-extension", type: "event", event, data }, win.location.origin);
      } else reply({ type: "response", result: { subscribed: false } });
    }),
  );
  const c = fast(win);
  const got = [];
  const a = (d) => got.push(["a", d.reader]);
  const b = (d) => got.push(["b", d.reader]);
  await c.on("tokenInserted", a);
  await c.on("tokenRemoved", b);
  emit("tokenInserted", { reader: "R1" });
  emit("tokenRemoved", { reader: "R1" });
  emit("readerAdded", { reader: "R2" });
  await eventually(() => assert.equal(got.length, 2));
  await sleep(20); // the readerAdded event, which nobody listens to, has had its turn too
  assert.deepEqual(got, [["a", "R1"], ["b", "R1"]]);
  await c.off("tokenInserted", a);
  assert.equal(ext.requests.filter((r) => r.op === "unsubscribe").length, 0);
  await c.off("tokenRemoved", b);
  await eventually(() =>
    assert.deepEqual(ext.requests.map((r) => r.op).filter((o) => o.endsWith("subscribe")), ["subscribe", "unsubscribe"]),
  );
});

test("on() refuses unknown events and non-functions", () => {
  const c = fast(fakeWindow());
  assert.throws(() => c.on("cardInserted", () => {}), TypeError);
  assert.throws(() => c.on("tokenInserted", "x"), TypeError);
});

test("messages from other windows or without our tag are ignored", async () => {
  const win = fakeWindow();
  const c = fast(win);
  const p = c.status();
  await sleep(1);
  const hello = win.posted.find((m) => m.data.op === "hello").data;
  const forged = { source: "cardbridge-extension", type: "response", id: hello.id, result: { ...HELLO, host: "forged" } };
  // Another frame posting into us: event.source is not our window.
  win.deliver({ source: "cardbridge-extension", type: "ack", id: hello.id }, {});
  win.deliver(forged, {});
  // Same window but not tagged as coming from the extension.
  win.deliver({ ...forged, source: "someone-else" }, win);
  await assert.rejects(p, { code: "EXTENSION_UNAVAILABLE" });
  // Control: the same message from our own window is taken.
  const q = c.status();
  await sleep(1);
  const hello2 = win.posted.filter((m) => m.data.op === "hello").at(-1).data;
  win.deliver({ source: "cardbridge-extension", type: "ack", id: hello2.id }, win);
  win.deliver({ ...forged, id: hello2.id }, win);
  assert.equal((await q).host, "forged");
});

test("status has its own default timeout even when options name none", async () => {
  const win = fakeWindow();
  fakeExtension(win, () => {}); // acks, never answers
  const c = createClient({ window: win, ackTimeoutMs: ACK_MS, statusTimeoutMs: ACK_MS + 150 });
  await assert.rejects(c.status({}, { timeout: undefined }), { code: "ACTION_TIMEOUT" });
  await assert.rejects(c.status(), { code: "ACTION_TIMEOUT" });
});

test("a sandboxed (opaque-origin) document gets CONTEXT_INSECURE, not EXTENSION_UNAVAILABLE, and sends nothing", async () => {
  // A sandboxed iframe or a CSP-sandboxed page of the CA: location still names https://ca.example, but
  // the document's origin is opaque, so a message posted to location.origin would never arrive.
  const win = fakeWindow("https://ca.example/sandboxed");
  win.origin = "null";
  const ext = fakeExtension(win, hostLike());
  const c = fast(win);
  for (const call of [() => c.status(), () => c.listTokens(), () => c.on("tokenInserted", () => {})]) {
    await assert.rejects(call(), (e) => {
      assert.equal(e.code, "CONTEXT_INSECURE");
      assert.match(e.message, /sandboxed|opaque/);
      return true;
    });
  }
  assert.equal(win.posted.length, 0);
  assert.equal(ext.requests.length, 0);
});

test("aborting one call during the shared version check cancels that call only", async () => {
  const win = fakeWindow();
  let answerHello;
  const ext = fakeExtension(win, (m, reply) => {
    if (m.op === "hello") answerHello = () => reply({ type: "response", result: HELLO });
    else if (m.op === "listTokens") reply({ type: "response", result: { tokens: [] } });
  });
  const c = fast(win);
  const ac = new AbortController();
  const aborted = c.listTokens({}, { signal: ac.signal });
  const other = c.listTokens();
  await eventually(() => assert.ok(answerHello, "hello sent"));
  ac.abort();
  await assert.rejects(aborted, { code: "REQUEST_CANCELLED" });
  answerHello();
  assert.deepEqual(await other, { tokens: [] });
  const ops = ext.requests.map((r) => r.op);
  assert.deepEqual(ops.filter((o) => o === "hello"), ["hello"], "one shared check");
  assert.ok(!ops.includes("cancel"), "the shared hello is not cancelled");
  assert.deepEqual(ops.filter((o) => o === "listTokens"), ["listTokens"], "the aborted call never sent");
});

/** An extension that answers subscribe and lets the test end the watch as the background does. */
function watchingExtension(win) {
  const ext = fakeExtension(
    win,
    hostLike((m, reply) => {
      if (m.op === "subscribe") reply({ type: "response", result: { subscribed: true } });
      else if (m.op === "unsubscribe") reply({ type: "response", result: { subscribed: false } });
      else reply({ type: "response", result: { tokens: [] } });
    }),
  );
  const toPage = (msg) => win.postMessage({ source: "cardbridge-extension", ...msg }, win.location.origin);
  return {
    ...ext,
    ops: () => ext.requests.map((r) => r.op),
    endWatch: () => toPage({ type: "watchEnded", reason: "Native host has exited." }),
    emit: (event, data) => toPage({ type: "event", event, data }),
    toPage,
  };
}

test("watchEnded after a watch that ran 5 s or more: the library subscribes again at once", async () => {
  const win = fakeWindow();
  const ext = watchingExtension(win);
  let clock = 1_000_000;
  const c = createClient({ window: win, ackTimeoutMs: ACK_MS, now: () => clock });
  const got = [];
  await c.on("tokenInserted", (d) => got.push(d.reader));
  clock += 5000;
  ext.toPage({ type: "somethingNewer", detail: 1 }); // a type this library does not know is ignored
  ext.endWatch();
  await eventually(() => assert.deepEqual(ext.ops(), ["subscribe", "subscribe"]));
  ext.emit("tokenInserted", { reader: "R" });
  await eventually(() => assert.deepEqual(got, ["R"]));
});

test("watchEnded within 5 s of subscribing: no restart until the page's next call or on()", async () => {
  const win = fakeWindow();
  const ext = watchingExtension(win);
  let clock = 1_000_000;
  const c = createClient({ window: win, ackTimeoutMs: ACK_MS, now: () => clock });
  await c.on("tokenInserted", () => {});
  clock += 4999;
  ext.endWatch();
  await sleep(30);
  assert.deepEqual(ext.ops(), ["subscribe"], "a host that dies right after subscribing causes no loop");
  await c.listTokens();
  await eventually(() => assert.deepEqual(ext.ops().filter((o) => o === "subscribe"), ["subscribe", "subscribe"]));
  // Again within 5 s: this time on() restarts it.
  ext.endWatch();
  await sleep(30);
  assert.equal(ext.ops().filter((o) => o === "subscribe").length, 2);
  await c.on("tokenRemoved", () => {});
  assert.equal(ext.ops().filter((o) => o === "subscribe").length, 3);
});

test("watchEnded with no listener left subscribes nothing, now or later", async () => {
  const win = fakeWindow();
  const ext = watchingExtension(win);
  let clock = 1_000_000;
  const c = createClient({ window: win, ackTimeoutMs: ACK_MS, now: () => clock });
  const fn = () => {};
  await c.on("tokenInserted", fn);
  await c.off("tokenInserted", fn);
  clock += 10_000;
  ext.endWatch();
  await c.listTokens();
  await sleep(30);
  assert.deepEqual(ext.ops(), ["subscribe", "unsubscribe", "hello", "listTokens"]);
});
