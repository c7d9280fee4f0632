// node --test installer/store/: the store packages' manifests, contents and bytes.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import test from "node:test";
import { fileURLToPath } from "node:url";
import { manifestFor } from "./package-extension.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const source = JSON.parse(readFileSync(join(here, "..", "..", "extension", "manifest.json"), "utf8"));

function build() {
  const out = mkdtempSync(join(tmpdir(), "cardbridge-store-"));
  const [zip, xpi] = execFileSync(process.execPath, [join(here, "package-extension.mjs"), join(here, "..", "..", "extension"), out],
    { encoding: "utf8" }).trim().split("\n");
  return { zip, xpi };
}

/** name -> bytes, read from the central directory (our archives are stored, not compressed). */
function entries(file) {
  const buf = readFileSync(file);
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let p = buf.readUInt32LE(end + 16);
  const out = new Map();
  for (let i = 0; i < buf.readUInt16LE(end + 10); i++) {
    assert.equal(buf.readUInt32LE(p), 0x02014b50);
    assert.equal(buf.readUInt16LE(p + 10), 0, "stored");
    const size = buf.readUInt32LE(p + 24);
    const nameLength = buf.readUInt16LE(p + 28);
    const name = buf.toString("utf8", p + 46, p + 46 + nameLength);
    const local = buf.readUInt32LE(p + 42);
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    out.set(name, buf.subarray(dataAt, dataAt + size));
    p += 46 + nameLength;
  }
  return out;
}

test("the Chrome Web Store manifest has no key, no Firefox settings, only the service worker", () => {
  const m = manifestFor("chrome", source);
  assert.equal(m.key, undefined);
  assert.equal(m.browser_specific_settings, undefined);
  assert.deepEqual(m.background, { service_worker: "background.js", type: "module" });
  assert.equal(m.minimum_chrome_version, source.minimum_chrome_version);
  assert.ok(source.key, "the source keeps its key: the unpacked extension's id stays pinned");
});

test("the Firefox manifest has the add-on id, declares no data collection, and only background scripts", () => {
  const m = manifestFor("firefox", source);
  assert.equal(m.key, undefined);
  assert.equal(m.minimum_chrome_version, undefined);
  assert.deepEqual(m.background, { scripts: ["background.js"], type: "module" });
  assert.equal(m.browser_specific_settings.gecko.id, source.browser_specific_settings.gecko.id);
  assert.deepEqual(m.browser_specific_settings.gecko.data_collection_permissions, { required: ["none"] });
  // One minimum Firefox for the unpacked extension and the xpi: the source's, which is 140.
  assert.equal(m.browser_specific_settings.gecko.strict_min_version, source.browser_specific_settings.gecko.strict_min_version);
  assert.deepEqual(m.permissions, source.permissions);
  assert.deepEqual(m.content_scripts, source.content_scripts);
});

test("two builds give the same bytes, entries sorted, every file the manifest names inside", () => {
  const a = build();
  const b = build();
  for (const k of ["zip", "xpi"]) {
    assert.ok(readFileSync(a[k]).equals(readFileSync(b[k])), `${k} differs between two builds`);
    const files = entries(a[k]);
    const names = [...files.keys()];
    assert.deepEqual(names, [...names].sort(), "sorted");
    assert.ok(!names.some((n) => n.startsWith("test/") || n.startsWith("api/") || n === "README.md"), names.join(" "));
    // Nothing of the JS checks' tooling: no npm package, no tsc or ESLint config, no typings.
    const tooling = /^(node_modules\/|types\/|package(-lock)?\.json$|tsconfig[.\w]*\.json$|eslint\.config\.mjs$|.*\.d\.ts$)/;
    assert.deepEqual(names.filter((n) => tooling.test(n)), [], "tooling packed");
    const m = JSON.parse(files.get("manifest.json").toString("utf8"));
    const named = [...(m.background.scripts ?? [m.background.service_worker]), ...m.content_scripts.flatMap((c) => c.js),
      m.action.default_popup, ...Object.values(m.icons), ...Object.values(m.action.default_icon),
      `_locales/${m.default_locale}/messages.json`, "_locales/pl/messages.json"];
    for (const n of named) assert.ok(files.has(n), `${k} lacks ${n}`);
    // The popup's and the background's own imports are files of the package too.
    for (const [name, bytes] of files) {
      if (!name.endsWith(".js") && !name.endsWith(".html")) continue;
      for (const [, ref] of bytes.toString("utf8").matchAll(/(?:from\s+|src=)["']([.\/\w-]+\.(?:js|css))["']/g)) {
        const target = join(dirname(name), ref).replaceAll("\\", "/").replace(/^\//, "");
        assert.ok(files.has(target), `${k}: ${name} refers to ${ref}, not in the package`);
      }
    }
  }
});

test("a manifest naming a Firefox older than 140 is refused: that Firefox does not know data_collection_permissions", () => {
  const old = structuredClone(source);
  old.browser_specific_settings.gecko.strict_min_version = "128.0";
  assert.throws(() => manifestFor("firefox", old), /below 140/);
});
