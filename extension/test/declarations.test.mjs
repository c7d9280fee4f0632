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
    "sign", "installCertificate", "removeKey", "on", "off"]) {
    assert.equal(typeof cardbridge[fn], "function", fn);
  }
});
