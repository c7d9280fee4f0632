// Test doubles for the browser pieces around our code: a window that delivers postMessage like a
// browser does (asynchronously, with event.source), a content script that answers for the extension,
// and runtime/native ports. Only the browser is faked; the code under test is the real module.

export function fakeWindow(pageUrl = "https://ca.example/renew") {
  const listeners = [];
  const location = new URL(pageUrl);
  const win = {
    location,
    /** the document's own origin: "null" in a sandboxed frame even though location names the site */
    origin: location.origin,
    posted: [],
    /** delivers a message event as if `source` (another window, or this one) had posted it */
    deliver(data, source) {
      for (const fn of [...listeners]) fn({ source, data });
    },
    addEventListener(type, fn) {
      if (type === "message") listeners.push(fn);
    },
    postMessage(data, targetOrigin) {
      win.posted.push({ data, targetOrigin });
      setTimeout(() => {
        for (const fn of [...listeners]) fn({ source: win, data });
      });
    },
  };
  return win;
}

/**
 * Plays the extension on a fake window: acks every request (unless `ack` is false) and answers it with
 * `answer(request, reply)`, where reply(msg) posts {type, id, ...msg}.
 */
export function fakeExtension(win, answer, { ack = true, version = "0.1.0" } = {}) {
  const requests = [];
  win.addEventListener("message", (e) => {
    const m = e.data;
    if (m?.source !== "cardbridge-page" || m.type !== "request") return;
    requests.push(m);
    const reply = (msg) => win.postMessage({ source: "cardbridge-extension", id: m.id, ...msg }, win.location.origin);
    if (ack) reply({ type: "ack", extension: version });
    answer?.(m, reply);
  });
  return { requests };
}

export const HELLO = { host: "0.1.0", protocol: "1.0.0", operations: ["hello", "cancel", "listTokens", "sign"] };

/** Answers hello like the host; everything else through `rest`. */
export function hostLike(rest = () => {}) {
  return (m, reply) => {
    if (m.op === "hello") reply({ type: "response", result: HELLO });
    else rest(m, reply);
  };
}

export function events() {
  const fns = [];
  return {
    addListener: (fn) => fns.push(fn),
    removeListener: (fn) => fns.splice(fns.indexOf(fn), 1),
    fire: (...args) => [...fns].forEach((fn) => fn(...args)),
    get count() {
      return fns.length;
    },
  };
}

/** A runtime port as the background sees it: messages from the frame in, postMessage out. */
export function fakePort(name, sender) {
  const port = {
    name,
    sender,
    sent: [],
    disconnected: false,
    onMessage: events(),
    onDisconnect: events(),
    postMessage(msg) {
      if (port.disconnected) throw new Error("Attempting to use a disconnected port object");
      port.sent.push(structuredClone(msg));
    },
    disconnect() {
      port.disconnected = true;
    },
  };
  return port;
}

/** runtime with connectNative: every native port is recorded; tests answer for the host. */
export function fakeRuntime({ id = "ofgjjddghmifhcdedhlchefmbecfflch" } = {}) {
  const runtime = {
    id,
    lastError: undefined,
    onConnect: events(),
    natives: [],
    getURL: (p) => `chrome-extension://${id}/${p}`,
    connectNative(name) {
      const port = {
        name,
        sent: [],
        disconnected: false,
        onMessage: events(),
        onDisconnect: events(),
        postMessage(msg) {
          if (port.disconnected) throw new Error("Attempting to use a disconnected port object");
          port.sent.push(structuredClone(msg));
        },
        disconnect() {
          port.disconnected = true;
        },
        /** the host answers */
        reply(msg) {
          port.onMessage.fire(structuredClone(msg));
        },
        /** the browser reports the port closed, with Chrome's lastError set meanwhile */
        die(message) {
          runtime.lastError = message ? { message } : undefined;
          port.onDisconnect.fire(port);
          runtime.lastError = undefined;
        },
      };
      runtime.natives.push(port);
      return port;
    },
  };
  return runtime;
}

export const tick = () => new Promise((r) => setTimeout(r, 0));
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Manual timers for grace periods: nothing runs until the test says so. */
export function manualTimers() {
  let next = 1;
  const due = new Map();
  return {
    setTimeout(fn, ms) {
      const id = next++;
      due.set(id, { fn, ms });
      return id;
    },
    clearTimeout(id) {
      due.delete(id);
    },
    runAll() {
      const fns = [...due.values()];
      due.clear();
      fns.forEach((t) => t.fn());
    },
    get pending() {
      return due.size;
    },
  };
}

/** Waits until `check` passes (the fake window delivers asynchronously, like a browser); 2 s at most. */
export async function eventually(check) {
  const end = Date.now() + 2000;
  for (;;) {
    try {
      return check();
    } catch (e) {
      if (Date.now() > end) throw e;
      await sleep(5);
    }
  }
}

