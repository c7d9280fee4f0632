// CardBridge content script: relays between the page (window.postMessage, see api/cardbridge.js) and the
// extension's background (one runtime port per frame). It adds nothing and decides nothing: the background
// stamps the origin from the browser's sender data, the host checks it. Content scripts cannot be ES
// modules, hence one plain file.
(() => {
  const api = globalThis.browser ?? globalThis.chrome;
  const FROM_PAGE = "cardbridge-page";
  const FROM_EXTENSION = "cardbridge-extension";
  const version = api.runtime.getManifest().version;
  /** @type {chrome.runtime.Port | null} */
  let port = null;
  // Requests sent and not answered yet: if the background goes away they are failed here.
  let inFlight = new Set();

  /**
   * @param {{type: string, id?: string, [field: string]: unknown}} msg the background's message (relayed as it came: the page library
   *   checks it) or one of ours
   */
  function toPage(msg) {
    if (msg?.type === "response") inFlight.delete(msg.id);
    window.postMessage({ source: FROM_EXTENSION, ...msg }, window.location.origin);
  }

  function connect() {
    if (port) return port;
    port = api.runtime.connect({ name: "cardbridge-page" });
    port.onMessage.addListener(toPage);
    port.onDisconnect.addListener(() => {
      // The background went away (extension reloaded or updated): fail what waits, reconnect on demand.
      const waiting = inFlight;
      inFlight = new Set();
      port = null;
      for (const id of waiting) {
        toPage({
          type: "response",
          id,
          error: {
            code: "EXTENSION_UNAVAILABLE",
            message: "the CardBridge extension was restarted; reload the page",
            details: {},
          },
        });
      }
    });
    return port;
  }

  window.addEventListener("message", (e) => {
    if (e.source !== window || !e.data || e.data.source !== FROM_PAGE || e.data.type !== "request") return;
    const { id, op, params, lang } = e.data;
    if (typeof id !== "string" || typeof op !== "string" || id.length > 200 || op.length > 100) return;
    // Acknowledge at once: the page library takes no ack within ~1 s as "extension not installed".
    toPage({ type: "ack", id, extension: version });
    try {
      // lang is passed as given: the background checks it (a page may post without the library).
      connect().postMessage({ type: "request", id, op, params: params ?? {}, ...(lang !== undefined ? { lang } : {}) });
      inFlight.add(id);
    } catch (err) {
      toPage({ type: "response", id, error: { code: "EXTENSION_UNAVAILABLE", message: String(err), details: {} } });
    }
  });
})();
