// Names a person knows a certificate by, from the RFC 2253 subject and issuer the host reports
// (javax.security.auth.x500.X500Principal.RFC2253): the holder's name, the issuer's organisation. Java
// writes attributes it has no keyword for (serialNumber, givenName, surname, …) as `OID=#<DER hex>`; those
// are decoded here, so a PESEL/PNOPL serial number reads as text, never as hex.

/** Attribute OIDs Java writes as `OID=#hex`, by the keyword people know them by. @type {Record<string, string>} */
const OIDS = {
  "2.5.4.3": "CN",
  "2.5.4.4": "SN",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "C",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.42": "givenName",
  "2.5.4.97": "organizationIdentifier",
  "1.2.840.113549.1.9.1": "emailAddress",
};

/** @param {number[]} bytes */
function utf8(bytes) {
  return new TextDecoder("utf-8", { fatal: false }).decode(new Uint8Array(bytes));
}

/**
 * A DER string value (`#0c05…`): UTF8String, PrintableString, IA5String, TeletexString, BMPString.
 * @param {string} hex
 * @returns {string | null}
 */
function derString(hex) {
  if (!/^([0-9a-fA-F]{2})+$/.test(hex)) return null;
  const b = /** @type {RegExpMatchArray} the test above matched */ (hex.match(/../g)).map((h) => parseInt(h, 16));
  const tag = b[0];
  let len = b[1];
  let off = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 2) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | b[2 + i];
    off = 2 + n;
  }
  const body = b.slice(off, off + len);
  if (body.length !== len) return null;
  if (tag === 0x0c || tag === 0x13 || tag === 0x16) return utf8(body);
  if (tag === 0x14) return String.fromCharCode(...body);
  if (tag === 0x1e) {
    let s = "";
    for (let i = 0; i + 1 < body.length; i += 2) s += String.fromCharCode((body[i] << 8) | body[i + 1]);
    return s;
  }
  return null;
}

/** @typedef {{ type: string, value: string }} Rdn One attribute of a distinguished name. */

/**
 * RFC 2253 text → [{type, value}], most specific first (as written). Never throws.
 * @param {unknown} dn any value: what is not a string gives no attributes
 * @returns {Rdn[]}
 */
export function parseDn(dn) {
  /** @type {Rdn[]} */
  const out = [];
  if (typeof dn !== "string") return out;
  let i = 0;
  while (i < dn.length) {
    // type
    let type = "";
    while (i < dn.length && dn[i] !== "=") type += dn[i++];
    i++; // "="
    type = type.trim();
    let value = "";
    if (dn[i] === "#") {
      let hex = "";
      i++;
      while (i < dn.length && /[0-9a-fA-F]/.test(dn[i])) hex += dn[i++];
      value = derString(hex) ?? `#${hex}`;
    } else {
      /** @type {number[]} */
      const bytes = [];
      const flush = () => {
        if (bytes.length) value += utf8(bytes.splice(0));
      };
      while (i < dn.length && dn[i] !== "," && dn[i] !== "+") {
        if (dn[i] === "\\" && i + 1 < dn.length) {
          if (/[0-9a-fA-F]{2}/.test(dn.slice(i + 1, i + 3))) {
            bytes.push(parseInt(dn.slice(i + 1, i + 3), 16));
            i += 3;
            continue;
          }
          flush();
          value += dn[i + 1];
          i += 2;
          continue;
        }
        flush();
        value += dn[i++];
      }
      flush();
    }
    out.push({ type: OIDS[type] ?? type, value });
    while (i < dn.length && dn[i] !== "," && dn[i] !== "+") i++;
    i++; // "," or "+"
  }
  return out;
}

/**
 * @param {Rdn[]} rdns
 * @param {string} type
 */
function first(rdns, type) {
  return rdns.find((r) => r.type === type)?.value ?? null;
}

/**
 * How a person knows a certificate: `name` (the holder: CN, else given name and surname, else the
 * organisation), `issuer` (the issuer's organisation, else its CN). The raw DNs stay in the certificate.
 * @param {Partial<Pick<import("../api/cardbridge.js").Certificate, "subject" | "issuer" | "label">> | null | undefined} cert
 * @returns {{ name: string, issuer: string }}
 */
export function plainNames(cert) {
  const s = parseDn(cert?.subject);
  const i = parseDn(cert?.issuer);
  const given = [first(s, "givenName"), first(s, "SN")].filter(Boolean).join(" ");
  const name = first(s, "CN") || given || first(s, "O") || cert?.label || cert?.subject || "";
  const issuer = first(i, "O") || first(i, "CN") || "";
  return { name, issuer };
}

/**
 * A date as a person reads it in `locale` ("4 Jan 2027", "4 sty 2027"), in the local time zone. Browsers
 * may report the UI language as "pl_PL"; that and anything Intl refuses falls back to the language alone.
 * @param {string} iso an ISO 8601 date-time (what the host reports)
 * @param {string | null | undefined} locale
 */
export function formatDate(iso, locale) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso ?? "");
  const tag = String(locale ?? "").replace(/_/g, "-");
  /** @type {Intl.DateTimeFormatOptions} */
  const options = { day: "numeric", month: "short", year: "numeric" };
  for (const l of [tag, tag.split("-")[0], "en-GB"]) {
    try {
      return d.toLocaleDateString(l || undefined, options);
    } catch {
      // not a tag Intl knows: try the next
    }
  }
  return d.toISOString().slice(0, 10);
}
