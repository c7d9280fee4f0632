// Just enough X.509 for a renewal page to check what the CA sent before anything is written to the card:
// that it is a certificate, that it is for the key generated on the card, and that the CA certificate
// sent with it really signed it (WebCrypto). The host checks again; this lets the page say clearly which
// of the CA's answers is wrong.

/**
 * @typedef {object} Certificate What parseCertificate reads of one; names and keys as their DER bytes.
 * @property {Uint8Array<ArrayBuffer>} tbs
 * @property {Uint8Array<ArrayBuffer>} issuer
 * @property {Uint8Array<ArrayBuffer>} subject
 * @property {Uint8Array<ArrayBuffer>} spki
 * @property {string} signatureAlgorithm OID
 * @property {Uint8Array<ArrayBuffer>} signature
 * @property {Date} notBefore
 * @property {Date} notAfter
 */

/** @param {string} b64 base64, or PEM */
export function b64ToBytes(b64) {
  const clean = String(b64).replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, "").replace(/\s+/g, "");
  const bin = atob(clean);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** @param {Uint8Array | ArrayBuffer} bytes */
export function bytesToB64(bytes) {
  let bin = "";
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  for (let i = 0; i < b.length; i += 0x8000) bin += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(bin);
}

/**
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 */
export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Splits PEM text into base64 DER strings, one per CERTIFICATE block.
 * @param {string} text
 */
export function pemCertificates(text) {
  const out = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  let m;
  while ((m = re.exec(text)) !== null) out.push(m[1].replace(/\s+/g, ""));
  return out;
}

/** @typedef {{tag: number, start: number, body: number, end: number}} Tlv One DER item: its tag, where it starts, its contents and its end. */

/**
 * @param {Uint8Array} bytes
 * @param {number} pos
 * @returns {Tlv}
 */
function tlv(bytes, pos) {
  if (pos + 2 > bytes.length) throw new Error("truncated DER");
  const tag = bytes[pos];
  let len = bytes[pos + 1];
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error("unsupported DER length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[pos + 2 + i];
    header = 2 + n;
  }
  const end = pos + header + len;
  if (end > bytes.length) throw new Error("truncated DER");
  return { tag, start: pos, body: pos + header, end };
}

/**
 * @param {Uint8Array} bytes
 * @param {Tlv} node
 */
function children(bytes, node) {
  const out = [];
  let p = node.body;
  while (p < node.end) {
    const c = tlv(bytes, p);
    out.push(c);
    p = c.end;
  }
  return out;
}

/**
 * @param {Uint8Array} bytes
 * @param {Tlv} node
 */
function oid(bytes, node) {
  const b = bytes.subarray(node.body, node.end);
  const parts = [Math.floor(b[0] / 40), b[0] % 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + (b[i] & 0x7f);
    if (!(b[i] & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join(".");
}

/**
 * @param {Uint8Array} bytes
 * @param {Tlv} node
 */
function time(bytes, node) {
  const s = new TextDecoder().decode(bytes.subarray(node.body, node.end));
  const m = node.tag === 0x17 ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s) : /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s);
  if (!m) throw new Error("bad time");
  let year = Number(m[1]);
  if (node.tag === 0x17) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/**
 * @param {Uint8Array} der one DER certificate
 * @returns {Certificate}
 * @throws Error when the bytes are not a well-formed certificate
 */
export function parseCertificate(der) {
  const top = tlv(der, 0);
  if (top.tag !== 0x30 || top.end !== der.length) throw new Error("not a certificate");
  const parts = children(der, top);
  if (parts.length !== 3 || parts[0].tag !== 0x30 || parts[2].tag !== 0x03) throw new Error("not a certificate");
  const t = children(der, parts[0]);
  const i = t[0]?.tag === 0xa0 ? 1 : 0;
  if (t.length < i + 6) throw new Error("not a certificate");
  const [validity, subject, spki] = [t[i + 3], t[i + 4], t[i + 5]];
  const v = children(der, validity);
  const slice = (/** @type {Tlv} */ n) => der.slice(n.start, n.end);
  return {
    tbs: slice(parts[0]),
    issuer: slice(t[i + 2]),
    subject: slice(subject),
    spki: slice(spki),
    signatureAlgorithm: oid(der, children(der, parts[1])[0]),
    signature: der.slice(parts[2].body + 1, parts[2].end),
    notBefore: time(der, v[0]),
    notAfter: time(der, v[1]),
  };
}

/** @type {Record<string, string>} signature algorithm OID -> its hash */
const HASHES = {
  "1.2.840.113549.1.1.11": "SHA-256", "1.2.840.113549.1.1.12": "SHA-384", "1.2.840.113549.1.1.13": "SHA-512",
  "1.2.840.10045.4.3.2": "SHA-256", "1.2.840.10045.4.3.3": "SHA-384", "1.2.840.10045.4.3.4": "SHA-512",
};
/** @type {Record<string, [string, number]>} curve OID -> WebCrypto name, coordinate size */
const CURVES = { "1.2.840.10045.3.1.7": ["P-256", 32], "1.3.132.0.34": ["P-384", 48], "1.3.132.0.35": ["P-521", 66] };

/** ECDSA signatures are DER SEQUENCE{r,s} in X.509 and r||s in WebCrypto. */
/**
 * @param {Uint8Array} sig
 * @param {number} size
 */
function ecdsaRaw(sig, size) {
  const seq = tlv(sig, 0);
  const [r, s] = children(sig, seq);
  const fit = (/** @type {Tlv} */ n) => {
    let b = sig.subarray(n.body, n.end);
    while (b.length > size && b[0] === 0) b = b.subarray(1);
    const out = new Uint8Array(size);
    out.set(b, size - b.length);
    return out;
  };
  const out = new Uint8Array(size * 2);
  out.set(fit(r), 0);
  out.set(fit(s), size);
  return out;
}

/** True when {@code issuerCert}'s key verifies {@code cert}'s signature and the names chain. */
/**
 * @param {Certificate} cert
 * @param {Certificate} issuerCert
 */
export async function signedBy(cert, issuerCert) {
  if (!equalBytes(cert.issuer, issuerCert.subject)) return false;
  const hash = HASHES[cert.signatureAlgorithm];
  if (!hash) return false;
  const spki = issuerCert.spki;
  const algId = children(spki, children(spki, tlv(spki, 0))[0]);
  const keyOid = oid(spki, algId[0]);
  try {
    if (keyOid === "1.2.840.10045.2.1") {
      const [namedCurve, size] = CURVES[oid(spki, algId[1])] ?? [];
      if (!namedCurve) return false;
      const key = await crypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve }, false, ["verify"]);
      return await crypto.subtle.verify({ name: "ECDSA", hash }, key, ecdsaRaw(cert.signature, size), cert.tbs);
    }
    if (keyOid === "1.2.840.113549.1.1.1") {
      const key = await crypto.subtle.importKey("spki", spki, { name: "RSASSA-PKCS1-v1_5", hash }, false, ["verify"]);
      return await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, cert.signature, cert.tbs);
    }
  } catch {
    return false;
  }
  return false;
}
