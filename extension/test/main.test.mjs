import { test } from "node:test";
import assert from "node:assert/strict";
import { startBackground } from "../background/main.js";
import { events, fakeRuntime, eventually } from "./fakes.mjs";

function fakeApi() {
  const runtime = fakeRuntime();
  runtime.onStartup = events();
  runtime.onInstalled = events();
  const badges = [];
  const api = {
    runtime,
    tabs: { onRemoved: events() },
    i18n: { getUILanguage: () => "pl", getMessage: () => "" },
    action: { setBadgeText: (b) => badges.push(b.text), setBadgeBackgroundColor: () => {}, setTitle: () => {} },
    storage: { local: { get: async () => ({}), set: async () => {} } },
  };
  return { api, runtime, badges };
}

test("the card watch starts with the background and again on browser start and install, before any popup", async () => {
  const { api, runtime } = fakeApi();
  const { watch } = startBackground(api);
  assert.equal(runtime.onStartup.count, 1, "onStartup listener registered at the first run");
  assert.equal(runtime.onInstalled.count, 1, "onInstalled listener registered at the first run");
  const hellos = () => runtime.natives.flatMap((p) => p.sent).filter((m) => m.op === "hello");
  await eventually(() => assert.equal(hellos().length, 1));
  assert.equal(hellos()[0].origin, "cardbridge:extension");
  assert.equal(hellos()[0].lang, "pl");
  const port = runtime.natives[0];
  port.reply({ id: hellos()[0].id, result: { host: "0.1.0", protocol: "1.0.0", operations: ["hello"] } });
  await eventually(() => assert.equal(watch.state.status, "ok"));

  runtime.onStartup.fire();
  await eventually(() => assert.equal(hellos().length, 2, "browser start asks the host again"));
  port.reply({ id: hellos()[1].id, result: { host: "0.1.0", protocol: "1.0.0", operations: ["hello"] } });
  runtime.onInstalled.fire({ reason: "update" });
  await eventually(() => assert.equal(hellos().length, 3, "install/update asks the host again"));
  watch.stop(); // its next reading by the clock would keep this process alive
});
