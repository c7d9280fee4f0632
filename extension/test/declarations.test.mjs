// The .d.ts must describe every function the module exports, and nothing that is not there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as cardbridge from "../api/cardbridge.js";

test("cardbridge.d.ts declares exactly the exported functions and constants", () => {
  const dts = readFileSync(new URL("../api/cardbridge.d.ts", import.meta.url), "utf8");
  const declared = new Set([...dts.matchAll(/export declare (?:function|const|class) (\w+)/g)].map((m) => m[1]));
  const exported = new Set(Object.keys(cardbridge));
  assert.deepEqual([...exported].filter((n) => !declared.has(n)), [], "exported but not declared");
  assert.deepEqual([...declared].filter((n) => !exported.has(n)), [], "declared but not exported");
});

test("the page API has every call of the contract", () => {
  for (const fn of ["status", "listTokens", "listCertificates", "login", "logout", "generateKeyPair", "createCsr",
    "sign", "installCertificate", "removeKey", "changePin", "unblockPin", "on", "off"]) {
    assert.equal(typeof cardbridge[fn], "function", fn);
  }
});

// The result types, HostErrorCode and CardBridgeEvents are generated from the host's Java types
// (ProtocolTypesTest in the host keeps them current); here: the page library's own lists agree with them.
const dtsText = () => readFileSync(new URL("../api/cardbridge.d.ts", import.meta.url), "utf8");
const javaSource = (path) => readFileSync(new URL(`../../host/src/main/java/org/cardbridge/${path}`, import.meta.url), "utf8");

test("HOST_ERROR_CODES is the generated HostErrorCode union, in order", () => {
  const dts = dtsText();
  const start = dts.indexOf("export type HostErrorCode =");
  const union = dts.slice(start, dts.indexOf(";", start));
  assert.deepEqual([...union.matchAll(/"(\w+)"/g)].map((m) => m[1]), [...cardbridge.HOST_ERROR_CODES]);
});

test("EVENTS names exactly the generated CardBridgeEvents", () => {
  const dts = dtsText();
  const start = dts.indexOf("export interface CardBridgeEvents {");
  const body = dts.slice(start, dts.indexOf("\n}", start));
  assert.deepEqual([...body.matchAll(/^ {2}(\w+): /gm)].map((m) => m[1]).sort(), [...cardbridge.EVENTS].sort());
});

test("the .d.ts names no error detail the host does not send (pinState, not triesLeft)", () => {
  const dts = readFileSync(new URL("../api/cardbridge.d.ts", import.meta.url), "utf8");
  assert.ok(!/triesLeft/.test(dts), "triesLeft is not a field of any host answer");
  assert.match(dts, /pinState/);
  const host = javaSource("command/token/TokenAccess.java") + javaSource("protocol/ErrorCode.java");
  assert.ok(!/triesLeft/.test(host));
});
