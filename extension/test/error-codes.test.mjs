// The JS list of error codes must be the Java enum's, plus the page-only codes: one closed set.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { HOST_ERROR_CODES, PAGE_ERROR_CODES, ErrorCode } from "../api/cardbridge.js";

const javaFile = fileURLToPath(new URL("../../host/src/main/java/org/cardbridge/protocol/ErrorCode.java", import.meta.url));

function javaEnumConstants(source) {
  const body = source.slice(source.indexOf("enum ErrorCode"));
  const inner = body.slice(body.indexOf("{") + 1, body.lastIndexOf("}"));
  // Drop comments, then the constants are the identifiers before the first ';' (or the end).
  const noComments = inner.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  const constants = noComments.split(";")[0];
  return constants
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => s.replace(/\(.*$/s, "").trim());
}

test("host codes equal the Java ErrorCode enum, in order", () => {
  const java = javaEnumConstants(readFileSync(javaFile, "utf8"));
  assert.ok(java.length > 10, `parsed ${java.length} constants from ErrorCode.java`);
  assert.deepEqual([...HOST_ERROR_CODES], java);
});

test("page-only codes are exactly the documented six and do not clash with host codes", () => {
  assert.deepEqual([...PAGE_ERROR_CODES], [
    "EXTENSION_UNAVAILABLE",
    "NATIVE_UNAVAILABLE",
    "VERSION_MISMATCH",
    "CONTEXT_INSECURE",
    "ACTION_TIMEOUT",
    "TOKEN_AMBIGUOUS",
  ]);
  for (const c of PAGE_ERROR_CODES) assert.ok(!HOST_ERROR_CODES.includes(c), c);
  assert.equal(Object.keys(ErrorCode).length, HOST_ERROR_CODES.length + PAGE_ERROR_CODES.length);
});
