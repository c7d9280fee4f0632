// content.js is a classic script (content scripts cannot be modules): run it in a vm context whose
// window and chrome are the fakes, and check the relay.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";
import { fakeWindow, fakePort, events, eventually } from "./fakes.mjs";

const source = readFileSync(new URL("../content.js", import.meta.url), "utf8");

function load() {
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
  const fromExtension = [];
  win.addEventListener("message", (e) => {
    if (e.data?.source === "cardbridge-extension") fromExtension.push(e.data);
  });
  const request = (msg) => win.postMessage({ source: "cardbridge-page", type: "request", ...msg }, win.location.origin);
  return { win, ports, fromExtension, request };
}

test("acks at once with the extension version, then forwards only id, op and params", async () => {
  const { ports, fromExtension, request } = load();
  request({ id: "a1", op: "listTokens", params: { x: 1 }, origin: "https://forged.example" });
  await eventually(() => assert.equal(ports[0]?.sent.length, 1));
  await eventually(() => assert.equal(fromExtension.length, 1));
  assert.deepEqual({ ...fromExtension[0] }, { source: "cardbridge-extension", type: "ack", id: "a1", extension: "0.1.0" });
  assert.equal(ports.length, 1);
  assert.equal(ports[0].name, "cardbridge-page");
  assert.deepEqual(ports[0].sent, [{ type: "request", id: "a1", op: "listTokens", params: { x: 1 } }]);
});

test("answers from the background reach the page, tagged as from the extension", async () => {
  const { ports, fromExtension, request } = load();
  request({ id: "a1", op: "hello" });
  await eventually(() => assert.equal(ports.length, 1));
  ports[0].onMessage.fire({ type: "response", id: "a1", result: { host: "x" } });
  await eventually(() => assert.equal(fromExtension.at(-1)?.type, "response"));
  assert.deepEqual(JSON.parse(JSON.stringify(fromExtension.at(-1))), {
    source: "cardbridge-extension", type: "response", id: "a1", result: { host: "x" },
  });
});

test("the background going away fails open requests with EXTENSION_UNAVAILABLE and reconnects on demand", async () => {
  const { ports, fromExtension, request } = load();
  request({ id: "a1", op: "login" });
  request({ id: "a2", op: "hello" });
  await eventually(() => assert.equal(ports[0]?.sent.length, 2));
  ports[0].onMessage.fire({ type: "response", id: "a2", result: {} });
  ports[0].onDisconnect.fire();
  const failed = () => fromExtension.filter((m) => m.type === "response" && m.error);
  await eventually(() => assert.equal(failed().length, 1));
  assert.deepEqual(failed().map((m) => [m.id, m.error.code]), [["a1", "EXTENSION_UNAVAILABLE"]]);
  request({ id: "a3", op: "hello" });
  await eventually(() => assert.equal(ports.length, 2));
});

test("malformed or foreign messages are ignored", async () => {
  const { win, ports, fromExtension, request } = load();
  request({ id: 7, op: "hello" });
  request({ id: "x", op: 5 });
  win.deliver({ source: "cardbridge-page", type: "request", id: "f", op: "hello" }, {}); // another window
  request({ id: "control", op: "hello" });
  await eventually(() => assert.equal(ports.length, 1));
  assert.deepEqual(ports[0].sent.map((m) => m.id), ["control"]);
  fromExtension.length = 0;
});

test("messages without an id from the background (events, watchEnded) reach the page", async () => {
  const { ports, fromExtension, request } = load();
  request({ id: "s", op: "subscribe" });
  await eventually(() => assert.equal(ports.length, 1));
  ports[0].onMessage.fire({ type: "event", event: "readerAdded", data: { reader: "R" } });
  ports[0].onMessage.fire({ type: "watchEnded", reason: "Native host has exited." });
  await eventually(() => assert.equal(fromExtension.at(-1)?.type, "watchEnded"));
  assert.deepEqual(JSON.parse(JSON.stringify(fromExtension.at(-1))), {
    source: "cardbridge-extension", type: "watchEnded", reason: "Native host has exited.",
  });
});
