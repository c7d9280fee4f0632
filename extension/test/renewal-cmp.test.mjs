// The renewal helper's CMP mode (createRenewal({cmp})) against an in-memory card and a CMP CA: the page
// relays the host's kur to the CA and the CA's kup back, then the certConf; each interruption lands in the
// state docs/renewal-states.md names, and nothing is ever signed twice for one request.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRenewal, cmpEndpoint, CardBridgeError, RenewalError } from "../api/cardbridge.js";
import { fakeWorld, makeCertificate } from "./renewal-fakes.mjs";

const DAY = 86400000;
const enc = (o) => Buffer.from(JSON.stringify(o)).toString("base64");
const dec = (b64) => JSON.parse(Buffer.from(b64, "base64").toString());

/** fakeWorld plus the host's two CMP operations and a CMP CA behind `send`. */
function cmpWorld(opts) {
  const w = fakeWorld(opts);
  const t0 = w.now();
  const caCert = makeCertificate({ subject: "Demo CA", issuer: "Demo CA", from: t0 - 900 * DAY, to: t0 + 900 * DAY, publicKey: "PUB-ca", serial: 2 });
  const transactions = new Map();
  let tid = 0;
  const cmpCa = { down: new Set(), reject: null, received: [], issued: 0, confirmed: 0, polls: 0 };
  const hostCalls = [];

  w.client.createKeyUpdateRequest = async ({ key, certificate }) => {
    w.calls.push("createKeyUpdateRequest");
    const k = w.card.pendingKeys.find((x) => x.handle === key);
    if (!k) throw new CardBridgeError("KEY_NOT_FOUND", "no key");
    if (!w.card.certificates.some((c) => c.handle === certificate)) throw new CardBridgeError("KEY_NOT_FOUND", "no cert");
    const plan = w.plan.findIndex((p) => p.op === "createKeyUpdateRequest");
    if (plan >= 0) throw new CardBridgeError(w.plan.splice(plan, 1)[0].code, "window");
    tid += 1;
    transactions.set(String(tid), { pub: k.publicKey, old: certificate, confirmed: null });
    return { message: enc({ type: "kur", tid: String(tid), pub: k.publicKey }), transactionId: String(tid), signatureAlgorithm: "SHA256withECDSA" };
  };
  w.client.acceptCmpResponse = async ({ message, caCertificates, removeOldKey }) => {
    w.calls.push("acceptCmpResponse");
    hostCalls.push({ removeOldKey, caCertificates });
    const m = dec(message);
    if (m.type === "error") throw new CardBridgeError("CMP_REJECTED", "rejection", { statusText: m.text, failInfo: ["badRequest"] });
    const t = transactions.get(m.tid);
    if (!t) throw new CardBridgeError("CMP_TRANSACTION_MISMATCH", "no such transaction");
    if (m.type === "pkiConf") {
      transactions.delete(m.tid);
      return { transactionId: m.tid, closed: true };
    }
    if (t.confirmed) return t.confirmed; // the same kup again: nothing written twice
    const plan = w.plan.findIndex((p) => p.op === "acceptCmpResponse");
    if (plan >= 0) throw new CardBridgeError(w.plan.splice(plan, 1)[0].code, "window");
    if (m.type === "waiting" || m.type === "pollRep") {
      // The person confirmed the question; nothing is written.
      return { transactionId: m.tid, waiting: true, checkAfter: m.checkAfter ?? null, pollReq: enc({ type: "pollReq", tid: m.tid, pub: t.pub }) };
    }
    const pending = w.card.pendingKeys.find((k) => k.publicKey === t.pub);
    const entry = { handle: `c-${pending.handle}`, certificate: m.certificate, keyId: pending.keyId, pub: t.pub, hasPrivateKey: true, isCa: false,
      subject: "CN=Jan Kowalski", notBefore: new Date(t0).toISOString(), notAfter: new Date(t0 + 365 * DAY).toISOString() };
    const old = w.card.certificates.find((c) => c.handle === t.old);
    w.card.certificates = [...w.card.certificates.filter((c) => c !== old), entry];
    w.card.pendingKeys = w.card.pendingKeys.filter((k) => k !== pending);
    // The host keeps the old key for the certConf; without removeOldKey it stays, a key without a certificate.
    if (!removeOldKey) w.card.pendingKeys.push({ handle: "k-old", keyId: old.keyId, publicKey: old.pub });
    t.confirmed = {
      transactionId: m.tid,
      installation: { certificate: entry.handle, keyId: entry.keyId, replaced: true, caCertificates: [], ...(removeOldKey ? { oldKeyKept: false } : {}) },
      certConf: enc({ type: "certConf", tid: m.tid }),
    };
    return t.confirmed;
  };

  const send = async (b64) => {
    const m = dec(b64);
    cmpCa.received.push(m.type);
    if (cmpCa.down.has(m.type)) throw new TypeError("Failed to fetch");
    if (m.type === "kur" && cmpCa.polls > 0) return enc({ type: "waiting", tid: m.tid });
    if (m.type === "pollReq" && cmpCa.polls > 1) {
      cmpCa.polls -= 1;
      return enc({ type: "pollRep", tid: m.tid, checkAfter: 60 });
    }
    if (m.type === "kur" || m.type === "pollReq") {
      if (cmpCa.reject) return enc({ type: "error", text: cmpCa.reject });
      cmpCa.issued += 1;
      const certificate = makeCertificate({ subject: "Jan Kowalski", from: t0, to: t0 + 365 * DAY, publicKey: m.pub, serial: 20 + cmpCa.issued });
      if (cmpCa.down.has("kup")) throw new TypeError("Failed to fetch"); // issued, the answer lost
      return enc({ type: "kup", tid: m.tid, certificate });
    }
    if (m.type === "certConf") {
      cmpCa.confirmed += 1;
      return enc({ type: "pkiConf", tid: m.tid });
    }
    return enc({ type: "error", text: "?" });
  };
  return { ...w, caCert, cmpCa, send, hostCalls };
}

function journey(w, extra = {}) {
  const states = [];
  const activities = [];
  const r = createRenewal({
    cmp: { send: w.send, caCertificates: [w.caCert] },
    client: w.client,
    now: w.now,
    onState: (s) => states.push(s),
    onActivity: (a) => activities.push(a),
    ...extra,
  });
  return { r, states, activities };
}

test("cmpRenewal_readRenew_endsDoneWithOnlyTheNewCertificate_certConfSent_oldKeyRemoved", async () => {
  const w = cmpWorld();
  const { r, states, activities } = journey(w);
  const eligible = await r.read();
  assert.equal(eligible.name, "eligible");
  assert.equal(eligible.eligibility.subject, "CN=Jan Kowalski", "the form's summary comes from the card");
  assert.deepEqual(eligible.next, ["renew"]);
  const done = await r.renew();
  assert.equal(done.name, "done", done.error?.message);
  assert.deepEqual(states.map((s) => s.name), ["eligible", "keyOnCard", "issued", "done"]);
  assert.deepEqual(w.userCertificates().map((c) => c.handle), ["c-k1"]);
  assert.equal(w.card.pendingKeys.length, 0, "no key left without a certificate (the old key went with removeOldKey)");
  assert.deepEqual(w.cmpCa.received, ["kur", "certConf"]);
  assert.equal(w.cmpCa.confirmed, 1);
  assert.equal(w.hostCalls[0].removeOldKey, true);
  assert.deepEqual(w.hostCalls[0].caCertificates, [w.caCert]);
  assert.equal(done.result.replaced, true);
  assert.equal(done.issued.certificate, w.userCertificates()[0].certificate, "the page can tell the new certificate's dates");
  // No custom CA call in CMP mode; the relay is told as "asking the CA".
  assert.equal(w.count("createCsr") + w.count("sign"), 0);
  assert.ok(activities.some((a) => a?.name === "askingCa" && a.call === "cmp"));
  assert.ok(activities.some((a) => a?.name === "waitingForYou" && a.op === "createKeyUpdateRequest"));
  assert.equal(r.activity, null);
});

test("cmpRenewal_removeOldKeyFalse_theOldKeyStaysAsAKeyWithoutCertificate", async () => {
  const w = cmpWorld();
  const { r } = journey(w, { removeOldKey: false });
  await r.read();
  assert.equal((await r.renew()).name, "done");
  assert.equal(w.hostCalls[0].removeOldKey, false);
  assert.deepEqual(w.card.pendingKeys.map((k) => k.handle), ["k-old"]);
});

test("cmpCancelAtTheRequestWindow_keyStaysAndIsReused_noSecondKey", async () => {
  const w = cmpWorld();
  const { r } = journey(w);
  await r.read();
  w.cancelNext("createKeyUpdateRequest");
  const s = await r.renew();
  assert.equal(s.name, "keyOnCard");
  assert.equal(s.error.code, "USER_CANCELLED");
  assert.deepEqual(s.next, ["renew", "discard"]);
  assert.deepEqual(w.cmpCa.received, [], "nothing was sent to the CA");
  assert.equal((await r.renew()).name, "done");
  assert.equal(w.count("generateKeyPair"), 1);
});

test("cmpCancelAtTheInstallWindow_offersInstall_theSameAnswerIsInstalled_nothingSignedOrSentTwice", async () => {
  const w = cmpWorld();
  const { r } = journey(w);
  await r.read();
  w.cancelNext("acceptCmpResponse");
  const s = await r.renew();
  assert.equal(s.name, "issued");
  assert.equal(s.error.code, "USER_CANCELLED");
  assert.deepEqual(s.next, ["install"]);
  assert.equal(w.userCertificates()[0].handle, "c-old", "the old certificate still works");
  const done = await r.install();
  assert.equal(done.name, "done", done.error?.message);
  assert.equal(w.count("createKeyUpdateRequest"), 1);
  assert.deepEqual(w.cmpCa.received, ["kur", "certConf"]);
});

test("cmpEndpointUnreachable_unknown_lookupSendsTheSameRequestAgain_noSecondSignature", async () => {
  const w = cmpWorld();
  const { r } = journey(w);
  await r.read();
  w.cmpCa.down.add("kup");
  const s = await r.renew();
  assert.equal(s.name, "unknown");
  assert.equal(s.error.code, "CA_OUTCOME_UNKNOWN");
  assert.deepEqual(s.next, ["lookup"]);
  w.cmpCa.down.clear();
  const done = await r.lookup();
  assert.equal(done.name, "done", done.error?.message);
  assert.equal(w.count("createKeyUpdateRequest"), 1, "the request is signed once");
  assert.deepEqual(w.cmpCa.received, ["kur", "kur", "certConf"]);
});

test("cmpCertConfLost_stateIssued_installSendsTheSameConfirmationAgain", async () => {
  const w = cmpWorld();
  const { r } = journey(w);
  await r.read();
  w.cmpCa.down.add("certConf");
  const s = await r.renew();
  assert.equal(s.name, "issued");
  assert.equal(s.error.code, "CA_UNAVAILABLE");
  assert.equal(w.userCertificates()[0].handle, "c-k1", "the certificate is on the card already");
  w.cmpCa.down.clear();
  const done = await r.install();
  assert.equal(done.name, "done", done.error?.message);
  assert.equal(w.cmpCa.confirmed, 1);
  assert.equal(w.count("createKeyUpdateRequest"), 1);
});

test("cmpRejected_refusedWithTheCasText_nothingWritten_theKeyOfferedForRemoval", async () => {
  const w = cmpWorld();
  const { r } = journey(w);
  await r.read();
  w.cmpCa.reject = "Certyfikat został unieważniony.";
  const s = await r.renew();
  assert.equal(s.name, "refused");
  assert.ok(s.error instanceof RenewalError);
  assert.equal(s.error.code, "CA_REFUSED");
  assert.deepEqual(s.refusal, { code: "CMP_REJECTED", message: "Certyfikat został unieważniony." });
  assert.deepEqual(s.next, ["discard", "read"]);
  assert.equal(w.userCertificates()[0].handle, "c-old");
  const after = await r.discard();
  assert.equal(w.card.pendingKeys.length, 0);
  assert.equal(after.name, "eligible");
});

test("cmpPageReopenedWithAPendingKey_keyOnCard_withoutAnyCaCall", async () => {
  const w = cmpWorld();
  const first = journey(w);
  await first.r.read();
  w.cancelNext("createKeyUpdateRequest");
  await first.r.renew();
  const { r } = journey(w);
  const s = await r.read();
  assert.equal(s.name, "keyOnCard");
  assert.equal(s.key.handle, "k1");
  assert.deepEqual(w.cmpCa.received, []);
  assert.equal((await r.renew()).name, "done");
  assert.equal(w.count("generateKeyPair"), 1);
});

test("cmpMode_aCertificateOfAnotherCa_orAnExpiredOne_isNotOffered", async () => {
  const w = cmpWorld();
  const other = makeCertificate({ subject: "Other CA", issuer: "Other CA", from: 0, to: w.now() + DAY, publicKey: "PUB-o" });
  const { r } = journey(w, { cmp: { send: w.send, caCertificates: [other] } });
  const s = await r.read();
  assert.equal(s.name, "refused");
  assert.equal(s.refusal.code, "NO_RENEWABLE_CERTIFICATE");

  const expired = cmpWorld({ daysLeft: -1 });
  const e = await journey(expired).r.read();
  assert.equal(e.name, "refused");
  assert.equal(e.refusal.code, "CERTIFICATE_EXPIRED");
  assert.equal(expired.count("generateKeyPair"), 0);
});

test("createRenewal: CMP mode needs the endpoint and the CA certificates, not the four JSON calls", () => {
  assert.throws(() => createRenewal({ cmp: { caCertificates: ["x"] } }), /cmp.url/);
  assert.throws(() => createRenewal({ cmp: { url: "/cmp" } }), /caCertificates/);
  assert.throws(() => createRenewal({}), /ca.check/);
  assert.doesNotThrow(() => createRenewal({ cmp: { url: "/cmp", caCertificates: ["x"] } }));
});

test("cmpEndpoint posts DER as application/pkixcmp; an answer of another type is no answer", async () => {
  const seen = [];
  const fetchOk = async (url, init) => {
    seen.push({ url, type: init.headers["Content-Type"], body: Buffer.from(init.body).toString("hex") });
    return { status: 200, headers: new Map([["Content-Type", "application/pkixcmp"]]), arrayBuffer: async () => new Uint8Array([0x30, 0x00]).buffer };
  };
  const send = cmpEndpoint("/cmp", { fetch: fetchOk });
  assert.equal(await send(Buffer.from([0x30, 0x03, 1, 2, 3]).toString("base64")), Buffer.from([0x30, 0x00]).toString("base64"));
  assert.deepEqual(seen, [{ url: "/cmp", type: "application/pkixcmp", body: "3003010203" }]);
  // An error PKIMessage may come with an HTTP error status: it is still the CA's answer.
  const fetch400 = async () => ({ status: 400, headers: new Map([["Content-Type", "application/pkixcmp"]]), arrayBuffer: async () => new Uint8Array([0x30, 0x00]).buffer });
  assert.equal(await cmpEndpoint("/cmp", { fetch: fetch400 })("MAA="), "MAA=");
  const fetchHtml = async () => ({ status: 502, headers: new Map([["Content-Type", "text/html"]]), arrayBuffer: async () => new ArrayBuffer(3) });
  await assert.rejects(cmpEndpoint("/cmp", { fetch: fetchHtml })("MAA="), /HTTP 502/);
});

test("cmpWaitingOrAnAnswerThatDoesNotVerify_nothingWritten_theKeyStaysForANewRequest", async () => {
  for (const code of ["CMP_WAITING", "CMP_PROTECTION_INVALID"]) {
    const w = cmpWorld();
    const { r } = journey(w);
    await r.read();
    const accept = w.client.acceptCmpResponse;
    w.client.acceptCmpResponse = async () => {
      throw new CardBridgeError(code, code);
    };
    const s = await r.renew();
    assert.equal(s.name, "keyOnCard", code);
    assert.equal(s.error.code, code);
    assert.deepEqual(s.next, ["renew", "discard"]);
    assert.equal(w.userCertificates()[0].handle, "c-old", "the old certificate still works");
    w.client.acceptCmpResponse = accept;
    assert.equal((await r.renew()).name, "done", code);
    assert.equal(w.count("generateKeyPair"), 1, "the same key, a new request");
  }
});

test("cmpWaiting_scheduled_checkAgainSendsThePollReq_untilTheCertificate_thenDone", async () => {
  const w = cmpWorld();
  const { r, states } = journey(w);
  await r.read();
  w.cmpCa.polls = 2; // waiting, then one pollRep, then the certificate
  const waiting = await r.renew();
  assert.equal(waiting.name, "scheduled", waiting.error?.message);
  assert.deepEqual(waiting.next, ["lookup"], "check again; nothing to sign or install");
  assert.equal(waiting.availableFrom, null, "the CA gave no time");
  assert.equal(w.userCertificates()[0].handle, "c-old", "nothing written while waiting");
  const again = await r.lookup();
  assert.equal(again.name, "scheduled");
  assert.equal(Date.parse(again.availableFrom), w.now() + 60000, "checkAfter: 60 s");
  w.cancelNext("acceptCmpResponse"); // the person cancels the next question's window
  const cancelled = await r.lookup();
  assert.equal(cancelled.name, "scheduled");
  assert.equal(cancelled.error.code, "USER_CANCELLED");
  assert.deepEqual(cancelled.next, ["lookup"]);
  const done = await r.lookup();
  assert.equal(done.name, "done", done.error?.message);
  assert.deepEqual(w.cmpCa.received, ["kur", "pollReq", "pollReq", "certConf"], "the answer taken after the cancel was not asked for again");
  assert.equal(w.count("createKeyUpdateRequest"), 1);
  assert.equal(w.card.pendingKeys.length, 0);
  assert.deepEqual(states.map((s) => s.name).filter((n, i, a) => n !== a[i - 1]), ["eligible", "keyOnCard", "scheduled", "issued", "done"],
    "'issued' only once the certificate came");
});
