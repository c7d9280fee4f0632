package org.cardbridge.install;

import org.cardbridge.install.Finding.Status;
import org.cardbridge.platform.Os;
import org.cardbridge.token.TokenManager;
import org.cardbridge.token.TokenObjects;
import org.cardbridge.token.TokenSession;
import org.cardbridge.token.WrapperPkcs11;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * TLS client authentication with the card in browsers on Linux: Chromium-family browsers and Firefox
 * offer a card's certificates for logging in to a web site only when the card's PKCS#11 module is
 * registered in their NSS database — Chromium, Chrome, Edge, Brave, Opera and Vivaldi share
 * {@code ~/.pki/nssdb}; each Firefox profile has its own (its {@code pkcs11.txt}). Or through
 * {@code p11-kit-proxy.so}, which loads every module p11-kit's configuration lists.
 *
 * <p>{@link #install} registers the card's module under {@link #MODULE_NAME} with NSS's {@code modutil}
 * in every database that exists and does not show the card yet; {@link #uninstall} removes exactly that
 * registration. {@link #check} is doctor's part: per database, whether the card is visible and whether
 * the certificate offered is the newest the card holds. On Windows and macOS the system's smart-card
 * stack shows the card to browsers (see docs/install.md): nothing to register.
 */
public final class ClientAuth {
    /** The name CardBridge registers the module under: uninstall removes only a module of this name. */
    public static final String MODULE_NAME = "CardBridge: smart card";
    static final String P11_KIT_PROXY = "p11-kit-proxy.so";
    /** As the extension warns (its default): a certificate expiring within this is due for renewal. */
    static final Duration RENEW_WITHIN = Duration.ofDays(60);

    private final Roots roots;
    private final Os os;
    private final Nss nss;
    private final DoctorTexts texts;
    private final CardReader cards;

    /** A browser's NSS database: which browser (and Firefox profile) uses it, and its folder. */
    public record Db(String browser, Path dir) {
    }

    /** The certificates on the tokens a module shows now: token label → certificates. */
    public interface CardReader {
        List<Card> read(String library);
    }

    public record Card(String tokenLabel, List<TokenObjects.Certificate> certificates) {
    }

    /** What {@link #install} or {@link #uninstall} did (or found) for one database. */
    public record Change(Db db, String outcome, String detail) {
    }

    public ClientAuth(Roots roots, Os os, Nss nss, DoctorTexts texts, CardReader cards) {
        this.roots = roots;
        this.os = os;
        this.nss = nss;
        this.texts = texts;
        this.cards = cards;
    }

    /** The real machine's: NSS's tools on PATH, the card read through the host's own PKCS#11 layer. */
    public static ClientAuth real(Roots roots, Os os, DoctorTexts texts) {
        return new ClientAuth(roots, os, new Nss(), texts, ClientAuth::readCard);
    }

    /** Linux only: Chromium's shared database and every Firefox profile's (regular, Snap, Flatpak builds). */
    public List<Db> databases() {
        if (os != Os.LINUX) {
            return List.of();
        }
        List<Db> out = new ArrayList<>();
        out.add(new Db("Chromium, Google Chrome, Microsoft Edge, Brave, Opera, Vivaldi", roots.resolve("~/.pki/nssdb")));
        for (String base : List.of("~/.mozilla/firefox", "~/snap/firefox/common/.mozilla/firefox",
                "~/.var/app/org.mozilla.firefox/.mozilla/firefox")) {
            Path dir = roots.resolve(base);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> Files.isRegularFile(p.resolve("cert9.db")) || Files.isRegularFile(p.resolve("pkcs11.txt")))
                        .sorted().forEach(p -> out.add(new Db("Firefox (" + p.getFileName() + ")", p)));
            } catch (IOException e) {
                // an unreadable folder holds no profile we can use
            }
        }
        return out;
    }

    /**
     * The card's module for client authentication: the policy's first existing module (the administrator's
     * choice), else OpenSC's, else an installed vendor module of the ATR map; empty when none exists.
     */
    public static Optional<String> cardModule(List<String> candidates) {
        return candidates.stream().filter(c -> Files.isRegularFile(Path.of(c))).findFirst();
    }

    /** Registers {@code library} in every existing database where the card is not visible yet. */
    public List<Change> install(String library) {
        List<Change> out = new ArrayList<>();
        for (Db db : databases()) {
            if (!Nss.exists(db.dir())) {
                out.add(new Change(db, "clientAuth.noDb", null));
                continue;
            }
            try {
                Optional<Nss.Module> present = cardModuleIn(nss.modules(db.dir()), List.of(library), proxied(List.of(library)));
                if (present.isPresent()) {
                    out.add(new Change(db, "clientAuth.already", present.get().name()));
                    continue;
                }
                nss.add(db.dir(), MODULE_NAME, library);
                out.add(new Change(db, "clientAuth.added", library));
            } catch (Nss.NssException e) {
                out.add(new Change(db, "clientAuth.failed", e.getMessage()));
            }
        }
        return out;
    }

    /** Removes the module {@link #install} registered (by its name) wherever it is; nothing else. */
    public List<Change> uninstall() {
        List<Change> out = new ArrayList<>();
        for (Db db : databases()) {
            if (!Nss.exists(db.dir())) {
                continue;
            }
            try {
                if (nss.modules(db.dir()).stream().anyMatch(m -> m.name().equals(MODULE_NAME))) {
                    nss.delete(db.dir(), MODULE_NAME);
                    out.add(new Change(db, "clientAuth.removed", MODULE_NAME));
                }
            } catch (Nss.NssException e) {
                out.add(new Change(db, "clientAuth.failed", e.getMessage()));
            }
        }
        return out;
    }

    /**
     * doctor: for each database, whether the card's module ({@code candidates}: the modules the host
     * would use) is registered — directly or through p11-kit-proxy — and, when it is, whether the
     * certificate NSS offers from the card is the newest valid one the card holds. Reads only: the
     * databases are opened read-only by NSS's tools, and nothing is written when one is missing, locked
     * or damaged.
     */
    public List<Finding> check(List<String> candidates) {
        List<Finding> out = new ArrayList<>();
        if (os != Os.LINUX) {
            out.add(texts.finding(Status.INFO, "doctor.clientAuth.osStore", "clientAuth", null,
                    os == Os.WINDOWS ? "Windows" : "macOS"));
            return out;
        }
        List<String> existing = candidates.stream().filter(c -> Files.isRegularFile(Path.of(c))).toList();
        for (Db db : databases()) {
            String subject = "nss:" + db.dir();
            if (!Nss.exists(db.dir())) {
                out.add(texts.finding(Status.INFO, "doctor.clientAuth.noDb", subject, "clientAuth.noDb", db.browser(), db.dir()));
                continue;
            }
            List<Nss.Module> modules;
            List<Nss.Listed> listed;
            try {
                listed = nss.certificates(db.dir());
                modules = nss.modules(db.dir());
            } catch (Nss.NssException e) {
                out.add(texts.finding(Status.WARN, e.kind() == Nss.NssException.Kind.NO_TOOLS ? "doctor.clientAuth.noTools"
                        : "doctor.clientAuth.unreadable", subject, e.kind() == Nss.NssException.Kind.NO_TOOLS
                        ? "clientAuth.noTools" : "clientAuth.unreadable", db.browser(), db.dir(), e.getMessage()));
                continue;
            }
            Optional<Nss.Module> card = cardModuleIn(modules, existing, proxied(existing));
            if (card.isEmpty()) {
                out.add(texts.finding(Status.WARN, "doctor.clientAuth.notRegistered", subject, "clientAuth.register",
                        db.browser(), db.dir()));
                continue;
            }
            out.add(texts.finding(Status.OK, "doctor.clientAuth.registered", subject, null, db.browser(), card.get().library()));
            String library = isProxy(card.get()) ? existing.stream().findFirst().orElse(card.get().library()) : card.get().library();
            out.addAll(offered(db, subject, library, listed));
        }
        return out;
    }

    /** The certificate the browser offers from each present card, against the newest the card holds. */
    private List<Finding> offered(Db db, String subject, String library, List<Nss.Listed> listed) {
        List<Finding> out = new ArrayList<>();
        List<Card> present;
        try {
            present = cards.read(library);
        } catch (RuntimeException e) {
            out.add(texts.finding(Status.WARN, "doctor.clientAuth.cardUnreadable", subject, "clientAuth.cardUnreadable",
                    db.browser(), Doctor.firstLine(e.getMessage())));
            return out;
        }
        Instant now = Instant.now();
        for (Card c : present) {
            List<TokenObjects.Certificate> endEntity = c.certificates().stream()
                    .filter(x -> x.certificate().getBasicConstraints() < 0).toList();
            if (endEntity.isEmpty()) {
                continue;
            }
            TokenObjects.Certificate newest = endEntity.stream()
                    .max(Comparator.comparing((TokenObjects.Certificate x) -> x.certificate().getNotBefore())).orElseThrow();
            X509Certificate n = newest.certificate();
            String serial = n.getSerialNumber().toString(16);
            String until = n.getNotAfter().toInstant().toString().substring(0, 10);
            boolean nssOffers = listed.stream().anyMatch(l -> l.token().equals(c.tokenLabel()) && l.label().equals(newest.label()));
            if (n.getNotAfter().toInstant().isBefore(now)) {
                out.add(texts.finding(Status.FAIL, "doctor.clientAuth.onlyExpired", subject, "clientAuth.renew",
                        db.browser(), c.tokenLabel(), serial, until));
            } else if (!nssOffers) {
                out.add(texts.finding(Status.WARN, "doctor.clientAuth.newestNotOffered", subject, "clientAuth.restart",
                        db.browser(), c.tokenLabel(), serial, until));
            } else if (n.getNotAfter().toInstant().isBefore(now.plus(RENEW_WITHIN))) {
                out.add(texts.finding(Status.WARN, "doctor.clientAuth.expiresSoon", subject, "clientAuth.renew",
                        db.browser(), c.tokenLabel(), serial, until));
            } else {
                out.add(texts.finding(Status.OK, "doctor.clientAuth.offersNewest", subject, null,
                        db.browser(), c.tokenLabel(), serial, until));
            }
            for (TokenObjects.Certificate old : endEntity) {
                if (old != newest && old.certificate().getSubjectX500Principal().equals(n.getSubjectX500Principal())
                        && listed.stream().anyMatch(l -> l.token().equals(c.tokenLabel()) && l.label().equals(old.label()))) {
                    out.add(texts.finding(Status.WARN, "doctor.clientAuth.oldStillOffered", subject, "clientAuth.removeOld",
                            db.browser(), c.tokenLabel(), old.certificate().getSerialNumber().toString(16),
                            old.certificate().getNotAfter().toInstant().toString().substring(0, 10)));
                }
            }
        }
        return out;
    }

    /**
     * A registered module that shows the card: one of {@code libraries} (by real path), or p11-kit's proxy
     * when {@code proxyShowsCard} (p11-kit's configuration loads one of them into the proxy).
     */
    static Optional<Nss.Module> cardModuleIn(List<Nss.Module> modules, List<String> libraries, boolean proxyShowsCard) {
        List<String> real = libraries.stream().map(ClientAuth::realPath).toList();
        return modules.stream().filter(m -> (isProxy(m) && proxyShowsCard) || real.contains(realPath(m.library()))).findFirst();
    }

    /**
     * Whether p11-kit's proxy loads one of {@code libraries}: a {@code .module} file of p11-kit's configuration
     * (pkcs11.conf(5): the package's {@code /usr/share/p11-kit/modules}, the administrator's
     * {@code /etc/pkcs11/modules}, the user's {@code ~/.config/pkcs11/modules}) whose {@code module:} names it
     * — an absolute path, or a file name in p11-kit's module folder — and that is not disabled for the proxy.
     */
    boolean proxied(List<String> libraries) {
        List<String> real = libraries.stream().filter(l -> Files.isRegularFile(Path.of(l))).map(ClientAuth::realPath).toList();
        List<String> names = libraries.stream().map(l -> Path.of(l).getFileName().toString()).toList();
        for (String dir : List.of("/usr/share/p11-kit/modules", "/etc/pkcs11/modules", "{config}/pkcs11/modules")) {
            Path d = roots.resolve(dir);
            if (!Files.isDirectory(d)) {
                continue;
            }
            try (Stream<Path> s = Files.list(d)) {
                for (Path f : s.filter(p -> p.toString().endsWith(".module")).toList()) {
                    String module = null;
                    boolean disabled = false;
                    for (String line : Files.readAllLines(f)) {
                        String l = line.strip();
                        if (l.startsWith("module:")) {
                            module = l.substring("module:".length()).strip();
                        } else if (l.startsWith("disable-in:") && l.contains("p11-kit-proxy")
                                || l.startsWith("enable-in:") && !l.contains("p11-kit-proxy")) {
                            disabled = true;
                        }
                    }
                    if (module == null || disabled) {
                        continue;
                    }
                    Path m = Path.of(module);
                    if (m.isAbsolute() ? real.contains(realPath(module)) : names.contains(m.getFileName().toString())) {
                        return true;
                    }
                }
            } catch (IOException | RuntimeException e) {
                // an unreadable configuration loads nothing
            }
        }
        return false;
    }

    static boolean isProxy(Nss.Module m) {
        return Path.of(m.library()).getFileName().toString().equals(P11_KIT_PROXY);
    }

    private static String realPath(String library) {
        try {
            return Path.of(library).toRealPath().toString();
        } catch (IOException | RuntimeException e) {
            return library;
        }
    }

    /** The browser family that started a host, for {@link #usableForLogin}. */
    public enum Browser { CHROME, FIREFOX }

    /**
     * The browser that started this process, told by its command line as {@code LaunchMode} tells it (a
     * Chrome-family browser passes {@code chrome-extension://…/}, Firefox a manifest path and an add-on id);
     * read only when asked (from {@code /proc/self/cmdline}), so nothing of this runs at start-up.
     */
    public static Optional<Browser> startedBy() {
        String[] args = ProcessHandle.current().info().arguments().orElse(new String[0]);
        for (int i = 0; i < args.length; i++) {
            if (args[i].startsWith("chrome-extension://")) {
                return Optional.of(Browser.CHROME);
            }
            if (args[i].toLowerCase(java.util.Locale.ROOT).endsWith("org.cardbridge.host.json") && i + 1 < args.length) {
                return Optional.of(Browser.FIREFOX);
            }
        }
        return Optional.empty();
    }

    /**
     * Whether a certificate on a token of {@code library} is expected to be offered for logging in to web
     * sites by {@code browser} now: the same check as doctor's — the card's module (or p11-kit-proxy loading
     * it) is registered in that browser's NSS database (for Firefox, in any profile's: which profile started
     * the host cannot be told). NSS reads the card each time a site asks, so a certificate just written is
     * offered at once. Empty where it cannot be told: not Linux (the system's smart-card support decides,
     * see docs/install.md), a database whose module list NSS cannot read, or no database of that browser where doctor looks
     * (a Firefox started with a profile elsewhere, a Snap Chromium): "false" says a database was read and
     * the card is not in it, never that none was found. Only the registration is read ({@code pkcs11.txt},
     * {@link Nss#registeredModules}: no module is loaded, no card read), so it is cheap enough for every
     * refresh of the popup; that the database opens at all is doctor's part.
     */
    public Optional<Boolean> usableForLogin(Browser browser, String library) {
        if (os != Os.LINUX) {
            return Optional.empty();
        }
        Path chromium = roots.resolve("~/.pki/nssdb");
        boolean proxy = proxied(List.of(library));
        boolean read = false;
        for (Db db : databases()) {
            if (db.dir().equals(chromium) != (browser == Browser.CHROME) || !Nss.exists(db.dir())) {
                continue;
            }
            try {
                if (cardModuleIn(nss.registeredModules(db.dir()), List.of(library), proxy).isPresent()) {
                    return Optional.of(true);
                }
                read = true;
            } catch (Nss.NssException e) {
                return Optional.empty();
            }
        }
        return read ? Optional.of(false) : Optional.empty();
    }

    /** The certificates (public objects: no login) on every present token of {@code library}. */
    static List<Card> readCard(String library) {
        try (TokenManager tokens = new TokenManager(List.of(library), WrapperPkcs11::load)) {
            List<Card> out = new ArrayList<>();
            for (TokenManager.Slot s : tokens.slots()) {
                if (!s.present() || s.token() == null) {
                    continue;
                }
                TokenSession session = tokens.open(s.token());
                out.add(new Card(s.label(), session.certificates()));
            }
            return out;
        }
    }
}
