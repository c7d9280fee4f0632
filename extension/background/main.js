// Wires the background's parts to the real browser API. Everything with logic lives in router.js,
// native.js and watch.js, which take the API as a parameter (node tests pass fakes).

import { NativeSession, installInfoLoading, setInstallInfo } from "./native.js";
import { Router, langOf } from "./router.js";
import { CardWatch } from "./watch.js";

/** @typedef {import("./watch.js").WatchState} WatchState */
/** @typedef {import("../types/browser.js").Runtime} Runtime */

/**
 * What the popup sends on its port: ask for the state, have the card read again, save the settings, change or
 * unblock the PIN of a card (in the host's window).
 * @typedef {{type: "get"} | {type: "refresh"} | {type: "settings", settings: {watch: boolean, expiryDays: number}} | {type: "pin", action: "change" | "unblock", token: string}} FromPopup
 */
/**
 * What the popup receives: the watch's state, at once when asked and on every change.
 * @typedef {{type: "state", state: WatchState}} ToPopup
 */

/**
 * The part of the browser's API the background uses (`browser` in Firefox, `chrome` in Chromium).
 * @typedef {object} BackgroundApi
 * @property {Runtime} runtime
 * @property {import("../types/browser.js").Tabs} tabs
 * @property {import("../types/browser.js").I18n} i18n
 * @property {import("../types/browser.js").Action} action
 * @property {{local?: import("../types/browser.js").StorageArea, managed?: Partial<import("../types/browser.js").StorageArea>, onChanged?: import("../types/browser.js").BrowserEvent<(changes: object, area: string) => void>}} [storage]
 */

/**
 * Connects the popup (port "cardbridge-popup") to the card watch: state in, settings and refresh out.
 * @param {Runtime} runtime
 * @param {CardWatch} watch
 */
export function servePopup(runtime, watch) {
  runtime.onConnect.addListener((port) => {
    if (port.name !== "cardbridge-popup" || port.sender?.id !== runtime.id) return;
    if (!String(port.sender?.url ?? "").startsWith(runtime.getURL(""))) return;
    const send = (/** @type {WatchState} */ state) => {
      try {
        /** @type {ToPopup} */
        const msg = { type: "state", state };
        port.postMessage(msg);
      } catch {
        // Popup closed.
      }
    };
    const unlisten = watch.onChange(send);
    port.onDisconnect.addListener(unlisten);
    // msg: a FromPopup as the popup sent it (any: untyped until its fields are checked here).
    port.onMessage.addListener(async (msg) => {
      if (msg?.type === "refresh") await watch.refresh();
      else if (msg?.type === "settings") await watch.saveSettings(msg.settings ?? {});
      else if (msg?.type === "get") send(watch.state);
      // Not awaited: the popup closes when the host's window takes the focus, and the change goes on without it.
      else if (msg?.type === "pin" && (msg.action === "change" || msg.action === "unblock") && typeof msg.token === "string") {
        watch.managePin(msg.token, msg.action);
      }
    });
  });
}

/** @param {BackgroundApi} api */
export function startBackground(api) {
  const lang = langOf(api.i18n);
  // The administrator's install link is read anew as each connection opens (a policy may arrive after the
  // worker started): a connection that fails meanwhile answers once it is in.
  /**
   * @param {string} origin
   * @param {import("./native.js").SessionHandlers} handlers
   */
  const openSession = (origin, handlers) => {
    installInfoLoading(loadManaged());
    return new NativeSession({ runtime: api.runtime, origin, lang, ...handlers });
  };
  const watch = new CardWatch({ openSession, action: api.action, storage: api.storage?.local, i18n: api.i18n });
  // A page that wrote the card (a new key, a certificate) makes the watch read the card afresh, so the
  // popup and badge never show the card as it was before (e.g. "renew" after the renewal is done).
  const onCardWritten = () => watch.cardWritten();
  const onPinAnswer = (/** @type {string} */ token, /** @type {"locked" | "ok" | "unknown"} */ pin, /** @type {string} */ op) =>
    watch.pinAnswer(token, pin, op);
  const router = new Router({ runtime: api.runtime, tabs: api.tabs, i18n: api.i18n, openSession, onCardWritten, onPinAnswer });
  router.start();
  servePopup(api.runtime, watch);
  // The watch starts with the browser, not when the popup is first opened: Chrome wakes the service worker
  // for these events only when listeners are registered at its first run, as here. Whatever woke it, the
  // refresh below runs once (a refresh already under way is shared).
  // The install link for a person without the host: the CA's or administrator's managed setting. A browser
  // without managed storage (or without a policy for it) rejects the read: no link then.
  const loadManaged = () =>
    Promise.resolve()
      .then(() => api.storage?.managed?.get?.(null))
      .then((m) => setInstallInfo(m ?? {}), () => setInstallInfo({}));
  api.storage?.onChanged?.addListener?.((_changes, area) => {
    if (area === "managed") loadManaged().then(() => watch.refresh());
  });
  const start = () => installInfoLoading(loadManaged()).then(() => watch.loadSettings()).then(() => watch.refresh());
  api.runtime.onStartup?.addListener(start);
  api.runtime.onInstalled?.addListener(start);
  start();
  return { router, watch };
}
