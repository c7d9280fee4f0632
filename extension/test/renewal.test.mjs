// The renewal helper (createRenewal) against an in-memory card and CA: each interruption of
// docs/renewal-states.md lands in the state the doc names, offers the step it names, and never asks
// for a second signature or code once the CA has accepted the application.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createRenewal,
  caEndpoints,
  certificateFacts,
  CardBridgeError,
  RenewalError,
  RENEWAL_STATES,
  withInstallLink,
  DEFAULT_INSTALL_LINK,
} from "../api/cardbridge.js";
import { fakeWorld, makeCertificate } from "./renewal-fakes.mjs";

function journey(world, extra = {}) {
  const states = [];
  const activities = [];
  const r = createRenewal({
    ca: world.caCalls,
    client: world.client,
    now: world.now,
    onState: (s) => states.push(s),
    onActivity: (a) => activities.push(a),
    ...extra,
  });
  return { r, states, activities };
}

async function toDrafted(world, r, details = { code: "GOOD1", validity: "now" }) {
  assert.equal((await r.read()).name, "eligible");
  const s = await r.renew(details);
  assert.equal(s.name, "drafted", s.error?.message);
  return s;
}

test("certificateFacts reads names and validity of a DER certificate", () => {
  const from = Date.UTC(2026, 0, 2, 3, 4, 5);
  const c = certificateFacts(makeCertificate({ subject: "A", issuer: "B", from, to: from + 1000, publicKey: "PUB-x" }));
  assert.equal(c.notBefore.getTime(), from);
  assert.equal(c.notAfter.getTime(), from + 1000);
  assert.notEqual(c.subject, c.issuer);
});

test("immediateRenewal_readRenewSubmit_endsDoneWithOnlyTheNewCertificate", async () => {
  const w = fakeWorld();
  const { r, states, activities } = journey(w);
  const drafted = await toDrafted(w, r);
  assert.deepEqual(drafted.application.statement, ["Wniosek", "ważność: now"]);
  assert.deepEqual(drafted.next, ["submit", "discard"]);
  const done = await r.submit();
  assert.equal(done.name, "done", done.error?.message);
  assert.equal(done.error, null);
  assert.deepEqual(w.userCertificates().map((c) => c.handle), ["c-k1"]);
  assert.equal(w.card.pendingKeys.length, 0);
  assert.equal(done.result.replaced, true);
  assert.deepEqual(states.map((s) => s.name), ["eligible", "keyOnCard", "drafted", "issued", "done"]);
  assert.ok(RENEWAL_STATES.includes(done.name));
  // The windows: "waiting for you" while the host may show one; the key's own time only once it reports it.
  const names = activities.map((a) => a?.name ?? null);
  const gen = names.indexOf("generatingKey");
  assert.ok(gen > 0 && names[gen - 1] === "waitingForYou", names.join(","));
  assert.equal(activities.at(-1), null, "no activity left once the journey rests");
  assert.equal(r.activity, null);
});

test("an activity is cleared before every state the page draws (no stale 'Checking with the CA…')", async () => {
  const w = fakeWorld();
  const seen = [];
  const r = createRenewal({ ca: w.caCalls, client: w.client, now: w.now });
  r.on("state", (s) => seen.push([s.name, r.activity?.name ?? null, s.error?.code ?? null]));
  await r.read();
  await r.renew({ code: "WRONG" });
  for (const [name, activity] of seen) assert.equal(activity, null, `state ${name} drawn while ${activity}`);
  assert.deepEqual(seen.at(-1), ["eligible", null, "CA_REFUSED"]);
});

test("codeRefused_beforeAnyKey_stateStaysEligibleWithTheCasMessage", async () => {
  const w = fakeWorld();
  const { r } = journey(w);
  await r.read();
  const s = await r.renew({ code: "NOPE" });
  assert.equal(s.name, "eligible");
  assert.ok(s.error instanceof RenewalError);
  assert.equal(s.error.code, "CA_REFUSED");
  assert.equal(s.error.refusal.code, "CODE_UNKNOWN");
  assert.equal(s.error.refusal.message, "Kod jest nieprawidłowy.");
  assert.equal(w.count("generateKeyPair"), 0);
  // the next try clears the error
  const ok = await r.renew({ code: "GOOD1", validity: "now" });
  assert.equal(ok.name, "drafted");
  assert.equal(ok.error, null);
});

test("expiredCertificate_readLandsInRefusedWithTheCasExplanation_noHostWindow", async () => {
  const w = fakeWorld({ daysLeft: -3 });
  const { r } = journey(w);
  const s = await r.read();
  assert.equal(s.name, "refused");
  assert.equal(s.refusal.code, "CERTIFICATE_EXPIRED");
  assert.match(s.refusal.message, /ważnego certyfikatu/);
  assert.deepEqual(s.next, ["read"]);
  assert.deepEqual(w.calls, ["status", "listTokens", "listCertificates"]);
});

test("noCard_readSaysNoCard_andOffersReadingAgain", async () => {
  const w = fakeWorld();
  w.card.present = false;
  const { r } = journey(w);
  const s = await r.read();
  assert.equal(s.name, "noCard");
  assert.deepEqual(s.next, ["read"]);
});

test("cancelAtTheKeyWindow_nothingOnTheCard_stateEligible", async () => {
  const w = fakeWorld();
  const { r, activities } = journey(w);
  await r.read();
  w.cancelNext("generateKeyPair");
  const s = await r.renew({ code: "GOOD1", validity: "now" });
  assert.equal(s.name, "eligible");
  assert.equal(s.error.code, "USER_CANCELLED");
  assert.equal(w.card.pendingKeys.length, 0);
  assert.ok(!activities.some((a) => a?.name === "generatingKey"), "no key-generation clock while the window waited");
  assert.equal(r.activity, null);
});

test("cancelAtTheCsrWindow_keyStaysAndIsReused_noSecondKey", async () => {
  const w = fakeWorld();
  const { r } = journey(w);
  await r.read();
  w.cancelNext("createCsr");
  const s = await r.renew({ code: "GOOD1", validity: "now" });
  assert.equal(s.name, "keyOnCard");
  assert.equal(s.error.code, "USER_CANCELLED");
  assert.deepEqual(s.next, ["renew", "discard"]);
  assert.equal((await r.renew({ code: "GOOD1", validity: "now" })).name, "drafted");
  assert.equal(w.count("generateKeyPair"), 1);
  // a later visit finds the key (the CA knows nothing of it) and reuses it too
  const again = journey(w).r;
  const read = await again.read();
  assert.equal(read.name, "keyOnCard");
  assert.equal(read.key.handle, "k1");
});

test("cancelAtTheSignWindow_applicationStillOffered_noCodeSpent", async () => {
  const w = fakeWorld();
  const { r } = journey(w);
  await toDrafted(w, r);
  w.cancelNext("sign");
  const s = await r.submit();
  assert.equal(s.name, "drafted");
  assert.equal(s.error.code, "USER_CANCELLED");
  assert.equal(w.ca.submits, 0);
  assert.ok(w.ca.codes.has("GOOD1"));
  assert.equal((await r.submit()).name, "done");
});

test("cancelAtTheInstallWindowAfterIssuance_offersInstall_neverSignAgain", async () => {
  const w = fakeWorld();
  const { r } = journey(w);
  await toDrafted(w, r);
  w.cancelNext("installCertificate");
  const s = await r.submit();
  assert.equal(s.name, "issued");
  assert.equal(s.error.code, "USER_CANCELLED");
  assert.deepEqual(s.next, ["install"]);
  const refusedSubmit = await r.submit();
  assert.equal(refusedSubmit.error.code, "NOT_ALLOWED_NOW");
  assert.equal(w.count("sign"), 1);
  // the old certificate is untouched until the install
  assert.deepEqual(w.userCertificates().map((c) => c.handle), ["c-old"]);
  const done = await r.install();
  assert.equal(done.name, "done");
  assert.equal(w.count("sign"), 1);
  assert.equal(w.ca.submits, 1);
});

test("tabClosedAfterIssuance_reopenedPage_readOffersInstall", async () => {
  const w = fakeWorld();
  const first = journey(w).r;
  await toDrafted(w, first);
  w.cancelNext("installCertificate"); // the tab closes while the window is open: same card state
  await first.submit();
  const { r } = journey(w);
  const s = await r.read();
  assert.equal(s.name, "issued");
  assert.deepEqual(s.next, ["install"]);
  assert.equal(s.certificate.handle, "c-old", "the certificate it replaces is found on the card");
  assert.equal((await r.install()).name, "done");
  assert.deepEqual(w.userCertificates().map((c) => c.handle), ["c-k1"]);
  assert.equal(w.count("sign"), 1);
});

test("networkFailsAfterSubmit_unknownOutcome_lookupRecovers_noSecondSubmission", async () => {
  const w = fakeWorld();
  const { r } = journey(w);
  await toDrafted(w, r);
  w.ca.down.add("submit");
  w.ca.down.add("lookup");
  const s = await r.submit();
  assert.equal(s.name, "unknown");
  assert.equal(s.error.code, "CA_OUTCOME_UNKNOWN");
  assert.deepEqual(s.next, ["lookup"]);
  const still = await r.lookup();
  assert.equal(still.name, "unknown");
  assert.equal(still.error.code, "CA_UNAVAILABLE");
  w.ca.down.clear();
  const done = await r.lookup();
  assert.equal(done.name, "done", done.error?.message);
  assert.equal(w.ca.submits, 1);
  assert.equal(w.count("sign"), 1);
});

test("networkFailsAfterSubmit_pageReopened_readFindsTheIssuedCertificate", async () => {
  const w = fakeWorld();
  const first = journey(w).r;
  await toDrafted(w, first);
  w.ca.down.add("submit");
  assert.equal((await first.submit()).name, "unknown");
  w.ca.down.clear();
  const { r } = journey(w);
  assert.equal((await r.read()).name, "issued");
  assert.equal((await r.install()).name, "done");
  assert.equal(w.ca.submits, 1);
});

test("submitRefusedAsRepeated_butTheCaIssuedEarlier_installsInsteadOfRemovingTheKey", async () => {
  const w = fakeWorld();
  const { r } = journey(w);
  await toDrafted(w, r);
  // another tab submitted the same application first
  await w.caCalls.submit({ document: r.state.application.document, signature: "x" });
  const s = await r.submit();
  assert.equal(s.name, "done", s.error?.message);
  assert.equal(w.count("removeKey"), 0);
});

test("deferredRenewal_scheduled_thenInstalledBeside_thenFinished_oneCertificate", async () => {
  const w = fakeWorld({ daysLeft: 20 });
  const { r } = journey(w);
  await toDrafted(w, r, { code: "GOOD1", validity: "afterExpiry" });
  const scheduled = await r.submit();
  assert.equal(scheduled.name, "scheduled");
  assert.ok(scheduled.availableFrom);
  assert.deepEqual(w.userCertificates().map((c) => c.handle), ["c-old"]);

  // a second visit too early: still scheduled
  assert.equal((await journey(w).r.read()).name, "scheduled");

  // the CA releases it before the date on this computer: stored beside the old one
  w.advanceCa(21);
  const second = journey(w).r;
  assert.equal((await second.read()).name, "issued");
  const deferred = await second.install();
  assert.equal(deferred.name, "deferred", deferred.error?.message);
  assert.equal(deferred.validFrom, scheduled.availableFrom);
  assert.deepEqual(w.userCertificates().map((c) => c.handle).sort(), ["c-k1", "c-old"]);
  assert.equal(deferred.result.replaced, false);

  // coming back before the date: deferred, nothing to do
  assert.equal((await journey(w).r.read()).name, "deferred");

  // from the date: finish
  w.advance(21);
  const third = journey(w).r;
  const finishable = await third.read();
  assert.equal(finishable.name, "finishable");
  assert.deepEqual(finishable.next, ["finish"]);
  const done = await third.finish();
  assert.equal(done.name, "done", done.error?.message);
  assert.deepEqual(w.userCertificates().map((c) => c.handle), ["c-k1"]);
  assert.equal(w.count("sign"), 1);
  assert.equal(w.ca.submits, 1);
});

test("cancelAtTheFinishWindow_staysFinishable", async () => {
  const w = fakeWorld({ daysLeft: 20 });
  const { r } = journey(w);
  await toDrafted(w, r, { code: "GOOD1", validity: "afterExpiry" });
  await r.submit();
  w.advanceCa(21);
  const second = journey(w).r;
  await second.read();
  await second.install();
  w.advance(21);
  const third = journey(w).r;
  await third.read();
  w.cancelNext("installCertificate");
  const s = await third.finish();
  assert.equal(s.name, "finishable");
  assert.equal(s.error.code, "USER_CANCELLED");
  assert.equal(w.userCertificates().length, 2);
});

test("caAnswerForAnotherKey_refusedByTheHost_typedErrorAndStateUnchanged", async () => {
  const w = fakeWorld();
  w.ca.wrongKey = true;
  const { r } = journey(w);
  await toDrafted(w, r);
  const s = await r.submit();
  assert.equal(s.name, "issued");
  assert.ok(s.error instanceof CardBridgeError);
  assert.equal(s.error.code, "CERTIFICATE_KEY_MISMATCH");
  assert.deepEqual(w.userCertificates().map((c) => c.handle), ["c-old"]);
  assert.equal(w.card.pendingKeys.length, 1, "the new key stays: the CA must send the right certificate");
});

test("caAnswerWithABrokenChain_refusedByTheHost_typedErrorAndStateUnchanged", async () => {
  const w = fakeWorld();
  w.ca.brokenChain = true;
  const { r } = journey(w);
  await toDrafted(w, r);
  const s = await r.submit();
  assert.equal(s.name, "issued");
  assert.equal(s.error.code, "CERTIFICATE_INVALID");
  assert.deepEqual(w.userCertificates().map((c) => c.handle), ["c-old"]);
});

test("discard_removesTheUnusedKey_backToEligible", async () => {
  const w = fakeWorld();
  const { r } = journey(w);
  await toDrafted(w, r);
  const s = await r.discard();
  assert.equal(s.name, "eligible");
  assert.equal(w.card.pendingKeys.length, 0);
  assert.equal(s.key, null);
});

test("an action the state does not offer is refused with NOT_ALLOWED_NOW and changes nothing", async () => {
  const w = fakeWorld();
  const { r } = journey(w);
  const s = await r.install();
  assert.equal(s.name, "idle");
  assert.equal(s.error.code, "NOT_ALLOWED_NOW");
  assert.deepEqual(w.calls, []);
});

test("missingExtension_errorCarriesTheConfiguredInstallLink", async () => {
  const w = fakeWorld();
  w.plan.push({ op: "status", code: "EXTENSION_UNAVAILABLE" });
  const { r } = journey(w, { install: { url: "https://ca.example/cardbridge", text: { pl: "Pobierz CardBridge", en: "Get CardBridge" } }, lang: "pl" });
  const s = await r.read();
  assert.equal(s.name, "idle");
  assert.equal(s.error.code, "EXTENSION_UNAVAILABLE");
  assert.deepEqual(s.error.install, { url: "https://ca.example/cardbridge", text: "Pobierz CardBridge" });
});

test("missingHost_withoutConfiguration_theDefaultLinkAndText", () => {
  const e = withInstallLink(new CardBridgeError("NATIVE_UNAVAILABLE", "x"), undefined, "pl");
  assert.deepEqual(e.install, { url: DEFAULT_INSTALL_LINK.url, text: "Zainstaluj CardBridge" });
  assert.equal(withInstallLink(new CardBridgeError("PIN_INCORRECT", "x")).install, undefined);
});

test("missingHost_administratorsManagedLink_winsOverThePages_withThePagesTextWhenItHasNone", () => {
  const page = { url: "https://ca.example/cardbridge", text: { pl: "Pobierz CardBridge", en: "Get CardBridge" } };
  const managed = withInstallLink(new CardBridgeError("NATIVE_UNAVAILABLE", "x", { install: "https://it.example/cb", installText: "Program z działu IT" }), page, "pl");
  assert.deepEqual(managed.install, { url: "https://it.example/cb", text: "Program z działu IT" });
  const urlOnly = withInstallLink(new CardBridgeError("NATIVE_UNAVAILABLE", "x", { install: "https://it.example/cb", installText: null }), page, "pl");
  assert.deepEqual(urlOnly.install, { url: "https://it.example/cb", text: "Pobierz CardBridge" });
  const none = withInstallLink(new CardBridgeError("NATIVE_UNAVAILABLE", "x", { install: null }), page, "en");
  assert.deepEqual(none.install, { url: "https://ca.example/cardbridge", text: "Get CardBridge" });
});

test("theHostsWindowsSpeakThePagesLanguage_everyCardCallCarriesLang", async () => {
  const w = fakeWorld();
  const langs = [];
  const labels = [];
  const client = Object.fromEntries(Object.entries(w.client).map(([op, fn]) => [op, (params, options) => {
    if (op === "generateKeyPair") labels.push(params.label);
    if (["generateKeyPair", "createCsr", "sign", "installCertificate", "removeKey"].includes(op)) langs.push(`${op}:${options?.lang}`);
    return fn(params, options);
  }]));
  const { r } = journey({ ...w, client }, { lang: "pl" });
  await toDrafted(w, r);
  assert.equal((await r.submit()).name, "done");
  assert.deepEqual(langs, ["generateKeyPair:pl", "createCsr:pl", "sign:pl", "installCertificate:pl"]);
});

test("a page in another language, or one saying 'pl-PL', still renews: the host's windows get the nearest of pl and en", async () => {
  for (const [pageLang, expected] of [["pl-PL", "pl"], ["de", "en"], ["en-GB", "en"]]) {
    const w = fakeWorld();
    const langs = [];
    const client = Object.fromEntries(Object.entries(w.client).map(([op, fn]) => [op, (params, options) => {
      if (op === "generateKeyPair") langs.push(options?.lang);
      return fn(params, options);
    }]));
    const { r } = journey({ ...w, client }, { lang: pageLang });
    await toDrafted(w, r);
    assert.equal((await r.submit()).name, "done", pageLang);
    assert.deepEqual(langs, [expected], pageLang);
  }
});

test("before the first read every field of the state is there, null until known (as the typings say)", () => {
  const { r } = journey(fakeWorld());
  assert.equal(r.state.name, "idle");
  assert.deepEqual(r.state.next, ["read"]);
  for (const field of ["error", "token", "certificate", "eligibility", "key", "application", "signedApplication", "issued", "availableFrom", "successor", "validFrom", "refusal", "result"]) {
    assert.equal(r.state[field], null, field);
  }
  assert.ok(Object.isFrozen(r.state));
});

test("caEndpoints: a 422 refusal is an answer, a 5xx or a network failure throws", async () => {
  const answers = {
    "/api/renewal/check": [422, { status: "refused", error: { code: "CODE_USED", message: "used" } }],
    "/api/renewal/draft": [503, { error: "down" }],
    "/api/renewal/lookup": [200, { status: "none" }],
  };
  const sent = [];
  const fetch = async (url, init) => {
    sent.push([url, JSON.parse(init.body)]);
    if (url.endsWith("submit")) throw new TypeError("Failed to fetch");
    const [status, body] = answers[url];
    return { status, ok: status < 300, json: async () => body };
  };
  const ca = caEndpoints("/api/renewal", { fetch, extra: () => ({ lang: "pl" }) });
  assert.deepEqual(await ca.check({ certificate: "c" }), answers["/api/renewal/check"][1]);
  await assert.rejects(ca.draft({}), /HTTP 503/);
  await assert.rejects(ca.submit({}), /Failed to fetch/);
  assert.deepEqual(await ca.lookup({ publicKey: "p" }), { status: "none" });
  assert.deepEqual(sent[0], ["/api/renewal/check", { certificate: "c", lang: "pl" }]);
});

test("lowLevelCall_noExtension_EXTENSION_UNAVAILABLE_carriesTheClientsInstallLink", async () => {
  const { createClient } = await import("../api/cardbridge.js");
  const { fakeWindow } = await import("./fakes.mjs");
  const client = createClient({ window: fakeWindow(), ackTimeoutMs: 50, install: { url: "https://ca.example/get", text: "Get it" } });
  await assert.rejects(client.listTokens(), (e) => {
    assert.equal(e.code, "EXTENSION_UNAVAILABLE");
    assert.deepEqual(e.install, { url: "https://ca.example/get", text: "Get it" });
    return true;
  });
  const plain = createClient({ window: fakeWindow(), ackTimeoutMs: 50, lang: "pl" });
  await assert.rejects(plain.status(), (e) => {
    assert.deepEqual(e.install, { url: DEFAULT_INSTALL_LINK.url, text: "Zainstaluj CardBridge" });
    return true;
  });
});

test("twoCards_readWithoutAToken_isTokenAmbiguousListingBoth_andReadWithTheChosenOneGoesOn", async () => {
  const w = fakeWorld();
  const listTokens = w.client.listTokens;
  w.client.listTokens = async () => {
    const { tokens } = await listTokens();
    return { tokens: [...tokens, { token: "t2", present: true, label: "Druga karta", algorithms: ["RSA-2048"] }] };
  };
  const { r } = journey(w);
  const s = await r.read();
  assert.equal(s.name, "idle", "no card picked, nothing read");
  assert.ok(s.error instanceof CardBridgeError);
  assert.equal(s.error.code, "TOKEN_AMBIGUOUS");
  assert.deepEqual(s.error.details.tokens.map((t) => t.token), ["t1", "t2"]);
  assert.ok(!w.calls.includes("listCertificates"), "no card's certificates read for a guess");
  const chosen = await r.read({ token: "t1" });
  assert.equal(chosen.name, "eligible", chosen.error?.message);
  assert.equal(chosen.token.token, "t1");
  assert.equal((await r.read({ token: "t-gone" })).name, "noCard");
});
