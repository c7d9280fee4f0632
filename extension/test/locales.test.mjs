import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";

const root = new URL("../", import.meta.url);
const read = (p) => readFileSync(new URL(p, root), "utf8");
const locales = readdirSync(new URL("_locales/", root));
const messages = Object.fromEntries(locales.map((l) => [l, JSON.parse(read(`_locales/${l}/messages.json`))]));
const placeholders = (m) => [...new Set((m.message.match(/\$P\d\$/g) ?? []).sort())];

test("every locale has Polish and English, with the same keys", () => {
  assert.deepEqual(locales.sort(), ["en", "pl"]);
  assert.deepEqual(Object.keys(messages.pl).sort(), Object.keys(messages.en).sort());
});

test("each message has the same placeholders in every language, each one declared", () => {
  for (const key of Object.keys(messages.en)) {
    for (const l of locales) {
      const m = messages[l][key];
      assert.ok(m.message.trim(), `${l}/${key} is empty`);
      assert.deepEqual(placeholders(m), placeholders(messages.en[key]), `${l}/${key}`);
      for (const p of placeholders(m)) {
        assert.ok(m.placeholders?.[p.slice(1, -1).toLowerCase()], `${l}/${key} declares ${p}`);
      }
    }
  }
});

test("every key the popup and the background ask for exists", () => {
  const used = new Set();
  for (const file of ["popup/popup.js", "background/watch.js", "background/main.js", "background/router.js"]) {
    for (const m of read(file).matchAll(/\b(?:t|getMessage\?*\.?)\("([A-Za-z]+)"/g)) used.add(m[1]);
  }
  for (const m of read("popup/popup.html").matchAll(/data-i18n="([A-Za-z]+)"/g)) used.add(m[1]);
  for (const m of read("background/watch.js").matchAll(/\["(badgeTitle[A-Za-z]+)"/g)) used.add(m[1]);
  for (const m of read("manifest.json").matchAll(/__MSG_([A-Za-z]+)__/g)) used.add(m[1]);
  assert.ok(used.size > 20, `found ${used.size} keys`);
  for (const key of used) assert.ok(messages.en[key], `missing key ${key}`);
});

test("the texts' own language and date locale: what the host's windows and the popup's dates follow", () => {
  assert.equal(messages.en.lang.message, "en");
  assert.equal(messages.pl.lang.message, "pl");
  assert.equal(messages.pl.dateLocale.message, "pl");
});
