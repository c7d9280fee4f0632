// The part of the WebExtensions API the background uses, as Chrome (`chrome.*`) and Firefox (`browser.*`)
// both provide it: the background takes it as a parameter (background/main.js passes the real one, the node
// tests fakes), and `tsc` checks both kinds of caller against this. Only the members CardBridge reads.
// Not packed into the store packages (installer/store/package-extension.mjs); checked by tsconfig.json.

export interface BrowserEvent<F extends (...args: any[]) => unknown> {
  addListener(listener: F): void;
  removeListener?(listener: F): void;
}

/** Who is at the other end of a runtime port: the browser fills it in, the page cannot. */
export interface MessageSender {
  id?: string;
  url?: string;
  /** Chrome, and Firefox from 126; older Firefox gives only `url`. */
  origin?: string;
  tab?: { id?: number };
  frameId?: number;
}

export interface Port {
  name: string;
  sender?: MessageSender;
  /** Firefox: why the port closed (Chrome says it in runtime.lastError). */
  error?: { message?: string } | null;
  postMessage(message: unknown): void;
  disconnect(): void;
  onMessage: BrowserEvent<(message: any, port: Port) => void>;
  onDisconnect: BrowserEvent<(port: Port) => void>;
}

export interface Runtime {
  id: string;
  getURL(path: string): string;
  lastError?: { message?: string } | null;
  connectNative(application: string): Port;
  onConnect: BrowserEvent<(port: Port) => void>;
  onStartup?: BrowserEvent<() => void>;
  onInstalled?: BrowserEvent<() => void>;
}

export interface Tabs {
  onRemoved: BrowserEvent<(tabId: number) => void>;
}

export interface I18n {
  getMessage(key: string, substitutions?: string | string[]): string;
  getUILanguage(): string;
}

/** The toolbar button: its badge and title. */
export interface Action {
  setBadgeText(details: { text: string }): unknown;
  setBadgeBackgroundColor(details: { color: string }): unknown;
  setTitle(details: { title: string }): unknown;
}

/** storage.local (the popup's settings). */
export interface StorageArea {
  get(keys: string | string[] | Record<string, unknown> | null): Promise<Record<string, any>>;
  set(items: Record<string, unknown>): Promise<void>;
}

/** setTimeout/clearTimeout, injected so tests control time. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): any;
  clearTimeout(handle: any): void;
}
