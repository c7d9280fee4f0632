// Wires the background's parts to the real browser API. Everything with logic lives in router.js,
// native.js and watch.js, which take the API as a parameter (node tests pass fakes).

import { NativeSession, installInfoLoading, setInstallInfo } from "./native.js";
import { Router, langOf } from "./router.js";
import { CardWatch } from "./watch.js";

/** Connects the popup (port "cardbridge-popup") to the card watch: state in, settings and refresh out. */
export function servePopup(runtime, watch) {
  runtime.onConnect.addListener((port) => {
    if (port.name !== "cardbridge-popup" || port.sender?.id !== runtime.id) return;
    if (!String(port.sender?.url ?? "").startsWith(runtime.getURL(""))) return;
    const send = (state) => {
      try {
        port.postMessage({ type: "state", state });
      } catch {
        // Popup closed.
      }
    };
    const unlisten = watch.onChange(send);
    port.onDisconnect.addListener(unlisten);
    port.onMessage.addListener(async (msg) => {
      if (msg?.type === "refresh") await watch.refresh();
      else if (msg?.type === "settings") await watch.saveSettings(msg.settings ?? {});
      else if (msg?.type === "get") send(watch.state);
    });
  });
}

export function startBackground(api) {
  const lang = langOf(api.i18n);
  // The administrator's install link is read anew as each connection opens (a policy may arrive after the
  // worker started): a connection that fails meanwhile answers once it is in.
  const openSession = (origin, handlers) => {
    installInfoLoading(loadManaged());
    return new NativeSession({ runtime: api.runtime, origin, lang, ...handlers });
  };
  const watch = new CardWatch({ openSession, action: api.action, storage: api.storage?.local, i18n: api.i18n });
  // A page that wrote the card (a new key, a certificate) makes the watch read the card afresh, so the
  // popup and badge never show the card as it was before (e.g. "renew" after the renewal is done).
  const onCardWritten = () => watch.cardWritten();
  const router = new Router({ runtime: api.runtime, tabs: api.tabs, i18n: api.i18n, openSession, onCardWritten });
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
