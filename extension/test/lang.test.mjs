// The page chooses the language of the host's windows per call: page API option → content script →
// router → native session → the request's `lang` field. Each hop is the real module; only the browser is faked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";
import { createClient, CardBridgeError } from "../api/cardbridge.js";
import { Router } from "../background/router.js";
import { fakeWindow, fakeExtension, hostLike, fakePort, fakeRuntime, manualTimers, events, eventually } from "./fakes.mjs";

const EXT_ID = "ofgjjddghmifhcdedhlchefmbecfflch";

test("page API: the lang option goes with the request; without it nothing is added", async () => {
  const win = fakeWindow();
  const ext = fakeExtension(win, hostLike((m, reply) => reply({ type: "response", result: { tokens: [] } })));
  const client = createClient({ window: win, ackTimeoutMs: 250 });
  await client.listTokens({}, { lang: "pl" });
  await client.listTokens({});
  const sent = ext.requests.filter((r) => r.op === "listTokens");
  assert.equal(sent[0].lang, "pl");
  assert.ok(!("lang" in sent[1]), "no lang: the browser's language applies");
});

test("page API: a lang other than pl/en is INVALID_ARGUMENT and nothing is sent", async () => {
  const win = fakeWindow();
  const ext = fakeExtension(win, hostLike());
  const client = createClient({ window: win, ackTimeoutMs: 250 });
  for (const lang of ["de", "PL", "", 1, null]) {
    await assert.rejects(client.sign({ token: "t", key: "k", data: "AA==" }, { lang }), (e) => {
      assert.ok(e instanceof CardBridgeError);
      assert.equal(e.code, "INVALID_ARGUMENT");
      assert.equal(e.details.field, "lang");
      return true;
    });
  }
  assert.deepEqual(ext.requests.filter((r) => r.op !== "hello"), [], "only the compatibility check went out");
});

test("content script relays lang as the page gave it", async () => {
  const source = readFileSync(new URL("../content.js", import.meta.url), "utf8");
  const win = fakeWindow("https://ca.example/renew");
  const ports = [];
  const chrome = {
    runtime: {
      getManifest: () => ({ version: "0.1.0" }),
      onConnect: events(),
      connect: ({ name }) => {
        const p = fakePort(name, {});
        ports.push(p);
        return p;
      },
    },
  };
  vm.runInNewContext(source, { window: win, chrome, globalThis: { chrome } });
  win.postMessage({ source: "cardbridge-page", type: "request", id: "a1", op: "login", params: {}, lang: "pl" }, win.location.origin);
  win.postMessage({ source: "cardbridge-page", type: "request", id: "a2", op: "login", params: {} }, win.location.origin);
  await eventually(() => assert.equal(ports[0]?.sent.length, 2));
  assert.deepEqual(ports[0].sent[0], { type: "request", id: "a1", op: "login", params: {}, lang: "pl" });
  assert.deepEqual(ports[0].sent[1], { type: "request", id: "a2", op: "login", params: {} });
});

function router(uiLang) {
  const runtime = fakeRuntime();
  const r = new Router({ runtime, tabs: { onRemoved: events() }, i18n: { getUILanguage: () => uiLang }, timers: manualTimers() });
  r.start();
  const port = fakePort("cardbridge-page", { id: EXT_ID, frameId: 0, tab: { id: 1 }, url: "https://ca.example/", origin: "https://ca.example" });
  runtime.onConnect.fire(port);
  return { runtime, port };
}

test("router: each request carries the page's lang to the host, others the browser's, on one session", () => {
  const { runtime, port } = router("en-US");
  port.onMessage.fire({ type: "request", id: "p1", op: "generateKeyPair", params: {}, lang: "pl" });
  port.onMessage.fire({ type: "request", id: "p2", op: "listTokens", params: {} });
  port.onMessage.fire({ type: "request", id: "p3", op: "sign", params: {}, lang: "en" });
  assert.equal(runtime.natives.length, 1, "one host process for the tab");
  assert.deepEqual(runtime.natives[0].sent.map((m) => [m.op, m.lang]), [
    ["generateKeyPair", "pl"],
    ["listTokens", "en"],
    ["sign", "en"],
  ]);
});

test("router: a page that bypasses the library with a bad lang gets INVALID_ARGUMENT and no host request", () => {
  const { runtime, port } = router("pl");
  port.onMessage.fire({ type: "request", id: "p1", op: "login", params: {}, lang: "xx" });
  assert.equal(runtime.natives.flatMap((n) => n.sent).length, 0);
  assert.equal(port.sent[0].error.code, "INVALID_ARGUMENT");
  assert.equal(port.sent[0].error.details.field, "lang");
});
