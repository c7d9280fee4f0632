// The demo CA's renewal page. It uses only the CardBridge page API (cardbridge.js, served next to this
// file exactly as a CA would host its copy) and the CA's own JSON API under /api/. docs/integration.md
// walks through it; the order of the steps is what keeps the old certificate working whatever fails:
//   read the card → ask the CA (certificate still valid? code good?) → only then generate the new key →
//   CSR → application → sign it with the OLD key → CA issues → check what came back → install, which
//   replaces the old certificate only once the new one is safely on the card.
import * as cardbridge from "./cardbridge/cardbridge.js";
import { TEXTS } from "./texts.js";
import * as x509 from "./x509.js";

const query = new URLSearchParams(location.search);
/** How long to wait for the CA's API; a test or a slow network may change it with ?caTimeout=ms. */
const CA_TIMEOUT_MS = Number(query.get("caTimeout")) || 30000;
let lang = query.get("lang") || localStorage.getItem("cardbridge-demo-lang") || (navigator.language?.startsWith("pl") ? "pl" : "en");

const $ = (id) => document.getElementById(id);

function t(key, vars = {}) {
  const text = TEXTS[lang]?.[key] ?? TEXTS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

function date(iso) {
  const d = iso instanceof Date ? iso : new Date(iso);
  return d.toLocaleString(lang === "pl" ? "pl-PL" : "en-GB", { timeZone: "UTC", dateStyle: "medium", timeStyle: "short" }) + " UTC";
}

// --- what the user sees --------------------------------------------------------------------------------

/** The page's state for people and tests: loading, ready, busy, form, application, scheduled, waiting, ready-to-install, done, csr-ready, imported, error. */
function setState(state) {
  document.body.dataset.state = state;
}

const STEPS = ["card", "form", "key", "application", "install"];
function step(name) {
  const at = STEPS.indexOf(name);
  document.querySelectorAll("#steps li").forEach((li) => {
    const i = STEPS.indexOf(li.dataset.step);
    li.classList.toggle("current", i === at);
    li.classList.toggle("done", i < at);
    li.toggleAttribute("aria-current", i === at);
  });
}

function log(text) {
  const li = document.createElement("li");
  li.textContent = `${new Date().toISOString().slice(11, 19)} ${text}`;
  $("log").append(li);
}

function status(key, vars) {
  const text = t(key, vars);
  $("status").textContent = text;
  log(text);
}

function showMessage(text, { kind = "error", code = "" } = {}) {
  const m = $("message");
  m.textContent = text;
  m.className = kind;
  m.dataset.code = code;
  m.hidden = false;
  log(text);
}

function clearMessage() {
  $("message").hidden = true;
  $("message").dataset.code = "";
}

function showOnly(...ids) {
  for (const id of ["step-pending", "step-form", "step-application", "step-done"]) $(id).hidden = !ids.includes(id);
}

let progressTimer = null;
function progress(on) {
  clearInterval(progressTimer);
  $("progress").hidden = !on;
  if (!on) return;
  const started = Date.now();
  const tick = () => ($("progress-text").textContent = t("status.generatingProgress", { seconds: Math.round((Date.now() - started) / 1000) }));
  tick();
  progressTimer = setInterval(tick, 1000);
}

function applyTexts() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-t]").forEach((el) => (el.textContent = t(el.dataset.t)));
  if (session.eligible) {
    $("old-summary").textContent = t("form.old", { subject: session.eligible.subject, notAfter: date(session.eligible.notAfter) });
    $("validity-after-label").textContent = t("form.validity.after", { date: date(session.eligible.notAfter) });
  }
}

// --- the CA's API ----------------------------------------------------------------------------------------

/**
 * kind "refused": the CA answered no (code + message in the user's language); "unavailable": no usable
 * answer (network, timeout, HTTP 5xx, not JSON); "unknown": a submission whose outcome is not known.
 */
class CaError extends Error {
  constructor(kind, code, message) {
    super(message);
    this.kind = kind;
    this.code = code;
  }
}

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
    throw new CaError("unavailable", timeout ? "CA_TIMEOUT" : "CA_NETWORK", timeout ? `timeout ${CA_TIMEOUT_MS / 1000} s` : "connection failed");
  }
  let json;
  try {
    json = await res.json();
  } catch {
    throw new CaError("unavailable", `CA_HTTP_${res.status}`, `HTTP ${res.status}`);
  }
  if (res.status === 400 || res.status === 422) throw new CaError("refused", json?.error?.code ?? "REFUSED", json?.error?.message ?? `HTTP ${res.status}`);
  if (!res.ok) throw new CaError("unavailable", `CA_HTTP_${res.status}`, `HTTP ${res.status}`);
  return json;
}

/** A problem the page itself found (in a CA answer or the user's input); {@code key} names its text. */
class PageError extends Error {
  constructor(key, vars) {
    super(t(key, vars));
    this.code = key;
  }
}

// --- the renewal -------------------------------------------------------------------------------------

const session = {
  token: null, // the token handle from listTokens
  tokenInfo: null,
  old: null, // the certificate being renewed, as listCertificates returned it
  eligible: null, // the CA's answer to renewal/check
  newKey: null, // generateKeyPair's result while it has no certificate
  draft: null, // the application the CA prepared: {document (base64), statement}
  ready: null, // a later visit: {answer, replaces}
};

async function readCard() {
  clearMessage();
  showOnly();
  Object.assign(session, { token: null, tokenInfo: null, old: null, eligible: null, newKey: null, draft: null, ready: null });
  step("card");
  status("status.connecting");
  await cardbridge.status();
  status("status.readingCard");
  const { tokens } = await cardbridge.listTokens();
  const token = tokens.find((tk) => tk.present && tk.token); // a blank card (no token) cannot be renewed
  if (!token) throw new PageError("error.noCard");
  session.token = token.token;
  session.tokenInfo = token;
  $("card-summary").textContent = t("card.summary", { label: token.label, reader: token.readerName });
  const { certificates, pendingKeys } = await cardbridge.listCertificates({ token: token.token });
  renderCard(certificates, pendingKeys);
  const candidates = certificates.filter((c) => c.hasPrivateKey && !c.isCa);

  // A later visit: a key on the card waiting for the certificate of an application saved earlier.
  if (pendingKeys.length > 0) status("status.lookingUp");
  for (const key of pendingKeys) {
    const answer = await ca("renewal/lookup", { publicKey: key.publicKey });
    if (answer.status === "issued") {
      session.ready = { answer, replaces: replacedBy(answer.certificate, candidates), publicKey: key.publicKey };
      $("pending-text").textContent = t("pending.ready", { from: date(answer.notBefore), to: date(answer.notAfter) });
      $("install-pending").hidden = false;
      showOnly("step-pending");
      step("install");
      setState("ready-to-install");
      return;
    }
    if (answer.status === "waiting") {
      $("pending-text").textContent = t("pending.waiting", { from: date(answer.availableFrom) });
      $("install-pending").hidden = true;
      showOnly("step-pending");
      setState("waiting");
      return;
    }
  }

  // Which certificate is this CA's, and may it be renewed online? The CA decides, before the card is touched.
  status("status.askingCa");
  let refusal = null;
  for (const c of candidates) {
    try {
      session.eligible = await ca("renewal/check", { certificate: c.certificate });
      session.old = c;
      break;
    } catch (e) {
      if (!(e instanceof CaError && e.kind === "refused")) throw e;
      if (e.code !== "CERTIFICATE_NOT_OURS") refusal ??= e;
    }
  }
  if (!session.old) {
    if (refusal) throw refusal; // e.g. expired: the seeds' explanation, and nothing was generated
    throw new PageError("error.noOurCertificate");
  }
  applyTexts();
  showOnly("step-form");
  step("form");
  setState("form");
  $("status").textContent = "";
}

/** The certificate a new one replaces: ours, with a private key, for the same subject. */
function replacedBy(newCertificateB64, candidates) {
  const subject = x509.parseCertificate(x509.b64ToBytes(newCertificateB64)).subject;
  const match = candidates.find((c) => {
    try {
      return x509.equalBytes(x509.parseCertificate(x509.b64ToBytes(c.certificate)).subject, subject);
    } catch {
      return false;
    }
  });
  return match?.handle;
}

async function renew() {
  clearMessage();
  const code = $("code").value.trim();
  if (!code) throw new PageError("error.codeRequired");
  const pok = $("pok").value.trim();
  if (!pok) throw new PageError("error.pokRequired");
  const validity = document.querySelector("input[name=validity]:checked").value;
  status("status.checkingCode");
  // A wrong or used code, or an unknown point of service, stops here: before the card makes a key.
  await ca("renewal/check", { certificate: session.old.certificate, code, pok });

  step("key");
  status("status.generating");
  progress(true);
  const algorithms = session.tokenInfo.algorithms ?? [];
  const algorithm = algorithms.includes(session.eligible.keyAlgorithm) ? session.eligible.keyAlgorithm : algorithms.find((a) => a.startsWith("RSA")) ?? "RSA-2048";
  try {
    session.newKey = await cardbridge.generateKeyPair(
      { token: session.token, algorithm, label: `Renewal ${new Date().toISOString().slice(0, 10)}` },
      { onProgress: (p) => p?.stage && log(`generateKeyPair: ${p.stage}`) },
    );
  } finally {
    progress(false);
  }
  log(`${algorithm} ${session.newKey.keyId}`);
  try {
    status("status.csr");
    const csr = await cardbridge.createCsr({ key: session.newKey.key, subject: session.eligible.subject });
    status("status.draft");
    session.draft = await ca("renewal/draft", { certificate: session.old.certificate, code, pok, validity, csr: csr.der });
  } catch (e) {
    if (!(e instanceof CaError && e.kind === "unavailable")) await discardNewKey();
    throw e;
  }
  $("application-text").textContent = session.draft.statement.join("\n");
  showOnly("step-application");
  step("application");
  setState("application");
  $("status").textContent = "";
}

async function signAndSend() {
  clearMessage();
  status("status.signing");
  // The application is signed with the key of the certificate being renewed: that is the CA's proof
  // that the holder of the old certificate asks for the new one.
  const { signature } = await cardbridge.sign({
    certificate: session.old.handle,
    data: session.draft.document,
    format: "cms",
    detached: true,
    description: t("application.title"),
  });
  status("status.submitting");
  let answer;
  try {
    answer = await ca("renewal/submit", { document: session.draft.document, signature });
  } catch (e) {
    if (!(e instanceof CaError && e.kind === "refused")) {
      // The CA may or may not have accepted it: keep the new key on the card and do not send this
      // application again; reading the card again asks the CA (lookup) and installs what it issued.
      session.newKey = null;
      showOnly();
      throw new CaError("unknown", e.code, t("error.caUnknownOutcome", { detail: e.message }));
    }
    // A refusal of a repeated submission may hide an earlier acceptance: ask before removing the key.
    const known = await ca("renewal/lookup", { publicKey: session.newKey.publicKey }).catch(() => null);
    if (known?.status === "issued") answer = known;
    else if (known?.status === "waiting") answer = { status: "scheduled", availableFrom: known.availableFrom };
    else {
      await discardNewKey();
      throw e;
    }
  }
  offerSignedApplication(session.draft.document, signature);
  if (answer.status === "scheduled") {
    $("done-text").textContent = t("done.scheduled", { from: date(answer.availableFrom) });
    showOnly("step-done");
    step("install");
    status("status.done");
    setState("scheduled");
    await showCard();
    return;
  }
  await install(answer, session.newKey.publicKey, session.old.handle);
}

async function installPending() {
  clearMessage();
  const { answer, replaces, publicKey } = session.ready;
  await install(answer, publicKey, replaces);
}

/** Checks what the CA sent, then writes it; the host replaces the old certificate only after the new one is written. */
async function install(answer, publicKeyB64, replaces) {
  step("install");
  status("status.verifying");
  let leaf;
  let issuer;
  try {
    leaf = x509.parseCertificate(x509.b64ToBytes(answer.certificate));
    issuer = x509.parseCertificate(x509.b64ToBytes(answer.chain[0]));
  } catch {
    throw new PageError("error.badCertificate");
  }
  if (!x509.equalBytes(leaf.spki, x509.b64ToBytes(publicKeyB64))) throw new PageError("error.wrongKey");
  if (!(await x509.signedBy(leaf, issuer))) throw new PageError("error.brokenChain");

  status("status.installing");
  const result = await cardbridge.installCertificate({
    certificates: [answer.certificate, ...answer.chain],
    ...(replaces ? { replaces, removeOldKey: true } : {}),
    // Only the demo needs this: its CA clock runs ahead of this computer's, so a certificate that is
    // valid on the CA's clock is "not yet valid" here. A real CA's deferred certificate is installed
    // once it is valid, and this flag stays off.
    ...(leaf.notBefore > new Date() ? { allowNotYetValid: true } : {}),
  });
  session.newKey = null;
  log(`installCertificate: ${result.certificate} replaced=${result.replaced}`);
  // A certificate not yet valid on this computer is stored beside the current one, which stays until then.
  $("done-text").textContent = t(result.replaced || !replaces ? "done.installed" : "done.installedBeside", { from: date(answer.notBefore), to: date(answer.notAfter) });
  showOnly("step-done");
  status("status.done");
  setState("done");
  await showCard();
}

/** After a definite refusal the new key has no future: remove it (the host asks the user to confirm). */
async function discardNewKey() {
  if (!session.newKey) return;
  const key = session.newKey.key;
  session.newKey = null;
  try {
    status("status.removingKey");
    await cardbridge.removeKey({ key });
  } catch (e) {
    log(t("error.keyRemovalFailed", { detail: e.code ?? e.message }));
  }
}

/** CenCert step 10-11: the signed application is the user's record of the order. */
function offerSignedApplication(documentB64, signatureB64) {
  const blob = new Blob([JSON.stringify({ document: documentB64, signature: signatureB64 }, null, 2)], { type: "application/json" });
  const a = $("save-application");
  a.href = URL.createObjectURL(blob);
  a.download = lang === "pl" ? "wniosek-podpisany.json" : "signed-application.json";
  a.hidden = false;
}

// --- the card as it is now ------------------------------------------------------------------------------

async function showCard() {
  if (!session.token) return;
  const { certificates, pendingKeys } = await cardbridge.listCertificates({ token: session.token });
  renderCard(certificates, pendingKeys);
}

function renderCard(certificates, pendingKeys) {
  const table = $("final-certificates");
  table.replaceChildren();
  const row = (cells, header = false) => {
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
  log(certificates.filter((x) => !x.isCa).map((c) => `${c.subject} [${c.notBefore} – ${c.notAfter}]`).join("; ") || "-");
}

// --- the manual path (CEPiK) -------------------------------------------------------------------------

async function downloadCsr() {
  clearMessage();
  if (!session.token) await readCardForManual();
  step("key");
  status("status.generating");
  progress(true);
  let key;
  try {
    const algorithms = session.tokenInfo.algorithms ?? [];
    key = await cardbridge.generateKeyPair({ token: session.token, algorithm: algorithms.includes("RSA-2048") ? "RSA-2048" : algorithms[0], label: `CSR ${new Date().toISOString().slice(0, 10)}` });
  } finally {
    progress(false);
  }
  status("status.csr");
  const csr = await cardbridge.createCsr({ key: key.key, subject: $("manual-subject").value.trim() });
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

async function readCardForManual() {
  await cardbridge.status();
  const { tokens } = await cardbridge.listTokens();
  const token = tokens.find((tk) => tk.present && tk.token); // a blank card (no token) cannot be renewed
  if (!token) throw new PageError("error.noCard");
  session.token = token.token;
  session.tokenInfo = token;
}

/** A certificate file as base64 DER strings: PEM (one or more blocks) or a single DER certificate. */
async function certificatesOf(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  const list = text.includes("-----BEGIN CERTIFICATE-----") ? x509.pemCertificates(text) : [x509.bytesToB64(bytes)];
  for (const c of list) {
    try {
      x509.parseCertificate(x509.b64ToBytes(c));
    } catch {
      throw new PageError("error.badCertificate");
    }
  }
  return list;
}

async function importCertificate() {
  clearMessage();
  const certFile = $("cert-file").files[0];
  if (!certFile) throw new PageError("manual.noFile");
  if (!session.token) await readCardForManual();
  const certificates = [...(await certificatesOf(certFile))];
  const caFile = $("ca-file").files[0];
  if (caFile) certificates.push(...(await certificatesOf(caFile)));
  step("install");
  status("status.installing");
  const result = await cardbridge.installCertificate({ certificates });
  log(`installCertificate: ${result.certificate}`);
  $("done-text").textContent = t("done.imported");
  showOnly("step-done");
  status("status.done");
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
  const link = (id, pem, name) => {
    const a = $(id);
    a.href = URL.createObjectURL(new Blob([pem], { type: "application/x-pem-file" }));
    a.download = name;
    a.hidden = false;
  };
  link("operator-cert-link", answer.certificatePem, "certificate.pem");
  link("operator-ca-link", answer.chainPem, "ca.pem");
}

// --- wiring ------------------------------------------------------------------------------------------

/** Runs a user action: one at a time, every failure shown as a clear message with its code. */
function action(fn) {
  return async () => {
    const buttons = document.querySelectorAll("button");
    buttons.forEach((b) => (b.disabled = true));
    const before = document.body.dataset.state;
    setState("busy");
    try {
      await fn();
    } catch (e) {
      progress(false);
      if (e instanceof cardbridge.CardBridgeError) {
        const key = `card.${e.code}`;
        showMessage(TEXTS[lang][key] ? t(key) : t("card.OTHER", { code: e.code, detail: e.message }), { code: e.code });
      } else if (e instanceof CaError) {
        showMessage(e.kind === "unavailable" ? t("error.caUnavailable", { detail: e.message }) : e.message, { code: e.code });
      } else if (e instanceof PageError) {
        showMessage(e.message, { code: e.code });
      } else {
        showMessage(String(e?.message ?? e), { code: "PAGE_ERROR" });
        console.error(e);
      }
      setState("error");
      await showCard().catch(() => {});
    } finally {
      buttons.forEach((b) => (b.disabled = false));
      // An action that ends without a new state of its own (buying a code) leaves the page as it was.
      if (document.body.dataset.state === "busy") setState(before === "error" ? "ready" : before);
    }
  };
}

function setLang(l) {
  lang = l;
  localStorage.setItem("cardbridge-demo-lang", l);
  applyTexts();
}

$("lang-pl").addEventListener("click", () => setLang("pl"));
$("lang-en").addEventListener("click", () => setLang("en"));
$("read-card").addEventListener("click", action(readCard));
$("renew").addEventListener("click", action(renew));
$("sign-submit").addEventListener("click", action(signAndSend));
$("cancel-application").addEventListener("click", action(async () => {
  await discardNewKey();
  showOnly("step-form");
  step("form");
  setState("form");
  status("status.cancelled");
}));
$("install-pending").addEventListener("click", action(installPending));
$("download-csr").addEventListener("click", action(downloadCsr));
$("import-cert").addEventListener("click", action(importCertificate));
$("buy-code").addEventListener("click", action(buyCode));
$("advance-clock").addEventListener("click", action(advanceClock));
$("operator-issue").addEventListener("click", action(operatorIssue));

applyTexts();
step("card");
refreshClock().catch(() => {});
setState("ready");
