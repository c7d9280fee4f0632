// Builds the two store packages from the one extension/ source:
//   <out>/cardbridge-extension-<version>-chrome.zip   Chrome Web Store (also Edge Add-ons, Opera)
//   <out>/cardbridge-extension-<version>-firefox.xpi  addons.mozilla.org (listed or unlisted signing)
// Only the manifest differs (see manifestFor). Reproducible: entries sorted by path, every entry stored
// (no compression, so no zlib version can change a byte), the same fixed time and mode on each entry,
// no extra fields — the same commit gives the same bytes on any machine.
// usage: node installer/store/package-extension.mjs [extension dir] [out dir]
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const src = process.argv[2] ?? join(root, "extension");
const out = process.argv[3] ?? join(root, "installer", "target");

/**
 * Not part of the extension: its notes, its node tests, the page API a CA serves from its own site, and the
 * checks' tooling (npm packages, tsc and ESLint configs, the typings only tsc reads).
 */
const EXCLUDED = new Set(["README.md", "test", "api", "node_modules", "package.json", "package-lock.json",
  "tsconfig.json", "tsconfig.api.json", "tsconfig.demo.json", "eslint.config.mjs", "types"]);

function files(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || (dir === src && EXCLUDED.has(entry.name))) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...files(path));
    else if (entry.isFile()) found.push(relative(src, path).split(sep).join("/"));
  }
  return found;
}

/**
 * The manifest each store takes. Chrome Web Store refuses an upload whose manifest has `key` (the store
 * assigns the id); Chrome warns about keys it does not know (`browser_specific_settings`) and, with a
 * service worker, ignores `background.scripts`. Firefox ignores `background.service_worker` (addons-linter
 * warns), does not know `key` or `minimum_chrome_version`, and AMO requires
 * `browser_specific_settings.gecko.data_collection_permissions` for new add-ons: CardBridge sends nothing
 * off the computer (its only peer is the local host), so "none" — which Firefox knows from 140 on: the
 * source manifest's strict_min_version is 140 for that reason, and a lower one is refused here.
 */
export function manifestFor(store, manifest) {
  const m = structuredClone(manifest);
  delete m.key;
  if (store === "chrome") {
    delete m.browser_specific_settings;
    delete m.background.scripts;
  } else {
    delete m.minimum_chrome_version;
    delete m.background.service_worker;
    const gecko = m.browser_specific_settings.gecko;
    if (!(parseFloat(gecko.strict_min_version) >= 140)) {
      throw new Error(`manifest.json: gecko.strict_min_version ${gecko.strict_min_version} is below 140, the first Firefox that knows data_collection_permissions`);
    }
    gecko.data_collection_permissions = { required: ["none"] };
    // Firefox for Android has no native messaging, so CardBridge is not offered there (AMO: leave
    // "Firefox for Android" unticked); this only states the Android version that knows the key above,
    // which the linter otherwise derives from strict_min_version (140, before Android's 142).
    m.browser_specific_settings.gecko_android = { strict_min_version: "142.0" };
  }
  return m;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// 1 Jan 1980 00:00, the first time a zip entry can hold (MS-DOS date 0x0021, time 0).
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/** A zip of [name, bytes] in the order given: stored entries, UTF-8 names, mode 0644, no extra fields. */
export function zip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = Buffer.from(name, "utf8");
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(10, 4); // version needed: 1.0, stored
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 10, 4); // made by: Unix, 1.0
    central.writeUInt16LE(10, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(0o100644 * 0x10000, 38); // external attributes: a regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

function build(store) {
  const manifest = JSON.parse(readFileSync(join(src, "manifest.json"), "utf8"));
  const names = files(src).sort();
  const entries = names.map((name) => [name, name === "manifest.json"
    ? Buffer.from(JSON.stringify(manifestFor(store, manifest), null, 2) + "\n", "utf8")
    : readFileSync(join(src, name))]);
  const file = join(out, `cardbridge-extension-${manifest.version}-${store}.${store === "chrome" ? "zip" : "xpi"}`);
  mkdirSync(out, { recursive: true });
  writeFileSync(file, zip(entries));
  return file;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const store of ["chrome", "firefox"]) console.log(build(store));
}
