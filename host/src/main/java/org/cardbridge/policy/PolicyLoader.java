package org.cardbridge.policy;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.protocol.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Finds and reads the policy file. The location is {@code $CARDBRIDGE_POLICY} when set (tests and the
 * demo), else the system location of the OS (see {@link #systemLocation()}). A missing file is an empty
 * policy; an unreadable or invalid one is also treated as empty — failing closed — and reported.
 */
public final class PolicyLoader {
    public static final String ENV = "CARDBRIDGE_POLICY";
    private static final Set<String> TOP = Set.of("origins", "modules", "extensionIds", "dialogTimeoutSeconds", "logLevel", "atrModules");
    private static final Set<String> ATR_MODULE = Set.of("name", "atr", "mask", "paths", "product");
    private static final Set<String> ENTRY = Set.of("origin", "allow", "renewalUrl", "issuers");

    /** What loading found: the policy in force and, when the file was bad, why it was ignored. */
    public record Loaded(Path path, Policy policy, String problem) {
    }

    private PolicyLoader() {
    }

    public static Path location() {
        String override = System.getenv(ENV);
        return override != null && !override.isBlank() ? Path.of(override) : systemLocation();
    }

    public static Path systemLocation() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.contains("win")) {
            String programData = System.getenv().getOrDefault("ProgramData", "C:\\ProgramData");
            return Path.of(programData, "CardBridge", "policy.json");
        }
        if (os.contains("mac")) {
            return Path.of("/Library/Application Support/CardBridge/policy.json");
        }
        return Path.of("/etc/cardbridge/policy.json");
    }

    /**
     * The policy in force. It decides which sites may sign and which PKCS#11 modules every user's host
     * loads, so a file another user could have written is ignored (see {@link #whyUntrusted}).
     */
    public static Loaded load() {
        Path path = location();
        String untrusted = whyUntrusted(path, trustedOwner());
        if (untrusted != null) {
            return new Loaded(path, Policy.empty(), "ignored: " + untrusted);
        }
        return load(path);
    }

    /** A file named explicitly (a package build's template, {@code install --policy}): read as it is. */
    public static Loaded load(Path path) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            return new Loaded(path, Policy.empty(), null);
        } catch (IOException e) {
            return new Loaded(path, Policy.empty(), "cannot read: " + e.getMessage());
        }
        try {
            return new Loaded(path, parse(Json.readFile(bytes)), null);
        } catch (IOException | IllegalArgumentException e) {
            return new Loaded(path, Policy.empty(), "ignored, invalid: " + e.getMessage());
        }
    }

    /**
     * Null when only an administrator (or whoever owns this installation of the host) can have written the
     * policy file and its folder; else why not. POSIX: owned by root or by {@code owner}, and writable by
     * nobody else. Windows: owned by a group (Administrators, SYSTEM, TrustedInstaller), not by a user —
     * %ProgramData% lets every user create folders and files, and a non-administrator who created
     * CardBridge's could otherwise allow any site to sign, or name a DLL every user's host would load.
     * A missing file is trusted: it is the empty policy.
     */
    static String whyUntrusted(Path file, Integer owner) {
        if (!Files.exists(file)) {
            return null;
        }
        for (Path p : new Path[]{file, file.toAbsolutePath().getParent()}) {
            if (p == null) {
                continue;
            }
            try {
                if (Files.getFileAttributeView(p, java.nio.file.attribute.PosixFileAttributeView.class) != null) {
                    var a = Files.readAttributes(p, "unix:uid,mode");
                    int uid = (Integer) a.get("uid");
                    int mode = (Integer) a.get("mode");
                    if (uid != 0 && (owner == null || uid != owner)) {
                        return p + " belongs to user id " + uid + ", not to root" + (owner != null ? " or the host's owner (" + owner + ")" : "");
                    }
                    // A sticky folder (like /tmp) lets others add files, not replace or change this one.
                    boolean sticky = (mode & 01000) != 0 && Files.isDirectory(p);
                    if ((mode & 0022) != 0 && !sticky) {
                        return p + " can be changed by other users (mode " + Integer.toOctalString(mode & 07777) + ")";
                    }
                } else if (!(Files.getOwner(p) instanceof java.nio.file.attribute.GroupPrincipal)) {
                    return p + " belongs to " + Files.getOwner(p).getName() + ", not to the administrators";
                }
            } catch (IOException | UnsupportedOperationException e) {
                return "cannot tell who owns " + p + ": " + e.getMessage();
            }
        }
        return null;
    }

    /** The user id owning this host's launcher (a developer's build, a per-user copy); null when unknown. */
    static Integer trustedOwner() {
        String exe = System.getProperty("cardbridge.executable");
        Path p = exe != null ? Path.of(exe) : Path.of(System.getProperty("user.home", "/"));
        try {
            return Files.getFileAttributeView(p, java.nio.file.attribute.PosixFileAttributeView.class) != null
                    ? (Integer) Files.getAttribute(p, "unix:uid") : null;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return null;
        }
    }

    static Policy parse(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("the policy must be a JSON object");
        }
        onlyFields(root, TOP, "policy");
        List<Policy.Entry> entries = new ArrayList<>();
        for (JsonNode e : array(root, "origins")) {
            if (!e.isObject()) {
                throw new IllegalArgumentException("each origins entry must be an object");
            }
            onlyFields(e, ENTRY, "origins entry");
            String originText = text(e, "origin", true);
            Origin origin;
            try {
                origin = Origin.parse(originText);
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("origin '" + originText + "': " + ex.getMessage());
            }
            if (!origin.isHttps() && !origin.isLoopback()) {
                throw new IllegalArgumentException("origin '" + originText + "': only https origins (or http loopback) may be listed");
            }
            EnumSet<OperationClass> allow = EnumSet.noneOf(OperationClass.class);
            for (JsonNode c : array(e, "allow")) {
                switch (c.asText()) {
                    case "read" -> allow.add(OperationClass.READ);
                    case "sign" -> allow.addAll(List.of(OperationClass.READ, OperationClass.SIGN));
                    case "enroll" -> allow.addAll(List.of(OperationClass.READ, OperationClass.ENROLL, OperationClass.PIN));
                    default -> throw new IllegalArgumentException("unknown class '" + c.asText() + "' (read, sign, enroll)");
                }
            }
            List<String> issuers = new ArrayList<>();
            array(e, "issuers").forEach(i -> issuers.add(i.asText()));
            entries.add(new Policy.Entry(origin, Set.copyOf(allow), text(e, "renewalUrl", false), List.copyOf(issuers)));
        }
        List<String> modules = new ArrayList<>();
        array(root, "modules").forEach(m -> modules.add(m.asText()));
        List<String> ids = new ArrayList<>();
        array(root, "extensionIds").forEach(m -> ids.add(m.asText()));
        Duration timeout = Policy.DEFAULT_DIALOG_TIMEOUT;
        JsonNode t = root.get("dialogTimeoutSeconds");
        if (t != null) {
            if (!t.isIntegralNumber() || t.asInt() < 5 || t.asInt() > 3600) {
                throw new IllegalArgumentException("dialogTimeoutSeconds must be an integer from 5 to 3600");
            }
            timeout = Duration.ofSeconds(t.asInt());
        }
        String level = root.has("logLevel") ? root.get("logLevel").asText() : "INFO";
        List<Policy.AtrModule> atrModules = new ArrayList<>();
        for (JsonNode m : array(root, "atrModules")) {
            atrModules.add(atrModule(m));
        }
        return new Policy(entries, modules, ids, timeout, level, atrModules);
    }

    /**
     * One {@code atrModules} entry. Checked as strictly as the rest: a typo here would silently send a card
     * to the wrong module, or to none.
     */
    static Policy.AtrModule atrModule(JsonNode m) {
        if (!m.isObject()) {
            throw new IllegalArgumentException("each atrModules entry must be an object");
        }
        onlyFields(m, ATR_MODULE, "atrModules entry");
        String name = text(m, "name", true).strip();
        String where = "atrModules entry '" + name + "': ";
        if (name.isEmpty()) {
            throw new IllegalArgumentException("an atrModules entry has an empty name");
        }
        String product = text(m, "product", true).strip();
        if (product.isEmpty()) {
            throw new IllegalArgumentException(where + "'product' (what to install for this card) is empty");
        }
        byte[] atr = hex(text(m, "atr", true), where + "atr");
        // ISO 7816-3: TS is 3B (direct) or 3F (inverse); TS + T0 at least, 33 bytes at most.
        if (atr.length < 2 || atr.length > 33 || (atr[0] != 0x3B && atr[0] != 0x3F)) {
            throw new IllegalArgumentException(where + "atr is not an ATR (2 to 33 bytes starting with 3B or 3F)");
        }
        String maskText = text(m, "mask", false);
        byte[] mask;
        if (maskText == null) {
            mask = new byte[atr.length];
            java.util.Arrays.fill(mask, (byte) 0xFF);
        } else {
            mask = hex(maskText, where + "mask");
            if (mask.length != atr.length) {
                throw new IllegalArgumentException(where + "mask has " + mask.length + " bytes, atr " + atr.length);
            }
        }
        List<String> paths = new ArrayList<>();
        for (JsonNode p : array(m, "paths")) {
            if (!p.isTextual() || !Path.of(p.textValue()).isAbsolute()) {
                throw new IllegalArgumentException(where + "each path must be an absolute file name, not " + p);
            }
            paths.add(p.textValue());
        }
        if (paths.isEmpty()) {
            throw new IllegalArgumentException(where + "'paths' lists no module file");
        }
        return new Policy.AtrModule(name, atr, mask, paths, product);
    }

    /** Hex as smartcard_list.txt and pcsc_scan print it: spaces or colons between bytes allowed. */
    private static byte[] hex(String text, String what) {
        String digits = text.replace(" ", "").replace(":", "");
        try {
            return java.util.HexFormat.of().parseHex(digits);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " is not hex bytes: '" + text + "'");
        }
    }

    private static void onlyFields(JsonNode node, Set<String> allowed, String where) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                throw new IllegalArgumentException("unknown field '" + name + "' in " + where);
            }
        }
    }

    private static Iterable<JsonNode> array(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null) {
            return List.of();
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException("'" + field + "' must be a list");
        }
        return v;
    }

    private static String text(JsonNode node, String field, boolean required) {
        JsonNode v = node.get(field);
        if (v == null && !required) {
            return null;
        }
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("'" + field + "' must be a string");
        }
        return v.textValue();
    }
}
