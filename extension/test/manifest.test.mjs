// The minimum browser versions manifest.json states, against what the extension uses and what Debian ships.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const manifest = JSON.parse(readFileSync(new URL("../manifest.json", import.meta.url), "utf8"));
const gecko = manifest.browser_specific_settings.gecko;
const major = (v) => Number(/^(\d+)/.exec(String(v))?.[1]);

test("Firefox from 140: the first that knows data_collection_permissions, which AMO requires of the xpi", () => {
  // Every other need of the extension in Firefox came earlier (MV3 host access granted at install: 127).
  assert.equal(gecko.strict_min_version, "140.0");
});

test("Debian's firefox-esr, the Firefox the browser tests run, is one the manifest accepts", (t) => {
  let version;
  try {
    version = execFileSync("firefox-esr", ["--version"], { encoding: "utf8", timeout: 60000 });
  } catch (e) {
    // The browser tests need firefox-esr too (.ci/setup.sh installs it); under CI its absence fails.
    if (process.env.CI === "true") throw new Error(`firefox-esr is missing: ${e.message}`, { cause: e });
    t.skip("firefox-esr is not installed here (CI installs it and runs this)");
    return;
  }
  const found = /Firefox (\d+)\.\S*/.exec(version);
  assert.ok(found, `unexpected firefox-esr --version: ${version}`);
  assert.ok(major(found[1]) >= major(gecko.strict_min_version), `${found[0]} is older than strict_min_version ${gecko.strict_min_version}`);
});

test("Chromium from 121: the first that ignores background.scripts beside a service worker", () => {
  assert.equal(manifest.minimum_chrome_version, "121");
});
