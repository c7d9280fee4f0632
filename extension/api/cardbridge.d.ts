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
  | "CMP_MESSAGE_INVALID"
  | "CMP_PROTECTION_INVALID"
  | "CMP_TRANSACTION_MISMATCH"
  | "CMP_REJECTED"
  | "CMP_WAITING"
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
  /**
   * What the host or extension added: e.g. `pinState` (PIN_INCORRECT, PIN_LOCKED: "ok" | "countLow" |
   * "finalTry" | "locked"), origin, field, reason. Never secrets.
   */
  readonly details: Record<string, unknown> & { pinState?: PinState };
  /** Only for EXTENSION_UNAVAILABLE and NATIVE_UNAVAILABLE: where to get CardBridge (see `configure`). */
  install?: InstallLink;
}

/** Second argument of every call. */
export interface CallOptions {
  /** Aborting rejects with REQUEST_CANCELLED and sends `cancel` to the host. */
  signal?: AbortSignal;
  /** Progress of a long request, e.g. `{stage: "generatingKey"}`. */
  onProgress?: (progress: { stage: string; [k: string]: unknown }) => void;
  /** Milliseconds; then ACTION_TIMEOUT (and `cancel` to the host). No default except status(). */
  timeout?: number;
  /**
   * Language of the CardBridge windows this request opens (confirmation, PIN); default the browser's.
   * Anything but "pl" or "en" rejects with INVALID_ARGUMENT before anything is sent.
   */
  lang?: "pl" | "en";
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

/** generateKeyPair's result. `handle` is the key's handle, the same as `PendingKey.handle`. */
export interface GeneratedKey {
  handle: string;
  keyId: string;
  label: string;
  algorithm: Algorithm;
  publicKey: string;
  /** @deprecated the same value as `handle` (its protocol 1.0 name); removed in the next minor version. */
  key: string;
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
/** CMP key update request (kur) for a pending key, protected by the current certificate; `message` is base64 DER. */
export declare function createKeyUpdateRequest(
  params: {
    key: string;
    certificate: string;
    subject?: CreateCsrParams["subject"];
    extensions?: CreateCsrParams["extensions"];
    chain?: string[];
    recipient?: string;
  },
  options?: CallOptions,
): Promise<{ message: string; transactionId: string; signatureAlgorithm: string }>;
/** The CA's CMP answer (base64 DER): a kup is installed and gives the certConf to send; a pkiConf closes. */
export declare function acceptCmpResponse(
  params: { message: string; caCertificates: string | string[]; allowNotYetValid?: boolean; removeOldKey?: boolean },
  options?: CallOptions,
): Promise<
  | { transactionId: string; installation: InstallCertificateResult; certConf: string }
  | { transactionId: string; closed: true }
  /** The CA asked to wait (kup with status waiting, or pollRep): send pollReq after checkAfter seconds. */
  | { transactionId: string; waiting: true; checkAfter: number | null; pollReq: string }
>;

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
  createKeyUpdateRequest: typeof createKeyUpdateRequest;
  acceptCmpResponse: typeof acceptCmpResponse;
  on: typeof on;
  off: typeof off;
}

/** A client bound to one window (the module's functions use one bound to the page's own window). */
export declare function createClient(env: {
  window: Window;
  /** Where errors for a missing extension or host send the person (default DEFAULT_INSTALL_LINK). */
  install?: InstallLinkOption;
  lang?: string;
  ackTimeoutMs?: number;
  statusTimeoutMs?: number;
  /** Clock for the watch restart rule (tests); default Date.now. */
  now?: () => number;
}): Client;


// ---------------------------------------------------------------------------------------------------------
// The install link and the renewal helper (docs/renewal-states.md, docs/integration.md). Kept in their own
// section: other additions to CallOptions live above.
// ---------------------------------------------------------------------------------------------------------

export interface InstallLink {
  url: string;
  /** In the page's language. */
  text: string;
}

export interface InstallLinkOption {
  url?: string;
  /** One text, or one per language (`{pl: "…", en: "…"}`). */
  text?: string | Record<string, string>;
}

export declare const DEFAULT_INSTALL_LINK: Readonly<{ url: string; text: Readonly<{ en: string; pl: string }> }>;

/** Sets the module's own client's install link and language. */
export declare function configure(settings: { install?: InstallLinkOption; lang?: string }): void;

/** Adds `install` to an EXTENSION_UNAVAILABLE / NATIVE_UNAVAILABLE CardBridgeError; returns other errors as they are. */
export declare function withInstallLink<E>(error: E, link?: InstallLinkOption, lang?: string): E;

/** Subject and issuer (hex of the DER names) and validity of a base64-DER or PEM certificate. */
export declare function certificateFacts(certificate: string): {
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
};

export type RenewalStateName =
  | "idle"
  | "noCard"
  | "refused"
  | "eligible"
  | "keyOnCard"
  | "drafted"
  | "unknown"
  | "issued"
  | "scheduled"
  | "deferred"
  | "finishable"
  | "done";

export type RenewalAction = "read" | "renew" | "submit" | "lookup" | "install" | "finish" | "discard";

export type RenewalErrorCode = "CA_REFUSED" | "CA_UNAVAILABLE" | "CA_OUTCOME_UNKNOWN" | "CA_ANSWER_INVALID" | "NOT_ALLOWED_NOW";

export declare const RENEWAL_STATES: readonly RenewalStateName[];
export declare const RENEWAL_ERROR_CODES: readonly RenewalErrorCode[];

export declare class RenewalError extends Error {
  constructor(code: RenewalErrorCode, message: string, extra?: { refusal?: CaRefusal; cause?: unknown });
  readonly name: "RenewalError";
  readonly code: RenewalErrorCode;
  /** CA_REFUSED: the CA's code and its message in the person's language. */
  readonly refusal?: CaRefusal;
}

export interface CaRefusal {
  code: string;
  message: string;
}

/** A CA answer: what its check/draft/submit/lookup resolve with. Binary values are base64 DER. */
export type CaAnswer =
  | { status: "eligible"; subject: string; keyAlgorithm?: Algorithm; notAfter?: string; [k: string]: unknown }
  | { status: "draft"; document: string; statement?: string[]; [k: string]: unknown }
  | { status: "issued"; certificate: string; chain?: string[]; notBefore?: string; notAfter?: string; [k: string]: unknown }
  | { status: "scheduled"; availableFrom: string; [k: string]: unknown }
  | { status: "waiting"; availableFrom: string; [k: string]: unknown }
  | { status: "none" }
  | { status: "refused"; error: CaRefusal };

/**
 * The CA's four server calls. Each resolves with the CA's answer (a refusal is an answer) and throws only
 * when there is no usable answer (network, timeout, 5xx).
 */
export interface CaCalls {
  /** `{certificate}` on reading the card; `{certificate, ...details}` (code…) before a key is made. */
  check(body: { certificate: string; [k: string]: unknown }): Promise<CaAnswer>;
  /** `{certificate, ...details, csr}` → `draft` (the application to sign). */
  draft(body: { certificate: string; csr: string; [k: string]: unknown }): Promise<CaAnswer>;
  /** `{document, signature}` → `issued` | `scheduled`. */
  submit(body: { document: string; signature: string }): Promise<CaAnswer>;
  /** `{publicKey}` (a key on the card) → `issued` | `waiting` | `none`. */
  lookup(body: { publicKey: string }): Promise<CaAnswer>;
}

/** The four calls over fetch: POST JSON to `${base}/check`, `/draft`, `/submit`, `/lookup`. */
export declare function caEndpoints(
  base: string,
  options?: { timeout?: number; extra?: () => Record<string, unknown>; fetch?: typeof fetch },
): CaCalls;
/** CMP mode's transport: POSTs base64 DER as application/pkixcmp to the CA's CMP endpoint, resolves with the answer's. */
export declare function cmpEndpoint(
  url: string,
  options?: { timeout?: number; fetch?: typeof fetch },
): (message: string) => Promise<string>;

/** CMP mode of createRenewal: the renewal is a key update request relayed to the CA's CMP endpoint. */
export interface CmpOptions {
  /** The CA's CMP endpoint (same origin, or CORS-enabled for this page). */
  url?: string;
  /** Instead of url: sends one base64 DER message and resolves with the CA's answer (tests, own transport). */
  send?: (message: string) => Promise<string>;
  /** Who signs the CA's CMP answers (PEM or base64); the old certificate must be issued by one of these or `chain`. */
  caCertificates: string[];
  /** The old certificate's CA chain, sent in the request's extraCerts. */
  chain?: string[];
  timeout?: number;
}

export type RenewalActivity =
  | { name: "connecting" | "readingCard"; since: number }
  | { name: "askingCa"; call: "check" | "draft" | "submit" | "lookup" | "cmp"; since: number }
  /** A CardBridge window (confirmation, PIN) may be open and waits for the person. */
  | { name: "waitingForYou"; op: "generateKeyPair" | "createCsr" | "sign" | "installCertificate" | "removeKey" | "createKeyUpdateRequest" | "acceptCmpResponse"; since: number }
  /** The windows are done; the card is making the key (`since`: when it started). */
  | { name: "generatingKey"; op: "generateKeyPair"; since: number };

export interface RenewalState {
  name: RenewalStateName;
  /** The actions offered now; anything else (but `read`, always allowed) is refused with NOT_ALLOWED_NOW. */
  next: readonly RenewalAction[];
  /** The last action's failure; the state is the one before it. */
  error: CardBridgeError | RenewalError | null;
  token: Token | null;
  /** The certificate being renewed (the old one). */
  certificate: Certificate | null;
  /** The CA's `check` answer. */
  eligibility: CaAnswer | null;
  /** The new key on the card, waiting for its certificate. */
  key: PendingKey | null;
  application: { document: string; statement: string[] } | null;
  signedApplication: { document: string; signature: string } | null;
  /** The CA's `issued` answer. */
  issued: CaAnswer | null;
  /** scheduled: from when the CA releases the certificate. */
  availableFrom: string | null;
  /** deferred / finishable: the new certificate beside the old one. */
  successor: (Partial<Certificate> & { certificate: string; notBefore: string }) | null;
  validFrom: string | null;
  refusal: CaRefusal | null;
  result: InstallCertificateResult | null;
}

export interface RenewalOptions {
  /** The CA's four JSON calls; not needed in CMP mode. */
  ca?: CaCalls;
  /** CMP mode: `renew` makes the key and the kur, the page relays it and the answers (no `submit`; `lookup` resends the same kur). */
  cmp?: CmpOptions;
  /** Default: the module's own functions. */
  client?: Pick<Client, "status" | "listTokens" | "listCertificates" | "generateKeyPair" | "createCsr" | "sign" | "installCertificate" | "removeKey"> &
    Partial<Pick<Client, "createKeyUpdateRequest" | "acceptCmpResponse">>;
  /** "pl" | "en" (or a function giving it now): the default texts (application description, install link). */
  lang?: string | (() => string);
  install?: InstallLinkOption;
  keyAlgorithm?: Algorithm;
  keyLabel?: string;
  /** Shown in the host's confirmation before the application is signed. */
  applicationDescription?: string | (() => string);
  /** Remove the old key with the old certificate (default true). */
  removeOldKey?: boolean;
  onState?: (state: RenewalState) => void;
  onActivity?: (activity: RenewalActivity | null) => void;
  /** Clock (tests). */
  now?: () => number;
}

export interface Renewal {
  readonly state: RenewalState;
  readonly activity: RenewalActivity | null;
  on(kind: "state", fn: (state: RenewalState) => void): void;
  on(kind: "activity", fn: (activity: RenewalActivity | null) => void): void;
  off(kind: "state" | "activity", fn: (value: never) => void): void;
  /** Reads the card and asks the CA: lands in the state the renewal is really in. */
  read(): Promise<RenewalState>;
  /** Checks the details (code…) with the CA, makes (or reuses) the key, the CSR, and gets the application. */
  renew(details?: Record<string, unknown>): Promise<RenewalState>;
  /** Signs the application with the old certificate, sends it, installs what the CA issued. */
  submit(): Promise<RenewalState>;
  /** Asks the CA again about the key on the card (after an unknown outcome). */
  lookup(): Promise<RenewalState>;
  /** Installs the certificate the CA issued (replacing the old one, or beside it until it is valid). */
  install(): Promise<RenewalState>;
  /** Replaces the old certificate with its successor once that is valid. */
  finish(): Promise<RenewalState>;
  /** Removes the key of a renewal the CA has not accepted. */
  discard(): Promise<RenewalState>;
}

export declare function createRenewal(options: RenewalOptions): Renewal;
