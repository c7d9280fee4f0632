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

// The result types must say `| null` exactly where the host can send null. Read from the host's Java:
// a record's components, and which of them some construction of it passes null (literally or from a
// `? null :` / `orElse(null)`).
const javaSource = (path) => readFileSync(new URL(`../../host/src/main/java/org/cardbridge/${path}`, import.meta.url), "utf8");

/** Splits a call's argument list at its top-level commas (enough for these records: no generic has a comma). */
function topLevelArgs(text) {
  const args = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  args.push(text.slice(start).trim());
  return args;
}

/** The text between the parenthesis at `open` and its match. */
function parenthesized(source, open) {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    if (source[i] === "(") depth++;
    else if (source[i] === ")" && --depth === 0) return source.slice(open + 1, i);
  }
  throw new Error("unbalanced parentheses");
}

function javaRecord(source, record) {
  const at = source.indexOf(`record ${record}(`);
  assert.ok(at >= 0, `record ${record} not found`);
  const components = topLevelArgs(parenthesized(source, source.indexOf("(", at))).map((c) => c.split(/\s+/).at(-1));
  const nullable = new Set();
  for (const m of source.matchAll(new RegExp(`new ${record}\\(`, "g"))) {
    const args = topLevelArgs(parenthesized(source, m.index + m[0].length - 1));
    assert.equal(args.length, components.length, `a new ${record}(...) with ${args.length} arguments`);
    args.forEach((arg, i) => {
      if (/^null$|\?\s*null\s*:|orElse\(null\)/.test(arg)) nullable.add(components[i]);
    });
  }
  return { components, nullable };
}

function tsInterface(name) {
  const dts = readFileSync(new URL("../api/cardbridge.d.ts", import.meta.url), "utf8");
  const start = dts.indexOf(`export interface ${name} {`);
  assert.ok(start >= 0, `interface ${name} not found`);
  const body = dts.slice(start, dts.indexOf("\n}", start));
  return new Map([...body.matchAll(/^ {2}(\w+)\??: (.+);$/gm)].map((m) => [m[1], m[2]]));
}

for (const [tsName, javaPath, record] of [
  ["Token", "token/TokenManager.java", "Slot"],
  ["PendingKey", "command/token/ListCertificatesCommand.java", "PendingKey"],
  ["Certificate", "command/token/ListCertificatesCommand.java", "CertificateInfo"],
  ["GeneratedKey", "command/token/GenerateKeyPairCommand.java", "Result"],
]) {
  test(`${tsName} has the fields of the host's ${record}, \`| null\` exactly where the host sends null`, () => {
    const { components, nullable } = javaRecord(javaSource(javaPath), record);
    const fields = tsInterface(tsName);
    assert.deepEqual([...fields.keys()], components);
    for (const [field, type] of fields) {
      assert.equal(/\| null\b/.test(type), nullable.has(field), `${tsName}.${field}: ${type}`);
    }
  });
}

test("the .d.ts names no error detail the host does not send (pinState, not triesLeft)", () => {
  const dts = readFileSync(new URL("../api/cardbridge.d.ts", import.meta.url), "utf8");
  assert.ok(!/triesLeft/.test(dts), "triesLeft is not a field of any host answer");
  assert.match(dts, /pinState/);
  const host = javaSource("command/token/TokenAccess.java") + javaSource("protocol/ErrorCode.java");
  assert.ok(!/triesLeft/.test(host));
});
