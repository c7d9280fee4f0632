// The popup: shows what the background's card watch knows (host, readers, cards, certificates and their
// expiry), explains how to fix a missing host, and edits the watch's settings. It never talks to the host
// itself; the background owns every native connection.

import { problemOf } from "../background/watch.js";
import { formatDate } from "../background/names.js";

/** @typedef {import("../background/watch.js").WatchState} WatchState */
/** @typedef {import("../background/watch.js").OkState} OkState */
/** @typedef {import("../background/watch.js").Problem} Problem */
/** @typedef {import("../background/watch.js").Card} Card */
/** @typedef {import("../background/watch.js").CardCertificate} CardCertificate */
/** @typedef {import("../background/watch.js").InstallInfo} InstallInfo */
/** @typedef {import("../api/cardbridge.js").PinState} PinState */

const api = globalThis.browser ?? globalThis.chrome;
const t = (/** @type {string} */ key, /** @type {unknown[]} */ ...subs) => api.i18n.getMessage(key, subs.map(String)) || key;
/** An element of popup.html (always there: the page is ours). @param {string} id @returns {HTMLElement} */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @typedef {HTMLFormElement & {watch: HTMLInputElement, expiryDays: HTMLInputElement}} SettingsForm */

/**
 * @param {string} tag
 * @param {Record<string, string | boolean>} [props] set on the element as properties ("class": its className)
 * @param {...(Node | string | number)} children text for what is not a node
 * @returns {HTMLElement}
 */
function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") e.className = /** @type {string} */ (v);
    else /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (e))[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

// Dates in the language of the texts around them ("4 Jan 2027", "4 sty 2027"): the messages' own
// locale, which can differ from getUILanguage() (headless Chromium reports en-US while it picks pl texts).
const date = (/** @type {string} */ iso) => formatDate(iso, api.i18n.getMessage("dateLocale") || api.i18n.getUILanguage());

/**
 * @param {(string | null)[] | undefined} lines
 * @returns {HTMLElement | ""}
 */
function adminDetails(lines) {
  const shown = /** @type {string[]} filter(Boolean) drops the nulls */ ((lines ?? []).filter(Boolean));
  if (!shown.length) return "";
  return el("details", { class: "muted" }, el("summary", {}, t("detailsForAdmin")), ...shown.map((l) => el("p", {}, l)));
}

/**
 * What is missing and what to do, in plain words; the technical words only behind "details".
 * @param {Problem} problem
 */
function renderProblem(problem) {
  const box = el("div", { class: "problem", id: "problem" });
  box.dataset.problem = problem.key;
  if (problem.key === "hostMissing") {
    box.id = "host-missing";
    const { url, text } = problem.install ?? /** @type {Partial<InstallInfo>} */ ({});
    box.append(
      el("strong", {}, t("hostMissingTitle")),
      el("p", {}, t("hostMissingText")),
      url ? el("p", {}, link(url, t("hostMissingInstall"))) : el("p", {}, t("hostMissingWhere")),
      text ? el("p", { class: "install-text" }, text) : "",
      el("p", {}, t("hostMissingAfter")),
      adminDetails(problem.details.map((d) => t("hostMissingReason", d))),
    );
    return box;
  }
  // Only moduleNotInstalled's text has a placeholder (the product); the others ignore it.
  box.append(el("strong", {}, t(`${problem.key}Title`)), el("p", {}, t(`${problem.key}Text`, problem.product ?? "")), adminDetails(problem.details));
  return box;
}

/** @param {WatchState} state */
function renderHost(state) {
  const host = $("host");
  host.replaceChildren();
  const problem = problemOf(state);
  if (state.status === "starting") {
    host.append(el("p", { class: "muted" }, t("hostChecking")));
  } else if (state.status === "off") {
    host.append(el("p", { class: "muted" }, t("watchOff")));
  } else if (state.status === "ok") {
    // Plain words for the person; the protocol version only in the tooltip, for whoever supports them.
    host.append(el("p", { class: "ok", id: "host-ok", title: `protocol ${state.protocol}` }, t("hostOk", state.host)));
  }
  if (problem) host.append(renderProblem(problem));
}

/**
 * @param {string} href
 * @param {string} text
 */
function link(href, text) {
  return el("a", { href, target: "_blank", rel: "noopener" }, text);
}

/**
 * What the person has to do about a renewal, most urgent first: finish one whose new certificate is valid,
 * renew one that expires soon, and — not a warning — when a new certificate already on the card starts.
 * @param {WatchState} state
 */
function renderRenewals(state) {
  const finish = $("finish");
  finish.replaceChildren();
  finish.hidden = !state.finish?.length;
  for (const x of state.finish ?? []) {
    finish.append(
      el(
        "div",
        { class: "warn finish" },
        el("strong", {}, t("finishTitle")),
        el("p", {}, t("finishText", x.name, date(x.since))),
        x.renewalUrl
          ? link(x.renewalUrl, x.issuerName ? t("finishAt", x.issuerName) : t("finishHere"))
          : el("p", {}, t("finishUnknown")),
      ),
    );
  }
  const box = $("expiring");
  box.replaceChildren();
  box.hidden = !state.expiring?.length;
  for (const x of state.expiring ?? []) {
    const text = x.inProgress
      ? t("inProgressText", x.name, date(x.notAfter))
      : t("expiringText", x.name, x.issuerName || "?", date(x.notAfter));
    box.append(
      el(
        "div",
        // A renewal under way is a step to finish, not an alarm: the calmer colour of "finish".
        { class: x.inProgress ? "warn finish expiring-item in-progress" : "warn expiring-item" },
        el("strong", {}, x.inProgress ? t("inProgressTitle") : t("expiringTitle")),
        el("p", {}, text),
        x.renewalUrl
          ? link(x.renewalUrl, x.inProgress ? t("continueHere") : t("renewHere"))
          : el("p", {}, x.inProgress ? t("continueUnknown") : t("renewUnknown")),
      ),
    );
  }
  const soon = $("scheduled");
  soon.replaceChildren();
  soon.hidden = !state.scheduled?.length;
  for (const x of state.scheduled ?? []) {
    soon.append(
      el(
        "div",
        { class: "info scheduled-item" },
        el("strong", {}, t("scheduledTitle", date(x.readyFrom))),
        el("p", {}, t("scheduledText", x.name, date(x.readyFrom), date(x.notAfter))),
        el("p", {}, t("scheduledBack", date(x.readyFrom))),
      ),
    );
  }
}

/** @param {WatchState} state */
function renderUnknown(state) {
  const box = $("unknown");
  box.replaceChildren();
  box.hidden = !state.unknownCards?.length;
  for (const u of state.unknownCards ?? []) {
    const report = `CardBridge: unknown card\nreader: ${u.reader}\nATR: ${u.atr ?? "?"}\nhost: ${state.host ?? "?"}\nbrowser: ${navigator.userAgent}`;
    const area = el("textarea", { readOnly: true, value: report });
    const copy = el("button", { type: "button" }, t("copy"));
    copy.addEventListener("click", async () => {
      await navigator.clipboard.writeText(report);
      copy.textContent = t("copied");
    });
    box.append(el("h2", {}, t("unknownCardTitle")), el("p", {}, t("unknownCardText", u.reader)), area, copy);
  }
}

/** @param {Card} card */
function pinNote(card) {
  /** @type {Partial<Record<PinState, string>>} */
  const notes = { locked: t("pinLocked"), finalTry: t("pinFinalTry"), countLow: t("pinCountLow") };
  return notes[/** @type {PinState} null finds no note */ (card.pinState)] ?? "";
}

/** @param {CardCertificate} c */
function validity(c) {
  if (c.notYetValid) return t("validFrom", date(c.notBefore), date(c.notAfter));
  if (c.daysLeft < 0) return t("expired", date(c.notAfter));
  return t("validUntil", date(c.notAfter), c.daysLeft);
}

/**
 * Whether this browser can use the card to log in to web sites (issue 16): one plain line for the card's
 * current certificate, the administrator's command behind "details"; nothing when the host cannot tell.
 * @param {Card} card
 * @returns {HTMLElement | ""}
 */
function loginLine(card) {
  if (card.login !== "usable" && card.login !== "notUsable") return "";
  const box =
    card.login === "usable"
      ? el("div", { class: "login" }, el("p", { class: "ok" }, t("loginUsable")))
      : el("div", { class: "login" }, el("p", { class: "login-no" }, t("loginNotUsable")), adminDetails([t("loginNotUsableAdmin")]));
  box.dataset.login = card.login;
  return box;
}

/** @typedef {import("../background/watch.js").PinOutcome} PinOutcome */

/** What came of a PIN change or unblock, in plain words: message key by the host's error code. */
const PIN_ERRORS = /** @type {Record<string, string>} */ ({
  USER_CANCELLED: "pinNotChanged",
  USER_TIMEOUT: "pinNotChanged",
  PIN_LOCKED: "pinErrorLocked",
  PUK_LOCKED: "pinErrorPukLocked",
  PIN_CHANGE_NOT_SUPPORTED: "pinErrorNotSupported",
  TOKEN_REMOVED: "pinErrorRemoved",
  TOKEN_NOT_FOUND: "pinErrorRemoved",
  TOKEN_READ_ONLY: "pinErrorReadOnly",
  TOKEN_BUSY: "pinErrorBusy",
});

/** @param {PinOutcome} outcome */
function pinOutcome(outcome) {
  const line = (/** @type {string} */ cls, /** @type {string} */ text) => {
    const p = el("p", { class: cls }, text);
    p.dataset.pinStatus = outcome.status;
    return p;
  };
  if (outcome.status === "running") return line("muted", t("pinRunning"));
  if (outcome.status === "done") return line("ok", t(outcome.action === "unblock" ? "pinUnblocked" : "pinChanged"));
  const key = PIN_ERRORS[outcome.code ?? ""];
  const p = line("login-no", key ? t(key) : t("pinErrorOther", outcome.code ?? "?"));
  p.dataset.pinError = outcome.code ?? "";
  // The host's own words only for whoever supports the person, and only where they help (the opensc.conf
  // setting that is missing, an unexpected error): a closed window or a blocked PIN says all in plain words.
  const details = key && key !== "pinErrorNotSupported" ? "" : adminDetails([`${outcome.code}: ${outcome.message ?? ""}`]);
  return details ? el("div", {}, p, details) : p;
}

/**
 * Change the PIN of the person's own card, or unblock it when it is blocked: a button that starts it in the
 * host's window (the popup closes when that window takes the focus; the background carries on), and what came
 * of the last one. Nothing when the host cannot do it (an older host).
 * @param {OkState} state
 * @param {Card} card
 * @returns {HTMLElement | ""}
 */
function pinPart(state, card) {
  const token = card.token;
  if (!state.pinManagement || !token) return "";
  const outcome = state.pin?.token === token ? state.pin : null;
  const box = el("div", { class: "pin" });
  if (outcome) box.append(pinOutcome(outcome));
  const locked = card.pinState === "locked" || outcome?.code === "PIN_LOCKED";
  // Why the PIN is blocked and what the PUK is, unless the outcome above already said what to do instead.
  if (locked && (!outcome || PIN_ERRORS[outcome.code ?? ""] === "pinNotChanged")) box.append(el("p", { class: "login-no" }, t("pinLockedHelp")));
  // No button while the window is open, nor to unblock with a PUK that is itself blocked.
  if (outcome?.status !== "running" && !(locked && outcome?.code === "PUK_LOCKED")) {
    /** @type {"change" | "unblock"} */
    const action = locked ? "unblock" : "change";
    const button = el("button", { type: "button" }, t(locked ? "unblockPin" : "changePin"));
    button.dataset.pinAction = action;
    button.addEventListener("click", () => {
      /** @type {import("../background/main.js").FromPopup} */
      const msg = { type: "pin", action, token };
      port.postMessage(msg);
    });
    box.append(button);
  }
  return box;
}

/** @param {WatchState} state */
function renderCards(state) {
  const readers = $("readers");
  const cards = $("cards");
  readers.replaceChildren();
  cards.replaceChildren();
  if (state.status !== "ok") return;
  const ok = /** @type {OkState} "ok" carries the whole summary */ (state);
  readers.append(el("h2", {}, t("readers")));
  readers.append(
    ok.readers.length ? el("ul", {}, ...ok.readers.map((r) => el("li", {}, r))) : el("p", { class: "muted" }, t("noReaders")),
  );
  cards.append(el("h2", {}, t("cards")));
  if (!ok.cards.length) cards.append(el("p", { class: "muted" }, t("noCards")));
  for (const card of ok.cards) {
    const title = [card.label, card.manufacturer, card.model, pinNote(card)].filter(Boolean).join(" · ");
    const list = card.certificates.length
      ? el(
          "ul",
          {},
          ...card.certificates.map((c) =>
            el(
              "li",
              { class: c.expiring && !c.successor && !c.notYetValid ? "expiring" : "", title: c.subject },
              el("span", { class: "cert-name" }, c.name),
              c.issuerName ? `, ${t("issuedBy", c.issuerName)}` : "",
              " — ",
              validity(c),
            ),
          ),
        )
      : el("p", { class: "muted" }, t("noCertificates"));
    cards.append(el("div", { class: "card" }, el("strong", {}, title), list, loginLine(card), pinPart(ok, card)));
  }
}

/** @param {WatchState} state */
function renderSettings(state) {
  const form = /** @type {SettingsForm} */ ($("settings-form"));
  if (!state.settings || form.dataset.touched) return;
  form.watch.checked = state.settings.watch;
  form.expiryDays.value = String(state.settings.expiryDays); // what the DOM does with a number
}

/** @param {WatchState} state */
function render(state) {
  renderHost(state);
  renderRenewals(state);
  renderUnknown(state);
  renderCards(state);
  renderSettings(state);
}

for (const e of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-i18n]"))) e.textContent = t(/** @type {string} the selector's */ (e.dataset.i18n));
document.documentElement.lang = api.i18n.getMessage("lang") || api.i18n.getUILanguage();

const port = api.runtime.connect({ name: "cardbridge-popup" });
// msg: a ToPopup (background/main.js) from our own background.
port.onMessage.addListener((/** @type {import("../background/main.js").ToPopup} */ msg) => {
  if (msg?.type === "state") render(msg.state);
});
port.postMessage({ type: "get" });
port.postMessage({ type: "refresh" });
$("refresh").addEventListener("click", () => port.postMessage({ type: "refresh" }));
const form = /** @type {SettingsForm} */ ($("settings-form"));
form.addEventListener("input", () => (form.dataset.touched = "1"));
form.addEventListener("submit", (e) => {
  e.preventDefault();
  delete form.dataset.touched;
  /** @type {import("../background/main.js").FromPopup} */
  const msg = {
    type: "settings",
    settings: { watch: form.watch.checked, expiryDays: Number(form.expiryDays.value) },
  };
  port.postMessage(msg);
});
