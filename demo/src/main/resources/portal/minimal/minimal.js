// A complete CA renewal page on CardBridge's renewal helper (docs/integration.md); the CA's server: POST /api/renewal/{check,draft,submit,lookup}.
import * as cardbridge from "../cardbridge/cardbridge.js";

const lang = new URLSearchParams(location.search).get("lang") === "pl" ? "pl" : "en";
const T = /** @type {Record<string, string>} */ ({
  en: {
    title: "Renew your certificate", code: "Renewal code:", now: "valid at once", afterExpiry: "valid from when the current one expires",
    connecting: "Connecting to CardBridge…", readingCard: "Reading your card…", askingCa: "Checking with the CA…",
    waitingForYou: "Waiting for you in the CardBridge window…", generatingKey: "The card is making your new key: {s} s",
    idle: "", noCard: "Insert your card.", refused: "This certificate cannot be renewed online.", eligible: "Your certificate can be renewed. Enter your renewal code.",
    keyOnCard: "A new key for your renewal is on the card. Enter your renewal code to continue.", drafted: "Read your application, then sign it with your current certificate.",
    unknown: "The CA has not confirmed your application. Your current certificate works. Check again — do not apply again.",
    issued: "The CA has issued your new certificate. It is not on the card yet; your current certificate works. Install it now.",
    scheduled: "Your application is accepted. Your new certificate will be ready from {date}. Come back then with this card.",
    deferred: "Your new certificate is on the card and becomes valid on {date}. Your current certificate works until then. Come back then to finish.",
    finishable: "Your new certificate is valid now. Finish: replace the old certificate.", done: "Done: your new certificate is on the card.",
    "do.read": "Read the card", "do.renew": "Continue", "do.submit": "Sign and send", "do.lookup": "Check again", "do.install": "Install the certificate",
    "do.finish": "Finish the renewal", "do.discard": "Cancel the renewal",
    USER_CANCELLED: "You cancelled in the CardBridge window.", USER_TIMEOUT: "The CardBridge window waited too long and closed.",
    PIN_INCORRECT: "Wrong PIN. The card allows only a few tries.", PIN_LOCKED: "The PIN is blocked. Unblock it with the PUK from your card's envelope: click the CardBridge icon in the browser's toolbar, then Unblock PIN.", TOKEN_BUSY: "Another program is using the card — close it (e.g. a vendor card manager or signing app) and try again.", TOKEN_REMOVED: "The card was taken out while the certificate was being written. Nothing is lost: the CA keeps your new certificate and your current certificate still works. Put the card back, then press the button below.",
    EXTENSION_UNAVAILABLE: "CardBridge is not installed in this browser. Install it, then reload this page.",
    NATIVE_UNAVAILABLE: "The CardBridge program is not installed on this computer.", CA_UNAVAILABLE: "The CA does not answer. Try again later.",
    CA_OUTCOME_UNKNOWN: "No answer from the CA.", OTHER: "Something went wrong ({code}). Your current certificate works.",
  },
  pl: {
    title: "Odnów swój certyfikat", code: "Kod do odnowienia:", now: "ważny od razu", afterExpiry: "ważny od wygaśnięcia obecnego",
    connecting: "Łączenie z CardBridge…", readingCard: "Odczyt karty…", askingCa: "Sprawdzanie w CA…",
    waitingForYou: "Czekamy na Ciebie w okienku CardBridge…", generatingKey: "Karta tworzy nowy klucz: {s} s",
    idle: "", noCard: "Włóż kartę.", refused: "Tego certyfikatu nie można odnowić online.", eligible: "Certyfikat można odnowić. Wpisz kod do odnowienia.",
    keyOnCard: "Nowy klucz do odnowienia jest już na karcie. Wpisz kod do odnowienia, aby kontynuować.", drafted: "Przeczytaj wniosek i podpisz go obecnym certyfikatem.",
    unknown: "CA nie potwierdziło wniosku. Obecny certyfikat działa. Sprawdź ponownie — nie składaj wniosku drugi raz.",
    issued: "CA wystawiło nowy certyfikat. Nie ma go jeszcze na karcie; obecny certyfikat działa. Zainstaluj go teraz.",
    scheduled: "Wniosek przyjęty. Nowy certyfikat będzie gotowy od {date}. Wróć wtedy z tą kartą.",
    deferred: "Nowy certyfikat jest na karcie i będzie ważny od {date}. Do tego czasu działa obecny. Wróć wtedy, aby zakończyć.",
    finishable: "Nowy certyfikat jest już ważny. Zakończ: zastąp nim stary certyfikat.", done: "Gotowe: nowy certyfikat jest na karcie.",
    "do.read": "Odczytaj kartę", "do.renew": "Dalej", "do.submit": "Podpisz i wyślij", "do.lookup": "Sprawdź ponownie",
    "do.install": "Zainstaluj certyfikat", "do.finish": "Zakończ odnowienie", "do.discard": "Zrezygnuj z odnowienia",
    USER_CANCELLED: "Anulowano w okienku CardBridge.", USER_TIMEOUT: "Okienko CardBridge czekało zbyt długo i zostało zamknięte.",
    PIN_INCORRECT: "Nieprawidłowy PIN. Karta pozwala tylko na kilka prób.", PIN_LOCKED: "PIN jest zablokowany. Odblokuj go kodem PUK z koperty z kartą: kliknij ikonę CardBridge na pasku narzędzi przeglądarki, a potem Odblokuj PIN.", TOKEN_BUSY: "Inny program używa karty — zamknij go (np. menedżer karty od dostawcy albo aplikację do podpisu) i spróbuj ponownie.", TOKEN_REMOVED: "Karta została wyjęta podczas zapisywania certyfikatu. Nic nie przepadło: CA przechowuje nowy certyfikat, a obecny nadal działa. Włóż kartę z powrotem i naciśnij przycisk poniżej.",
    EXTENSION_UNAVAILABLE: "CardBridge nie jest zainstalowany w tej przeglądarce. Zainstaluj go i odśwież stronę.",
    NATIVE_UNAVAILABLE: "Program CardBridge nie jest zainstalowany na tym komputerze.", CA_UNAVAILABLE: "CA nie odpowiada. Spróbuj później.",
    CA_OUTCOME_UNKNOWN: "Brak odpowiedzi CA.", OTHER: "Coś poszło nie tak ({code}). Obecny certyfikat działa.",
  },
}[lang]);
const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id));
const date = (/** @type {string} */ iso) => new Date(iso).toLocaleString(lang, { dateStyle: "long", timeStyle: "short" });
/** @type {number | undefined} */ let ticker;
function showActivity(/** @type {{name: string, since: number, op?: string, call?: string} | null} */ a) {
  clearInterval(ticker), (document.body.dataset.activity = !a ? "" : [a.name, a.op ?? a.call].filter(Boolean).join(":"));
  const text = () => (!a ? "" : T[a.name].replace("{s}", String(Math.round((Date.now() - a.since) / 1000))));
  $("activity").textContent = text();
  if (a?.name === "generatingKey") ticker = setInterval(() => ($("activity").textContent = text()), 1000);
}

function show(/** @type {import("../cardbridge/cardbridge.js").RenewalState} */ s) {
  document.body.dataset.state = s.name;
  $("status").textContent = [T[s.name].replace("{date}", date(s.availableFrom ?? s.validFrom)), s.refusal?.message].filter(Boolean).join(" ");
  const e = /** @type {{code: string, refusal?: {message: string}, install?: {url: string, text: string}} | null} */ (s.error);
  $("error").hidden = !e;
  $("error").textContent = !e ? "" : (e.refusal?.message ?? T[e.code] ?? T.OTHER.replace("{code}", e.code));
  if (e?.install) $("error").append(" ", Object.assign(document.createElement("a"), { href: e.install.url, textContent: e.install.text }));
  $("form").hidden = !s.next.includes("renew");
  $("application").hidden = !s.application;
  $("application").textContent = s.application?.statement.join("\n") ?? "";
  $("actions").replaceChildren(...s.next.map((action) => Object.assign(document.createElement("button"), {
    id: action, textContent: T[`do.${action}`], onclick: () => run(action) })));
}

function run(/** @type {import("../cardbridge/cardbridge.js").RenewalAction} */ action) {
  document.querySelectorAll("button").forEach((b) => (b.disabled = true));
  const details = { code: $("code").value.trim(), pok: "ZETOSERWIS", validity: /** @type {HTMLInputElement} */ (document.querySelector("[name=validity]:checked")).value };
  return action === "renew" ? renewal.renew(details) : renewal[action]();
}

document.documentElement.lang = lang;
/** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-t]")).forEach((el) => (el.textContent = T[el.dataset.t]));
const renewal = cardbridge.createRenewal({
  ca: cardbridge.caEndpoints("/api/renewal", { extra: () => ({ lang }) }),
  lang, onState: show, onActivity: showActivity,
  install: { url: "https://cardbridge.org/install", text: { pl: "Pobierz CardBridge", en: "Get CardBridge" } },
});
renewal.read();
