import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { problemOf, CardWatch } from "../background/watch.js";
import { NativeSession, installInfo, installInfoLoading, nativeUnavailable, setInstallInfo } from "../background/native.js";
import { fakeRuntime, manualTimers } from "./fakes.mjs";

const en = JSON.parse(readFileSync(new URL("../_locales/en/messages.json", import.meta.url), "utf8"));

test("install link: only an https URL from managed storage, a short text, nothing by default", () => {
  assert.deepEqual(setInstallInfo(undefined), { url: null, text: null });
  assert.deepEqual(setInstallInfo({ installUrl: "http://ca.example/get" }), { url: null, text: null });
  assert.deepEqual(setInstallInfo({ installUrl: "javascript:alert(1)" }), { url: null, text: null });
  assert.deepEqual(setInstallInfo({ installUrl: "https://ca.example/get", installText: "  Helpdesk 22 111 11 11 " }), {
    url: "https://ca.example/get",
    text: "Helpdesk 22 111 11 11",
  });
  assert.equal(setInstallInfo({ installText: "x".repeat(900) }).text.length, 500);
});

test("NATIVE_UNAVAILABLE carries the configured install link, and no made-up one without it", () => {
  setInstallInfo({});
  let e = nativeUnavailable("Specified native messaging host not found.");
  assert.equal(e.details.install, null);
  assert.doesNotMatch(e.message, /https?:/);
  setInstallInfo({ installUrl: "https://ca.example/get", installText: "Call us" });
  e = nativeUnavailable("Specified native messaging host not found.");
  assert.equal(e.details.install, "https://ca.example/get");
  assert.equal(e.details.installText, "Call us");
  assert.match(e.message, /https:\/\/ca\.example\/get/);
  setInstallInfo({});
});

test("a connection lost while the managed settings are read answers once they are in, with the administrator's link", async () => {
  setInstallInfo({});
  let release;
  installInfoLoading(new Promise((r) => (release = r)).then(() => setInstallInfo({ installUrl: "https://it.example/cb" })));
  const session = new NativeSession({ runtime: fakeRuntime(), origin: "https://ca.example", lang: "en" });
  const answers = [];
  session.send("status", {}, { onResponse: (r) => answers.push(r) });
  session.lost("Specified native messaging host not found.");
  await Promise.resolve();
  assert.deepEqual(answers, [], "no answer before the settings are in");
  release();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(answers.length, 1);
  assert.equal(answers[0].error.code, "NATIVE_UNAVAILABLE");
  assert.equal(answers[0].error.details.install, "https://it.example/cb");
  setInstallInfo({});
});

test("problemOf: host missing, no smart card software, pcscd down, no reader, anything else, nothing", () => {
  const missing = problemOf({
    status: "error",
    hostError: { code: "NATIVE_UNAVAILABLE", message: "m", details: { reason: "Specified native messaging host not found." } },
    install: { url: "https://ca.example/get", text: null },
  });
  assert.equal(missing.key, "hostMissing");
  assert.equal(missing.install.url, "https://ca.example/get");
  assert.deepEqual(missing.details, ["Specified native messaging host not found."]);
  const noModule = problemOf({
    status: "error",
    hostError: { code: "MODULE_NOT_FOUND", message: "no PKCS#11 module could be loaded", details: { tried: [{ path: "/usr/lib/opensc-pkcs11.so", problem: "not found" }] } },
  });
  assert.deepEqual(noModule, { key: "noModule", details: ["no PKCS#11 module could be loaded", "/usr/lib/opensc-pkcs11.so: not found"] });
  const notInstalled = problemOf({
    status: "error",
    hostError: {
      code: "MODULE_NOT_INSTALLED",
      message: "the card in Reader 0 needs proCertum CardManager (Certum), which is not installed",
      details: { reader: "Reader 0", atr: "3BDD96FF8131FE4580595F5374645F496E697481059B", card: "Certum cryptoCertum", product: "proCertum CardManager (Certum)", paths: [] },
    },
  });
  assert.equal(notInstalled?.key, "moduleNotInstalled");
  assert.equal(notInstalled?.product, "proCertum CardManager (Certum)");
  assert.deepEqual(notInstalled?.details, ["the card in Reader 0 needs proCertum CardManager (Certum), which is not installed",
    "Reader 0: 3BDD96FF8131FE4580595F5374645F496E697481059B"]);
  const down = { code: "doctor.pcscDown", status: "FAIL", message: "pcscd is not reachable: SCARD_E_NO_SERVICE", fix: "install and start it" };
  assert.deepEqual(problemOf({ status: "ok", diagnosis: [down] }), { key: "pcscDown", details: [down.message, down.fix] });
  assert.equal(problemOf({ status: "ok", diagnosis: [{ code: "doctor.noReader", status: "WARN", message: "no card reader connected" }] }).key, "noReader");
  const busy = "another program is using the card (Reader 0): close it (e.g. a vendor card manager or signing app) and try again";
  assert.deepEqual(problemOf({ status: "error", hostError: { code: "TOKEN_BUSY", message: busy, details: { readers: ["Reader 0"] } } }),
    { key: "tokenBusy", details: [busy] });
  assert.equal(problemOf({ status: "error", hostError: { code: "INTERNAL_ERROR", message: "bug" } }).key, "hostProblem");
  assert.equal(problemOf({ status: "ok", diagnosis: [] }), null);
});

test("every problem has its title and text in the messages, none sends the person to a terminal", () => {
  const pl = JSON.parse(readFileSync(new URL("../_locales/pl/messages.json", import.meta.url), "utf8"));
  for (const m of [en, pl]) {
    // The product the host names goes into the text, in both languages.
    assert.match(m.moduleNotInstalledText.message, /\$PRODUCT\$/);
    assert.equal(m.moduleNotInstalledText.placeholders.product.content, "$1");
  }
  for (const key of ["hostMissing", "noModule", "tokenBusy", "moduleNotInstalled", "pcscDown", "noReader", "hostProblem"]) {
    assert.ok(en[`${key}Title`], `${key}Title`);
    assert.ok(en[`${key}Text`], `${key}Text`);
  }
  for (const [key, m] of Object.entries(en)) {
    assert.doesNotMatch(m.message, /cardbridge-host|doctor|terminal/i, key);
  }
});

test("watch: with no card it asks the host's diagnose and keeps what doctor says is wrong", async () => {
  const runtime = fakeRuntime();
  const watch = new CardWatch({
    openSession: (origin, handlers) => new NativeSession({ runtime, origin, lang: "pl", ...handlers }),
    timers: manualTimers(),
  });
  const seen = [];
  const orig = runtime.connectNative.bind(runtime);
  runtime.connectNative = (name) => {
    const port = orig(name);
    const post = port.postMessage;
    port.postMessage = (msg) => {
      post(msg);
      seen.push(msg);
      const results = {
        hello: { host: "0.1.0", protocol: "1.0.0", operations: ["hello", "listTokens", "diagnose"] },
        listTokens: { tokens: [] },
        diagnose: {
          findings: [
            { status: "FAIL", code: "doctor.pcscDown", subject: "pcscd", message: "pcscd nie odpowiada: SCARD_E_NO_SERVICE", fix: "zainstaluj" },
            { status: "OK", code: "doctor.pcscOk", subject: "pcscd", message: "ok", fix: null },
          ],
        },
      };
      queueMicrotask(() => port.reply({ id: msg.id, result: results[msg.op] }));
    };
    return port;
  };
  const state = await watch.refresh();
  const diagnose = seen.find((m) => m.op === "diagnose");
  assert.equal(diagnose.origin, "cardbridge:extension");
  assert.equal(diagnose.lang, "pl");
  assert.deepEqual(state.diagnosis.map((f) => f.code), ["doctor.pcscDown"]);
  assert.equal(problemOf(state).key, "pcscDown");
  assert.equal(installInfo.url, null);
});
