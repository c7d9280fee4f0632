package org.cardbridge.install;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A browser's NSS database (the {@code sql:} kind: {@code cert9.db}, {@code key4.db}, {@code pkcs11.txt}),
 * read and changed only through NSS's own tools from {@code libnss3-tools}: {@code modutil} for the list of
 * PKCS#11 modules, {@code certutil} for the certificates NSS offers. Nothing here edits a browser's file by
 * hand, and nothing here asks for a PIN: the tools run with no terminal, so a token that wants one is left
 * locked (its public certificates are listed all the same).
 */
public final class Nss {
    private static final Pattern RAW_MODULE = Pattern.compile("library=\"([^\"]*)\"\\s+name=\"([^\"]*)\"");
    private static final long TIMEOUT_SECONDS = 30;
    private final String modutil;
    private final String certutil;
    private final Map<String, String> env;

    /** A module registered in the database: its name and library file. */
    public record Module(String name, String library) {
    }

    /** A certificate NSS lists, by its nickname ({@code token:label} for a certificate on a token). */
    public record Listed(String nickname, String trust) {
        /** The token part of a token certificate's nickname, or empty for one in the database itself. */
        public String token() {
            int colon = nickname.indexOf(':');
            return colon < 0 ? "" : nickname.substring(0, colon);
        }

        public String label() {
            int colon = nickname.indexOf(':');
            return colon < 0 ? nickname : nickname.substring(colon + 1);
        }
    }

    /** Why a database cannot be used: missing, NSS refuses it (locked by a program, or damaged), or no tools. */
    public static final class NssException extends Exception {
        public enum Kind { MISSING, UNREADABLE, NO_TOOLS, FAILED }

        private final Kind kind;

        public NssException(Kind kind, String message) {
            super(message);
            this.kind = kind;
        }

        public Kind kind() {
            return kind;
        }
    }

    public Nss() {
        this("modutil", "certutil", Map.of());
    }

    /** {@code env}: added to the tools' environment (tests: SOFTHSM2_CONF for the module NSS loads). */
    public Nss(String modutil, String certutil, Map<String, String> env) {
        this.modutil = modutil;
        this.certutil = certutil;
        this.env = env;
    }

    public Nss withEnvironment(Map<String, String> more) {
        Map<String, String> e = new java.util.HashMap<>(env);
        e.putAll(more);
        return new Nss(modutil, certutil, e);
    }

    /** A database NSS would open: the three files of the {@code sql:} format. */
    public static boolean exists(Path db) {
        return Files.isRegularFile(db.resolve("cert9.db")) && Files.isRegularFile(db.resolve("key4.db"))
                && Files.isRegularFile(db.resolve("pkcs11.txt"));
    }

    /**
     * The database opened as a browser opens it, read only: {@code certutil -L} fails when NSS cannot
     * (SQLite locked by another program, damaged files). Then the modules {@code pkcs11.txt} registers.
     */
    public List<Module> modules(Path db) throws NssException {
        requireExists(db);
        certificates(db); // opens cert9.db and key4.db: modutil -rawlist reads pkcs11.txt only
        return registeredModules(db);
    }

    /**
     * Only the modules {@code pkcs11.txt} registers ({@code modutil -rawlist}), without opening the database
     * as a browser does: no module is loaded, so no card is read (NSS's {@code certutil -L -h all} makes
     * every registered module read its tokens' certificates, the card's included). For the popup's
     * login line, which is asked on every card event; doctor uses {@link #modules}.
     */
    public List<Module> registeredModules(Path db) throws NssException {
        requireExists(db);
        String out = run(List.of(modutil, "-dbdir", "sql:" + db, "-rawlist"));
        List<Module> modules = new ArrayList<>();
        for (String line : out.lines().toList()) {
            Matcher m = RAW_MODULE.matcher(line);
            if (m.find() && !m.group(1).isEmpty()) {
                modules.add(new Module(m.group(2), m.group(1)));
            }
        }
        return modules;
    }

    /**
     * Every certificate NSS lists with all tokens of its modules ({@code certutil -L -h all}), as a browser
     * sees them for client authentication: {@code u} in the trust column marks one with its private key.
     */
    public List<Listed> certificates(Path db) throws NssException {
        requireExists(db);
        String out = run(List.of(certutil, "-L", "-d", "sql:" + db, "-h", "all"));
        List<Listed> listed = new ArrayList<>();
        boolean body = false;
        for (String line : out.lines().toList()) {
            if (line.startsWith("Certificate Nickname")) {
                continue;
            }
            if (line.strip().startsWith("SSL,S/MIME")) {
                body = true;
                continue;
            }
            if (!body || line.isBlank()) {
                continue;
            }
            String trimmed = line.stripTrailing();
            int gap = trimmed.lastIndexOf(' ');
            if (gap > 0) {
                listed.add(new Listed(trimmed.substring(0, gap).strip(), trimmed.substring(gap + 1)));
            }
        }
        return listed;
    }

    /** Registers {@code library} under {@code name} ({@code modutil -add}); the database must exist. */
    public void add(Path db, String name, String library) throws NssException {
        requireExists(db);
        run(List.of(modutil, "-dbdir", "sql:" + db, "-add", name, "-libfile", library, "-force"));
    }

    /** Removes the module registered under {@code name} ({@code modutil -delete}). */
    public void delete(Path db, String name) throws NssException {
        requireExists(db);
        run(List.of(modutil, "-dbdir", "sql:" + db, "-delete", name, "-force"));
    }

    private static void requireExists(Path db) throws NssException {
        if (!exists(db)) {
            throw new NssException(NssException.Kind.MISSING, "no NSS database in " + db);
        }
    }

    private String run(List<String> command) throws NssException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new NssException(NssException.Kind.NO_TOOLS, command.getFirst() + ": " + e.getMessage());
        }
        try {
            byte[] bytes = p.getInputStream().readAllBytes();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new NssException(NssException.Kind.UNREADABLE, command.getFirst() + " did not finish in " + TIMEOUT_SECONDS + " s");
            }
            String out = new String(bytes, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                String why = out.lines().filter(l -> l.contains(":") && !l.startsWith("Error opening input terminal"))
                        .reduce((a, b) -> b).orElse(out.strip());
                boolean refused = why.contains("SEC_ERROR_BAD_DATABASE") || why.contains("SEC_ERROR_LEGACY_DATABASE")
                        || why.contains("SEC_ERROR_READ_ONLY") || why.contains("database is locked");
                throw new NssException(refused ? NssException.Kind.UNREADABLE : NssException.Kind.FAILED, Doctor.firstLine(why));
            }
            return out;
        } catch (IOException e) {
            throw new NssException(NssException.Kind.FAILED, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NssException(NssException.Kind.FAILED, "interrupted");
        }
    }
}
