// Type declarations for cardbridge.js, the CardBridge page API. Params and results are the protocol's
// (docs/protocol.md) verbatim; docs/api.md is the guide.

export declare const PROTOCOL_VERSION: string;
export declare const EXTENSION_ACK_MS: number;
export declare const STATUS_TIMEOUT_MS: number;

export type HostErrorCode =
  | "INVALID_MESSAGE"
  | "UNKNOWN_OPERATION"
  | "INVALID_ARGUMENT"
  | "MESSAGE_TOO_LARGE"
  | "ORIGIN_NOT_ALLOWED"
  | "USER_CANCELLED"
  | "USER_TIMEOUT"
  | "BUSY"
  | "MODULE_NOT_FOUND"
  | "TOKEN_NOT_FOUND"
  | "TOKEN_REMOVED"
  | "PIN_INCORRECT"
  | "PIN_LOCKED"
  | "KEY_NOT_FOUND"
  | "ALGORITHM_NOT_SUPPORTED"
  | "TOKEN_FULL"
  | "TOKEN_READ_ONLY"
  | "CERTIFICATE_INVALID"
  | "CERTIFICATE_KEY_MISMATCH"
  | "CERTIFICATE_EXPIRED"
  | "CERTIFICATE_NOT_YET_VALID"
  | "REQUEST_CANCELLED"
  | "INTERNAL_ERROR";

export type PageErrorCode =
  | "EXTENSION_UNAVAILABLE"
  | "NATIVE_UNAVAILABLE"
  | "VERSION_MISMATCH"
  | "CONTEXT_INSECURE"
  | "ACTION_TIMEOUT";

export type ErrorCodeName = HostErrorCode | PageErrorCode;

export declare const HOST_ERROR_CODES: readonly HostErrorCode[];
export declare const PAGE_ERROR_CODES: readonly PageErrorCode[];
export declare const ErrorCode: Readonly<{ [K in ErrorCodeName]: K }>;

export declare class CardBridgeError extends Error {
  constructor(code: string, message: string, details?: Record<string, unknown>);
  readonly name: "CardBridgeError";
  readonly code: ErrorCodeName;
  /** What the host or extension added: e.g. triesLeft, origin, field, reason. Never secrets. */
  readonly details: Record<string, unknown>;
}

/** Second argument of every call. */
export interface CallOptions {
  /** Aborting rejects with REQUEST_CANCELLED and sends `cancel` to the host. */
  signal?: AbortSignal;
  /** Progress of a long request, e.g. `{stage: "generatingKey"}`. */
  onProgress?: (progress: { stage: string; [k: string]: unknown }) => void;
  /** Milliseconds; then ACTION_TIMEOUT (and `cancel` to the host). No default except status(). */
  timeout?: number;
}

export type Algorithm = "RSA-2048" | "RSA-3072" | "RSA-4096" | "EC-P256" | "EC-P384";
export type PinState = "ok" | "countLow" | "finalTry" | "locked";

export interface Status {
  extension: string | null;
  host: string;
  protocol: string;
  operations: string[];
}

/**
 * One slot of a loaded module. Without a card (`present: false`) or with a blank, uninitialised card
 * (`present: true`, `token: null`) the card's fields are null: look for `present && token`.
 */
export interface Token {
  token: string | null;
  module: string;
  slotId: number;
  readerName: string;
  present: boolean;
  label: string | null;
  manufacturer: string | null;
  model: string | null;
  serial: string | null;
  loginRequired: boolean | null;
  loggedIn: boolean | null;
  pinPad: boolean | null;
  pinState: PinState | null;
  algorithms: Algorithm[];
}

export interface Certificate {
  handle: string;
  label: string;
  keyId: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  keyUsage: string[];
  extendedKeyUsage: string[];
  hasPrivateKey: boolean;
  isCa: boolean;
  /** base64 DER */
  certificate: string;
}

export interface PendingKey {
  handle: string;
  keyId: string;
  label: string;
  /** null when the card's key has a type or size the host does not name */
  algorithm: Algorithm | string | null;
  /** base64 SubjectPublicKeyInfo; null when the card does not reveal it */
  publicKey: string | null;
}

export interface GeneratedKey {
  key: string;
  keyId: string;
  label: string;
  algorithm: Algorithm;
  publicKey: string;
}

export type Rdn = { type: string; value: string }[];

export interface CreateCsrParams {
  key: string;
  /** RFC 4514 string, or a list of RDNs */
  subject: string | Rdn[];
  extensions?: { keyUsage?: string[]; extendedKeyUsage?: string[]; email?: string[] };
  challengePassword?: string;
}

export interface SignParams {
  certificate: string;
  /** base64; or give hash (+ hashAlgorithm), or hashes for a batch */
  data?: string;
  hash?: string;
  hashes?: string[];
  hashAlgorithm?: "SHA-256" | "SHA-384" | "SHA-512" | string;
  format: "raw" | "cms";
  detached?: boolean;
  /** Shown to the user in the host's confirmation. */
  description: string;
}

export interface SignResult {
  signature?: string;
  signatures?: string[];
  signatureAlgorithm: string;
  format: "raw" | "cms";
}

export interface InstallCertificateParams {
  /** PEM or base64 DER strings, or one PEM/base64 PKCS#7 certs-only string */
  certificates: string[] | string;
  replaces?: string;
  removeOldKey?: boolean;
  allowNotYetValid?: boolean;
}

export interface InstallCertificateResult {
  certificate: string;
  keyId: string;
  replaced: boolean;
  caCertificates: { subject: string; written: boolean; reason?: string }[];
  /** Only when `removeOldKey` was asked and a certificate was replaced: whether the old key stayed, and why. */
  oldKeyKept?: boolean;
  oldKeyKeptReason?: "usedByAnotherCertificate" | "usedByNewCertificate" | "noKeyId";
  /**
   * Whether this browser is expected to offer the new certificate for logging in to web sites (TLS client
   * authentication) now: on Linux, the card's module is registered in the browser's certificate database
   * (`cardbridge-host install --user --client-auth`). Absent when it cannot be told (Windows, macOS: the
   * system's smart-card support decides; see docs/install.md).
   */
  usableForLogin?: boolean;
}

export interface CardBridgeEvents {
  tokenInserted: { reader: string; token?: string; atr?: string; module?: string; moduleMatched: boolean };
  tokenRemoved: { reader: string; token?: string };
  readerAdded: { reader: string };
  readerRemoved: { reader: string };
}

export declare const EVENTS: readonly (keyof CardBridgeEvents)[];

export declare function isAllowedContext(location: Location | URL): boolean;

export declare function status(params?: Record<string, never>, options?: CallOptions): Promise<Status>;
export declare function listTokens(params?: Record<string, never>, options?: CallOptions): Promise<{ tokens: Token[] }>;
export declare function listCertificates(
  params: { token: string },
  options?: CallOptions,
): Promise<{ certificates: Certificate[]; pendingKeys: PendingKey[] }>;
export declare function login(params: { token: string }, options?: CallOptions): Promise<{ loggedIn: true }>;
export declare function logout(params: { token: string }, options?: CallOptions): Promise<{ loggedIn: false }>;
export declare function generateKeyPair(
  params: { token: string; algorithm: Algorithm; label: string },
  options?: CallOptions,
): Promise<GeneratedKey>;
export declare function createCsr(
  params: CreateCsrParams,
  options?: CallOptions,
): Promise<{ csr: string; der: string; signatureAlgorithm: string }>;
export declare function sign(params: SignParams, options?: CallOptions): Promise<SignResult>;
export declare function installCertificate(
  params: InstallCertificateParams,
  options?: CallOptions,
): Promise<InstallCertificateResult>;
export declare function removeKey(params: { key: string }, options?: CallOptions): Promise<{ removed: true }>;

/** The first listener makes the host watch readers; the promise says whether that started. */
export declare function on<E extends keyof CardBridgeEvents>(
  event: E,
  listener: (data: CardBridgeEvents[E]) => void,
): Promise<unknown>;
export declare function off<E extends keyof CardBridgeEvents>(
  event: E,
  listener: (data: CardBridgeEvents[E]) => void,
): Promise<unknown>;

export interface Client {
  status: typeof status;
  listTokens: typeof listTokens;
  listCertificates: typeof listCertificates;
  login: typeof login;
  logout: typeof logout;
  generateKeyPair: typeof generateKeyPair;
  createCsr: typeof createCsr;
  sign: typeof sign;
  installCertificate: typeof installCertificate;
  removeKey: typeof removeKey;
  on: typeof on;
  off: typeof off;
}

/** A client bound to one window (the module's functions use one bound to the page's own window). */
export declare function createClient(env: {
  window: Window;
  ackTimeoutMs?: number;
  statusTimeoutMs?: number;
  /** Clock for the watch restart rule (tests); default Date.now. */
  now?: () => number;
}): Client;
