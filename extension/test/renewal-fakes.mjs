// A card and a CA for the renewal helper's tests: an in-memory card that behaves like the host where
// the journey depends on it (pending keys, install beside / replace, key mismatch, windows that can be
// cancelled) and a CA with codes, a clock and a network that can fail. Certificates are real DER
// structures (unsigned): the helper reads their names and dates.
import { CardBridgeError } from "../api/cardbridge.js";

const DAY = 86400000;

function len(n) {
  if (n < 128) return [n];
  const out = [];
  while (n > 0) {
    out.unshift(n & 0xff);
    n >>= 8;
  }
  return [0x80 | out.length, ...out];
}
const tlv = (tag, ...parts) => {
  const body = parts.flat();
  return [tag, ...len(body.length), ...body];
};
const seq = (...p) => tlv(0x30, ...p);
const utf8 = (s) => [...Buffer.from(s, "utf8")];
const name = (cn) => seq(tlv(0x31, seq(tlv(0x06, 0x55, 0x04, 0x03), tlv(0x0c, utf8(cn)))));
function time(d) {
  const s = new Date(d).toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z";
  return tlv(0x17, utf8(s));
}

/** A base64 DER certificate for `subject` by `issuer`, valid [from, to], carrying `publicKey` as its key. */
export function makeCertificate({ subject, issuer = "Demo CA", from, to, publicKey, serial = 1 }) {
  const alg = seq(tlv(0x06, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02));
  const tbs = seq(
    tlv(0xa0, tlv(0x02, 2)),
    tlv(0x02, serial & 0x7f),
    alg,
    name(issuer),
    seq(time(from), time(to)),
    name(subject),
    seq(alg, tlv(0x03, 0, utf8(publicKey))),
  );
  return Buffer.from(seq(tbs, alg, tlv(0x03, 0, 1))).toString("base64");
}


export function fakeWorld({ daysLeft = 30, t0 = Date.UTC(2026, 10, 1) } = {}) {
  let clock = t0; // the computer's clock (the helper's `now`)
  let caClock = t0;
  let keys = 0;
  let serial = 10;
  const calls = [];
  const plan = []; // [{op, code}] the next such host call fails with code (a cancelled window…)
  const progress = [];

  const oldPub = "PUB-old";
  const oldCert = makeCertificate({ subject: "Jan Kowalski", from: t0 - 300 * DAY, to: t0 + daysLeft * DAY, publicKey: oldPub, serial: 1 });
  const card = {
    present: true,
    certificates: [{ handle: "c-old", certificate: oldCert, keyId: "01", pub: oldPub, hasPrivateKey: true, isCa: false,
      subject: "CN=Jan Kowalski", notBefore: new Date(t0 - 300 * DAY).toISOString(), notAfter: new Date(t0 + daysLeft * DAY).toISOString() }],
    pendingKeys: [],
  };

  function failIfPlanned(op) {
    const i = plan.findIndex((p) => p.op === op);
    if (i >= 0) {
      const [p] = plan.splice(i, 1);
      throw new CardBridgeError(p.code, `${op}: ${p.code}`, p.details ?? {});
    }
  }


  const client = {
    async status() {
      calls.push("status");
      failIfPlanned("status");
      return { host: "0.1.0", protocol: "1.0.0", operations: [] };
    },
    async listTokens() {
      calls.push("listTokens");
      return { tokens: card.present ? [{ token: "t1", present: true, label: "Karta", algorithms: ["RSA-2048", "EC-P256"] }] : [] };
    },
    async listCertificates() {
      calls.push("listCertificates");
      return {
        certificates: card.certificates.map(({ pub, ...c }) => ({ ...c })),
        pendingKeys: card.pendingKeys.map((k) => ({ ...k })),
      };
    },
    async generateKeyPair({ algorithm, label }, { onProgress } = {}) {
      calls.push("generateKeyPair");
      failIfPlanned("generateKeyPair");
      onProgress?.({ stage: "generatingKey", algorithm });
      progress.push("generatingKey");
      keys += 1;
      const k = { handle: `k${keys}`, keyId: `0${keys + 1}`, label, algorithm, publicKey: `PUB-${keys}` };
      card.pendingKeys.push(k);
      return { ...k, key: k.handle };
    },
    async createCsr({ key }) {
      calls.push("createCsr");
      failIfPlanned("createCsr");
      const k = card.pendingKeys.find((x) => x.handle === key);
      if (!k) throw new CardBridgeError("KEY_NOT_FOUND", "no key");
      return { csr: "PEM", der: `CSR:${k.publicKey}` };
    },
    async sign({ certificate }) {
      calls.push("sign");
      failIfPlanned("sign");
      if (!card.certificates.some((c) => c.handle === certificate)) throw new CardBridgeError("KEY_NOT_FOUND", "no cert");
      return { signature: `SIG:${certificate}`, signatureAlgorithm: "x", format: "cms" };
    },
    async installCertificate({ certificates, replaces, removeOldKey, allowNotYetValid }) {
      calls.push("installCertificate");
      const leaf = certificates[0];
      const pub = world.issuedKey.get(leaf);
      const facts = { notBefore: world.issuedNotBefore.get(leaf) };
      if (world.brokenChain.has(leaf)) throw new CardBridgeError("CERTIFICATE_INVALID", "chain");
      const notYetValid = facts.notBefore > clock;
      if (notYetValid && !allowNotYetValid) throw new CardBridgeError("CERTIFICATE_NOT_YET_VALID", "not yet", { notBefore: new Date(facts.notBefore).toISOString() });
      const pending = card.pendingKeys.find((k) => k.publicKey === pub);
      const present = card.certificates.find((c) => c.certificate === leaf);
      if (!pending && !present) throw new CardBridgeError("CERTIFICATE_KEY_MISMATCH", "no key for it");
      failIfPlanned("installCertificate"); // the window comes after the checks
      let entry = present;
      if (!entry) {
        entry = { handle: `c-${pending.handle}`, certificate: leaf, keyId: pending.keyId, pub, hasPrivateKey: true, isCa: false,
          subject: "CN=Jan Kowalski", notBefore: new Date(facts.notBefore).toISOString(), notAfter: new Date(facts.notBefore + 365 * DAY).toISOString() };
        card.certificates.push(entry);
        card.pendingKeys = card.pendingKeys.filter((k) => k !== pending);
      }
      const replace = replaces && !notYetValid;
      if (replace) card.certificates = card.certificates.filter((c) => c.handle !== replaces);
      return { certificate: entry.handle, keyId: entry.keyId, replaced: !!replace, caCertificates: [], ...(replace && removeOldKey ? { oldKeyKept: false } : {}) };
    },
    async removeKey({ key }) {
      calls.push("removeKey");
      failIfPlanned("removeKey");
      card.pendingKeys = card.pendingKeys.filter((k) => k.handle !== key);
      return { removed: true };
    },
  };

  const ca = {
    codes: new Set(["GOOD1", "GOOD2"]),
    spent: new Set(),
    applications: new Map(), // publicKey -> {certificate, notBefore}
    down: new Set(), // calls that fail on the network
    submits: 0,
    wrongKey: false,
    brokenChain: false,
    refuse(code, message) {
      return { status: "refused", error: { code, message } };
    },
  };
  const caCalls = {
    async check({ certificate, code }) {
      if (ca.down.has("check")) throw new TypeError("Failed to fetch");
      const c = card.certificates.find((x) => x.certificate === certificate) ?? { notAfter: new Date(0).toISOString() };
      if (Date.parse(c.notAfter) < caClock) return ca.refuse("CERTIFICATE_EXPIRED", "Certyfikat wygasł; odnowienie online wymaga ważnego certyfikatu.");
      if (code !== undefined && !ca.codes.has(code)) return ca.refuse(ca.spent.has(code) ? "CODE_USED" : "CODE_UNKNOWN", "Kod jest nieprawidłowy.");
      return { status: "eligible", subject: "CN=Jan Kowalski", keyAlgorithm: "EC-P256", notAfter: c.notAfter };
    },
    async draft({ code, validity, csr }) {
      if (ca.down.has("draft")) throw new TypeError("Failed to fetch");
      if (!ca.codes.has(code)) return ca.refuse("CODE_USED", "used");
      return { status: "draft", document: Buffer.from(JSON.stringify({ code, validity, csr })).toString("base64"), statement: ["Wniosek", `ważność: ${validity}`] };
    },
    async submit({ document }) {
      ca.submits += 1;
      const doc = JSON.parse(Buffer.from(document, "base64").toString());
      if (ca.down.has("submit-before")) throw new TypeError("Failed to fetch");
      const pub = doc.csr.slice(4);
      if (ca.applications.has(pub) || !ca.codes.has(doc.code)) return ca.refuse("CERTIFICATE_ALREADY_RENEWED", "already");
      ca.codes.delete(doc.code);
      ca.spent.add(doc.code);
      const old = card.certificates.find((c) => c.handle === "c-old");
      const notBefore = doc.validity === "afterExpiry" ? Date.parse(old.notAfter) + 1000 : caClock;
      const issuedPub = ca.wrongKey ? "PUB-someone-else" : pub;
      serial += 1;
      const certificate = makeCertificate({ subject: "Jan Kowalski", from: notBefore, to: notBefore + 365 * DAY, publicKey: issuedPub, serial });
      world.issuedNotBefore.set(certificate, notBefore);
      world.issuedKey.set(certificate, issuedPub);
      if (ca.brokenChain) world.brokenChain.add(certificate);
      ca.applications.set(pub, { certificate, notBefore });
      if (ca.down.has("submit")) throw new TypeError("Failed to fetch"); // accepted, the answer is lost
      return lookupAnswer(pub, "scheduled");
    },
    async lookup({ publicKey }) {
      if (ca.down.has("lookup")) throw new TypeError("Failed to fetch");
      if (!ca.applications.has(publicKey)) return { status: "none" };
      return lookupAnswer(publicKey, "waiting");
    },
  };
  function lookupAnswer(pub, waitingName) {
    const a = ca.applications.get(pub);
    if (a.notBefore > caClock) return { status: waitingName, availableFrom: new Date(a.notBefore).toISOString() };
    return { status: "issued", certificate: a.certificate, chain: ["CA"], notBefore: new Date(a.notBefore).toISOString() };
  }

  const world = {
    client,
    ca,
    caCalls,
    card,
    calls,
    plan,
    progress,
    issuedNotBefore: new Map(),
    issuedKey: new Map(),
    brokenChain: new Set(),
    now: () => clock,
    advance(days) {
      clock += days * DAY;
      caClock += days * DAY;
    },
    advanceCa(days) {
      caClock += days * DAY;
    },
    cancelNext(op, code = "USER_CANCELLED") {
      plan.push({ op, code });
    },
    count: (op) => calls.filter((c) => c === op).length,
    userCertificates: () => card.certificates.filter((c) => !c.isCa),
  };
  return world;
}
