// The renewal's docs, demo pages and helper say the same: checked here so they cannot drift apart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { RENEWAL_STATES, RENEWAL_ERROR_CODES } from "../api/cardbridge.js";

const read = (path) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const docs = ["docs/api.md", "docs/integration.md", "docs/protocol.md", "docs/renewal-states.md"].map((p) => [p, read(p)]);
const minimalHtml = read("demo/src/main/resources/portal/minimal/index.html");
const minimalJs = read("demo/src/main/resources/portal/minimal/minimal.js");

test("the minimal page in integration.md is the one the demo serves, and is under 100 lines", () => {
  const integration = read("docs/integration.md");
  assert.ok(integration.includes("```html\n" + minimalHtml.trimEnd() + "\n```"), "index.html differs from the doc");
  assert.ok(integration.includes("```js\n" + minimalJs.trimEnd() + "\n```"), "minimal.js differs from the doc");
  const lines = (minimalHtml + minimalJs).split("\n").filter((l, i, all) => i < all.length - 1 || l !== "").length;
  assert.ok(lines < 100, `${lines} lines`);
});

test("one set of CA endpoint names: check, draft, submit, lookup", () => {
  for (const [path, text] of docs) {
    for (const old of ["renewal/application", "renewal/certificate", 'ca("application"', 'ca("certificate"']) {
      assert.ok(!text.includes(old), `${path} still names ${old}`);
    }
  }
  const table = read("docs/integration.md");
  for (const name of ["check", "draft", "submit", "lookup"]) assert.match(table, new RegExp(`POST /api/renewal/${name}`));
});

test("one name for a key's handle, and pinState (not triesLeft), in every doc", () => {
  for (const [path, text] of docs) {
    assert.ok(!/key\.key \?\? key\.handle/.test(text), `${path}: key.key ?? key.handle`);
    assert.ok(!/triesLeft/.test(text), `${path}: triesLeft`);
  }
  assert.match(read("docs/api.md"), /details\.pinState/);
  assert.match(read("docs/protocol.md"), /`\{token, algorithm, label\}` → `\{handle, keyId/);
});

test("every state of the helper is written down in renewal-states.md, and every error code in api.md", () => {
  const states = read("docs/renewal-states.md");
  for (const name of RENEWAL_STATES.filter((n) => n !== "idle")) assert.match(states, new RegExp("`" + name + "`"), name);
  const api = read("docs/api.md");
  for (const code of RENEWAL_ERROR_CODES) assert.match(api, new RegExp(code), code);
});

test("the demo portal and the minimal page have a Polish and an English text for every state", async () => {
  const { TEXTS } = await import("../../demo/src/main/resources/portal/texts.js");
  assert.deepEqual(Object.keys(TEXTS.pl).sort(), Object.keys(TEXTS.en).sort(), "portal texts: same keys in pl and en");
  for (const lang of ["pl", "en"]) {
    for (const k of ["scheduled", "deferred", "finishable", "issued", "unknown", "keyOnCard", "noCard", "refused"]) {
      assert.ok(TEXTS[lang][`journey.${k}`], `${lang} journey.${k}`);
    }
  }
  // minimal.js: the keys of its pl and en blocks
  const block = (lang) => {
    const start = minimalJs.indexOf(`  ${lang}: {`);
    const end = minimalJs.indexOf("\n  },", start);
    return [...minimalJs.slice(start, end).matchAll(/(?:^|[{,]\s*)"?([\w.]+)"?:/gm)].map((m) => m[1]).filter((k) => k !== lang).sort();
  };
  assert.deepEqual(block("pl"), block("en"));
  for (const name of RENEWAL_STATES) assert.ok(block("en").includes(name), `minimal page: no text for ${name}`);
});
