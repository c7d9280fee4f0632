// The demo CA's renewal page, built on CardBridge's renewal helper (createRenewal in cardbridge.js, served
// next to this file exactly as a CA would host its copy) and the CA's own JSON API under /api/. The helper
// runs the journey and says where it stands (docs/renewal-states.md); this file only draws it:
//   - `render(state)`: one function draws everything a state means — the section, the buttons offered,
//     the error of the last step next to what is true on the card now;
//   - `renderActivity(activity)`: the one status line, cleared whenever nothing is running, so no old
//     "Checking with the CA…" or "Generating the key: 9 s" stays on the page.
// The manual path (CSR as a file) and the demo-only panel use the low-level calls directly.
import * as cardbridge from "./cardbridge/cardbridge.js";
import { TEXTS } from "./texts.js";
import * as x509 from "./x509.js";

/** @typedef {import("./cardbridge/cardbridge.js").RenewalState} RenewalState */
/** @typedef {import("./cardbridge/cardbridge.js").Renewal} Renewal */
/** @typedef {import("./cardbridge/cardbridge.js").Token} Token */
/** @typedef {import("./cardbridge/cardbridge.js").Client} Client */
/** @typedef {import("./cardbridge/cardbridge.js").CaAnswer} CaAnswer */
/** @typedef {Extract<CaAnswer, {status: "eligible"}>} Eligible */
/** @typedef {{name: string, since: number, op?: string, call?: string}} Activity What renderActivity draws: the helper's RenewalActivity, or the manual path's own. */
/** @typedef {{code: string, message: string, refusal?: {code: string, message: string}, install?: {url: string, text: string}, cause?: unknown}} Failure What the page reads of a CardBridgeError or RenewalError. */

const query = new URLSearchParams(location.search);
/** How long to wait for the CA's API; a test or a slow network may change it with ?caTimeout=ms. */
const CA_TIMEOUT_MS = Number(query.get("caTimeout")) || 30000;
// The portal speaks pl and en: anything else asked for (?lang=de, an old stored value) is English.
/** @type {string} */
let lang = [query.get("lang"), localStorage.getItem("cardbridge-demo-lang"), navigator.language?.startsWith("pl") ? "pl" : "en"].find((l) => l === "pl" || l === "en") ?? "en";

/** One of the page's own elements (an input, a link, a section: any, as the page knows which). @returns {any} */
const $ = (/** @type {string} */ id) => document.getElementById(id);

/**
 * @param {string} key
 * @param {Record<string, unknown>} [vars] values for the text's {name} placeholders
 */
function t(key, vars = {}) {
  const text = TEXTS[lang]?.[key] ?? TEXTS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, /** @type {string} */ name) => String(vars[name] ?? ""));
}

/** @param {string | Date} iso */
function date(iso) {
  const d = iso instanceof Date ? iso : new Date(iso);
  return d.toLocaleString(lang === "pl" ? "pl-PL" : "en-GB", { timeZone: "UTC", dateStyle: "medium", timeStyle: "short" }) + " UTC";
}

/** @param {string} text */
function log(text) {
  if (!text) return;
  const li = document.createElement("li");
  li.textContent = `${new Date().toISOString().slice(11, 19)} ${text}`;
  $("log").append(li);
}

// --- the CA's API ----------------------------------------------------------------------------------------

/** No usable answer from the CA (network, timeout, HTTP 5xx, not JSON); `code` names which. */
class CaError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** The CA's answer; a refusal (HTTP 400/422) is an answer too: `{status: "refused", error: {code, message}}`. */
/**
 * @param {string} path under /api/
 * @param {object} [body] POSTed as JSON; without it a GET
 * @returns {Promise<any>} the CA's JSON as it sent it (each caller reads the fields its call answers with: not checked here)
 */
async function ca(path, body) {
  let res;
  try {
    res = await fetch(`/api/${path}`, {
      method: body ? "POST" : "GET",
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify({ ...body, lang }) : undefined,
      signal: AbortSignal.timeout(CA_TIMEOUT_MS),
    });
  } catch (e) {
    const timeout = e?.name === "TimeoutError";
    throw new CaError(timeout ? "CA_TIMEOUT" : "CA_NETWORK", timeout ? `timeout ${CA_TIMEOUT_MS / 1000} s` : "connection failed");
  }
  let json;
  try {
    json = await res.json();
  } catch {
    throw new CaError(`CA_HTTP_${res.status}`, `HTTP ${res.status}`);
  }
  if ((res.status === 400 || res.status === 422) && json?.status === "refused") return json;
  if (!res.ok) throw new CaError(`CA_HTTP_${res.status}`, `HTTP ${res.status}`);
  return json;
}

/** A problem the page itself found (in the user's input or a file); `code` names its text. */
class PageError extends Error {
  /**
   * @param {string} key its text
   * @param {Record<string, unknown>} [vars]
   */
  constructor(key, vars) {
    super(t(key, vars));
    this.code = key;
  }
}

// --- the journey ---------------------------------------------------------------------------------------

/**
 * The renewal's two ways (docs/integration.md): the CA's JSON API (code, application signed with the card)
 * or CMP (a key update request to the CA's /cmp endpoint, signed with the current certificate). ?mode=cmp
 * or the choice on the page picks one.
 */
let mode = query.get("mode") === "cmp" ? "cmp" : "json";

/**
 * @param {string} way "json" or "cmp"
 * @param {string[]} [caChain] the CA's certificates (CMP)
 * @returns {Renewal}
 */
function makeRenewal(way, caChain) {
  const common = { lang: () => lang, onState: render, onActivity: renderActivity };
  if (way === "cmp") {
    // The CA's CMP answers are signed by a certificate its issuing CA issued; the old certificate's chain goes along.
    return cardbridge.createRenewal({ ...common, cmp: { url: "/cmp", caCertificates: caChain, chain: caChain, timeout: CA_TIMEOUT_MS } });
  }
  return cardbridge.createRenewal({
    ...common,
    ca: {
      check: (body) => ca("renewal/check", body),
      draft: (body) => ca("renewal/draft", body),
      submit: (body) => ca("renewal/submit", body),
      lookup: (body) => ca("renewal/lookup", body),
    },
    applicationDescription: () => t("application.title"),
  });
}

// The CA's chain a CMP journey needs is fetched when the card is read; until then the JSON one stands in.
let renewal = makeRenewal("json");
let renewalMode = "json";

/** The journey of the chosen way; a CMP journey needs the CA's certificates first. */
async function journey() {
  if (renewalMode !== mode) {
    renewal = makeRenewal(mode, mode === "cmp" ? (await ca("info")).chain : undefined);
    renewalMode = mode;
  }
  return renewal;
}

/** The page's state for people and tests (body[data-state]); body[data-journey] is the helper's own name. */
/** @type {Record<string, string>} */
const PAGE_STATE = {
  idle: "ready",
  noCard: "noCard",
  refused: "refused",
  eligible: "form",
  keyOnCard: "form",
  drafted: "application",
  unknown: "unknown",
  issued: "ready-to-install",
  scheduled: "scheduled",
  deferred: "deferred",
  finishable: "finishable",
  done: "done",
};
/** @type {Record<string, string>} */
const STEP_OF = { idle: "card", noCard: "card", refused: "card", eligible: "form", keyOnCard: "form", drafted: "application" };
/** @type {Record<string, string>} */
const SECTION_OF = {
  eligible: "step-form",
  keyOnCard: "step-form",
  drafted: "step-application",
  unknown: "step-pending",
  issued: "step-pending",
  scheduled: "step-pending",
  deferred: "step-pending",
  finishable: "step-pending",
  done: "step-done",
};
/** What is true on the card in each state, said next to an error so no error text has to guess it. */
/** @type {Record<string, string>} */
const TRUTH = {
  idle: "truth.card",
  noCard: "truth.card",
  refused: "truth.card",
  eligible: "truth.card",
  keyOnCard: "truth.keyOnCard",
  drafted: "truth.drafted",
  unknown: "truth.unknown",
  issued: "truth.issued",
  finishable: "truth.finishable",
};

/** @param {string} state */
function setState(state) {
  document.body.dataset.state = state;
}

const STEPS = ["card", "form", "key", "application", "install"];
/** @param {string} name one of STEPS */
function step(name) {
  const at = STEPS.indexOf(name);
  document.querySelectorAll("#steps li").forEach((li) => {
    const i = STEPS.indexOf(/** @type {HTMLElement} */ (li).dataset.step);
    li.classList.toggle("current", i === at);
    li.classList.toggle("done", i < at);
    li.toggleAttribute("aria-current", i === at);
  });
}

/** @param {...string} ids */
function showOnly(...ids) {
  for (const id of ["step-pending", "step-form", "step-application", "step-done"]) $(id).hidden = !ids.includes(id);
}

/**
 * @param {string} text
 * @param {{kind?: string, code?: string}} [how]
 */
function showMessage(text, { kind = "error", code = "" } = {}) {
  const m = $("message");
  m.replaceChildren(text);
  m.className = kind;
  m.dataset.code = code;
  m.hidden = false;
  log(text);
}

function clearMessage() {
  $("message").hidden = true;
  $("message").replaceChildren();
  $("message").dataset.code = "";
}

/** Validity of the certificate a state is about, for the texts. */
/** @param {RenewalState} s */
function validityOf(s) {
  const b64 = s.successor?.certificate ?? /** @type {Extract<CaAnswer, {status: "issued"}> | null} */ (s.issued)?.certificate;
  if (!b64) return { from: s.availableFrom ? date(s.availableFrom) : "", to: "" };
  try {
    const f = cardbridge.certificateFacts(b64);
    return { from: date(f.notBefore), to: date(f.notAfter) };
  } catch {
    return { from: s.validFrom ? date(s.validFrom) : "", to: "" };
  }
}

/** The first failure behind an error (the CA's own CaError behind CA_OUTCOME_UNKNOWN ← CA_UNAVAILABLE). */
/**
 * @param {any} e whatever was thrown: an error, its causes (unknown in Error's type) are followed as they are
 * @returns {any}
 */
function rootCause(e) {
  let c = e;
  while (c?.cause) c = c.cause;
  return c;
}

/** @param {any} e whatever an action threw (a catch's value): a CardBridgeError, a RenewalError, a CaError, anything */
function errorText(e) {
  if (e instanceof cardbridge.RenewalError) {
    if (e.code === "CA_REFUSED") return e.refusal.message || t("journey.refused");
    const detail = rootCause(e).message ?? "";
    if (e.code === "CA_UNAVAILABLE") return t("error.caUnavailable", { detail });
    if (e.code === "CA_OUTCOME_UNKNOWN") return t("error.caUnknownOutcome", { detail });
    return t("error.journey", { code: e.code });
  }
  if (e instanceof cardbridge.CardBridgeError) {
    return TEXTS[lang][`card.${e.code}`] ? t(`card.${e.code}`) : t("card.OTHER", { code: e.code, detail: e.message });
  }
  return String(e?.message ?? e);
}

/** "Unblock the PIN": the host's window takes the PUK and the new PIN twice; then the renewal goes on. */
/** @param {string} token */
function unblockButton(token) {
  const b = Object.assign(document.createElement("button"), { type: "button", id: "unblock-pin", textContent: t("card.unblock") });
  b.addEventListener(
    "click",
    action(async () => {
      await cardbridge.unblockPin({ token }, { lang: lang === "pl" ? "pl" : "en" });
      showMessage(t("card.unblocked"), { kind: "info", code: "PIN_UNBLOCKED" });
    }),
  );
  return b;
}

/** @param {{url: string, text: string}} link */
function installLink({ url, text }) {
  return Object.assign(document.createElement("a"), { id: "install-link", href: url, textContent: text });
}

/** Draws one state of the journey: nothing from an earlier state survives it. */
/** @param {RenewalState} s */
function render(s) {
  document.body.dataset.journey = s.name;
  setState(s.error ? "error" : PAGE_STATE[s.name]);
  step(STEP_OF[s.name] ?? "install");
  showOnly(SECTION_OF[s.name]);
  clearMessage();
  const v = validityOf(s);

  // eligibility is the CA's "eligible" answer (the journey keeps no other).
  if (s.certificate && s.eligibility) {
    $("old-summary").textContent = t("form.old", { subject: /** @type {Eligible} */ (s.eligibility).subject, notAfter: date(/** @type {Eligible} */ (s.eligibility).notAfter ?? s.certificate.notAfter) });
    $("validity-after-label").textContent = t("form.validity.after", { date: date(/** @type {Eligible} */ (s.eligibility).notAfter ?? s.certificate.notAfter) });
  }
  $("form-text").textContent = s.name === "keyOnCard" ? t("journey.keyOnCard") : "";
  $("application-text").textContent = s.application?.statement.join("\n") ?? "";
  $("form-json").hidden = mode === "cmp";
  $("form-cmp").hidden = mode !== "cmp";
  const pendingKey = mode === "cmp" && TEXTS[lang][`journey.cmp.${s.name}`] ? `journey.cmp.${s.name}` : `journey.${s.name}`;
  // CMP's wait: "(check again after <time>)" when the CA said when.
  const vars = pendingKey === "journey.cmp.scheduled" ? { from: s.availableFrom ? ` (${t("journey.cmp.after", { time: date(s.availableFrom) })})` : "" } : v;
  $("pending-text").textContent = SECTION_OF[s.name] === "step-pending" ? t(pendingKey, vars) : "";
  $("install-pending").hidden = !s.next.includes("install");
  $("lookup-again").hidden = !s.next.includes("lookup");
  $("finish").hidden = !s.next.includes("finish");
  $("cancel-application").hidden = !s.next.includes("discard");
  if (s.name === "done") $("done-text").textContent = t("done.installed", v);
  if (s.signedApplication) offerSignedApplication(s.signedApplication);

  if (s.error) {
    // A certificate the host refused to write: its own text says nothing was written and to contact the CA.
    const refusedCertificate = ["CERTIFICATE_INVALID", "CERTIFICATE_KEY_MISMATCH"].includes(s.error.code);
    const truth = TRUTH[s.name] && !refusedCertificate ? ` ${t(TRUTH[s.name])}` : "";
    const root = rootCause(s.error);
    const code = /** @type {Failure} */ (s.error).refusal?.code ?? (root !== s.error && root.code ? root.code : s.error.code);
    showMessage(errorText(s.error) + truth, { code });
    if (/** @type {Failure} */ (s.error).install) $("message").append(" ", installLink(/** @type {Failure} */ (s.error).install));
    // A blocked PIN is fixed here, not in another program: the PUK and the new PIN go into CardBridge's window.
    if (s.error.code === "PIN_LOCKED" && s.token) $("message").append(" ", unblockButton(s.token.token));
  } else if (s.name === "refused") {
    const r = s.refusal;
    showMessage(r.code === "NO_RENEWABLE_CERTIFICATE" ? t("journey.noRenewable") : r.message || t("journey.refused"), { code: r.code });
  } else if (s.name === "noCard") {
    showMessage(t("journey.noCard"), { code: "NO_CARD" });
  }
  if (s.token) $("card-summary").textContent = t("card.summary", { label: s.token.label, reader: s.token.readerName });
  if (s.name !== "idle") showCard().catch(() => {});
}

/** @type {ReturnType<typeof setInterval> | null} */
let ticker = null;
/** The one status line: what runs now, or nothing. */
/** @param {Activity | null} a */
function renderActivity(a) {
  clearInterval(ticker);
  $("progress").hidden = true;
  document.body.dataset.activity = !a ? "" : [a.name, a.op ?? a.call].filter(Boolean).join(":");
  if (!a) {
    $("status").textContent = "";
    return;
  }
  const key = a.name === "askingCa" ? `activity.askingCa.${a.call}` : a.name === "waitingForYou" ? `activity.waitingForYou.${a.op}` : `activity.${a.name}`;
  $("status").textContent = t(key);
  log(t(key));
  if (a.name === "waitingForYou" && a.op === "generateKeyPair") step("key");
  if (a.name === "generatingKey") {
    // Counted from the host's "generatingKey" (the windows are closed), never while a window waits.
    $("progress").hidden = false;
    const tick = () => ($("progress-text").textContent = t("activity.generatingProgress", { seconds: Math.round((Date.now() - a.since) / 1000) }));
    tick();
    ticker = setInterval(tick, 1000);
  }
}

/** CenCert step 10-11: the signed application is the user's record of the order. */
/** @param {{document: string, signature: string}} signed */
function offerSignedApplication({ document: documentB64, signature }) {
  const blob = new Blob([JSON.stringify({ document: documentB64, signature }, null, 2)], { type: "application/json" });
  const a = $("save-application");
  a.href = URL.createObjectURL(blob);
  a.download = lang === "pl" ? "wniosek-podpisany.json" : "signed-application.json";
  a.hidden = false;
}

function details() {
  const code = $("code").value.trim();
  if (!code) throw new PageError("error.codeRequired");
  const pok = $("pok").value.trim();
  if (!pok) throw new PageError("error.pokRequired");
  return { code, pok, validity: /** @type {HTMLInputElement} */ (document.querySelector("input[name=validity]:checked")).value };
}

// --- the card as it is now ------------------------------------------------------------------------------

async function showCard() {
  const token = renewal.state.token?.token ?? manualToken?.token;
  if (!token) return;
  const { certificates, pendingKeys } = await cardbridge.listCertificates({ token });
  const table = $("final-certificates");
  table.replaceChildren();
  const row = (/** @type {string[]} */ cells, header = false) => {
    const tr = document.createElement("tr");
    for (const c of cells) {
      const td = document.createElement(header ? "th" : "td");
      td.textContent = c;
      tr.append(td);
    }
    table.append(tr);
    return tr;
  };
  row([t("final.subject"), t("final.validity"), t("final.key")], true);
  for (const c of certificates.filter((x) => !x.isCa)) {
    row([c.subject, `${date(c.notBefore)} – ${date(c.notAfter)}`, c.keyId]).dataset.kind = "certificate";
  }
  for (const k of pendingKeys) row([t("final.pendingKey"), "", k.keyId]).dataset.kind = "pendingKey";
  $("final-card").hidden = false;
}

// --- the manual path (CEPiK) -------------------------------------------------------------------------

/** @type {Token | null} */
let manualToken = null;

async function cardForManual() {
  await cardbridge.status();
  const { tokens } = await cardbridge.listTokens();
  const usable = tokens.filter((tk) => tk.present && tk.token); // a blank card (no token) cannot be used
  // Never a silent first pick: the certificate could go onto the wrong card.
  if (usable.length > 1) throw new cardbridge.CardBridgeError("TOKEN_AMBIGUOUS", "several cards", { tokens: usable });
  const token = usable[0];
  if (!token) throw new PageError("journey.noCard");
  manualToken = token;
  return token;
}

/** A host call of the manual path, told on the status line like the journey's own. */
/**
 * @template {"generateKeyPair" | "createCsr" | "installCertificate"} K
 * @param {K} op
 * @param {Parameters<Client[K]>[0]} params
 * @returns {Promise<Awaited<ReturnType<Client[K]>>>}
 */
async function manualHost(op, params) {
  renderActivity({ name: "waitingForYou", op, since: Date.now() });
  try {
    // The three calls' params and results as one signature: TypeScript cannot relate cardbridge[op] to K by itself.
    return await /** @type {Record<K, (params: Parameters<Client[K]>[0], options: import("./cardbridge/cardbridge.js").CallOptions) => ReturnType<Client[K]>>} */ (/** @type {unknown} */ (cardbridge))[op](params, {
      onProgress: (/** @type {{stage: string}} */ p) => p?.stage === "generatingKey" && renderActivity({ name: "generatingKey", op, since: Date.now() }),
    });
  } finally {
    renderActivity(null);
  }
}

async function downloadCsr() {
  const token = await cardForManual();
  step("key");
  const algorithms = token.algorithms ?? [];
  const key = await manualHost("generateKeyPair", {
    token: token.token,
    algorithm: algorithms.includes("RSA-2048") ? "RSA-2048" : algorithms[0],
    label: `CSR ${new Date().toISOString().slice(0, 10)}`,
  });
  const csr = await manualHost("createCsr", { key: key.handle, subject: $("manual-subject").value.trim() });
  const file = lang === "pl" ? "zgloszenie.csr" : "request.csr";
  const a = $("csr-link");
  a.href = URL.createObjectURL(new Blob([csr.csr], { type: "application/pkcs10" }));
  a.download = file;
  a.textContent = file;
  a.hidden = false;
  a.click();
  showMessage(t("manual.csrReady", { file }), { kind: "info", code: "CSR_READY" });
  setState("csr-ready");
  await showCard();
}

/** A certificate file as base64 DER strings: PEM (one or more blocks) or a single DER certificate. */
/** @param {File} file */
async function certificatesOf(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  const list = text.includes("-----BEGIN CERTIFICATE-----") ? x509.pemCertificates(text) : [x509.bytesToB64(bytes)];
  for (const c of list) {
    try {
      x509.parseCertificate(x509.b64ToBytes(c));
    } catch {
      throw new PageError("card.CERTIFICATE_INVALID");
    }
  }
  return list;
}

async function importCertificate() {
  const certFile = $("cert-file").files[0];
  if (!certFile) throw new PageError("manual.noFile");
  await cardForManual();
  const certificates = [...(await certificatesOf(certFile))];
  const caFile = $("ca-file").files[0];
  if (caFile) certificates.push(...(await certificatesOf(caFile)));
  step("install");
  const result = await manualHost("installCertificate", { certificates });
  log(`installCertificate: ${result.certificate}`);
  $("done-text").textContent = t("done.imported");
  showOnly("step-done");
  setState("imported");
  await showCard();
}

// --- the demo-only panel ---------------------------------------------------------------------------

async function refreshClock() {
  const info = await ca("info");
  $("ca-clock").textContent = `${date(info.now)} (+${info.clockOffsetDays} d)`;
}

async function buyCode() {
  const { code } = await ca("demo/code", {});
  $("demo-code").textContent = code;
  if (!$("code").value) $("code").value = code;
  log(`code ${code}`);
}

async function advanceClock() {
  await ca("demo/clock", { advanceDays: Number($("advance-days").value) });
  await refreshClock();
}

async function operatorIssue() {
  const f = $("operator-csr").files[0];
  if (!f) throw new PageError("manual.noFile");
  const csr = x509.bytesToB64(x509.b64ToBytes(await f.text()));
  const answer = await ca("manual/issue", { csr });
  const link = (/** @type {string} */ id, /** @type {string} */ pem, /** @type {string} */ name) => {
    const a = $(id);
    a.href = URL.createObjectURL(new Blob([pem], { type: "application/x-pem-file" }));
    a.download = name;
    a.hidden = false;
  };
  link("operator-cert-link", answer.certificatePem, "certificate.pem");
  link("operator-ca-link", answer.chainPem, "ca.pem");
}

// --- wiring ------------------------------------------------------------------------------------------

/**
 * Runs a user action: one at a time. The journey's actions draw their own result (render); anything
 * else that fails — the manual path, the demo panel, the page's own checks — is shown here.
 */
/** @param {() => Promise<unknown>} fn */
function action(fn) {
  return async () => {
    const buttons = document.querySelectorAll("button");
    buttons.forEach((b) => (b.disabled = true));
    const before = document.body.dataset.state;
    clearMessage();
    setState("busy");
    try {
      await fn();
    } catch (e) {
      renderActivity(null);
      const err = cardbridge.withInstallLink(e, undefined, lang);
      showMessage(errorText(err), { code: err?.code ?? "PAGE_ERROR" });
      if (err?.install) $("message").append(" ", installLink(err.install));
      if (!(err instanceof PageError || err instanceof cardbridge.CardBridgeError || err instanceof CaError)) console.error(err);
      setState("error");
      await showCard().catch(() => {});
    } finally {
      buttons.forEach((b) => (b.disabled = false));
      // An action that ends without a new state of its own (buying a code) leaves the page as it was.
      if (document.body.dataset.state === "busy") setState(before === "error" ? PAGE_STATE[renewal.state.name] : before);
    }
  };
}

/** @param {string} l */
function setLang(l) {
  lang = l;
  localStorage.setItem("cardbridge-demo-lang", l);
  document.documentElement.lang = lang;
  /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-t]")).forEach((el) => (el.textContent = t(el.dataset.t)));
  if (renewal.state.name !== "idle") render(renewal.state);
}

$("lang-pl").addEventListener("click", () => setLang("pl"));
$("lang-en").addEventListener("click", () => setLang("en"));
$("read-card").addEventListener("click", action(async () => (await journey()).read()));
$("renew").addEventListener("click", action(() => renewal.renew(mode === "cmp" ? undefined : details())));
/** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll("input[name=mode]")).forEach((el) => {
  el.checked = el.value === mode;
  el.addEventListener("change", () => {
    mode = el.value;
    document.body.dataset.mode = mode;
    // Another way starts from reading the card again.
    showOnly();
    step("card");
    clearMessage();
  });
});
document.body.dataset.mode = mode;
$("sign-submit").addEventListener("click", action(() => renewal.submit()));
$("cancel-application").addEventListener("click", action(() => renewal.discard()));
$("install-pending").addEventListener("click", action(() => renewal.install()));
$("lookup-again").addEventListener("click", action(() => renewal.lookup()));
$("finish").addEventListener("click", action(() => renewal.finish()));
$("download-csr").addEventListener("click", action(downloadCsr));
$("import-cert").addEventListener("click", action(importCertificate));
$("buy-code").addEventListener("click", action(buyCode));
$("advance-clock").addEventListener("click", action(advanceClock));
$("operator-issue").addEventListener("click", action(operatorIssue));

setLang(lang);
step("card");
refreshClock().catch(() => {});
setState("ready");
