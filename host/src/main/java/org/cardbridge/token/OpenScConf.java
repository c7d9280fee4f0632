package org.cardbridge.token;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one setting of OpenSC's configuration the host must know before it opens a window: how OpenSC lets a
 * PUK unblock the user PIN ({@code user_pin_unblock_style}; OpenSC's default is {@code none}, with which no
 * PKCS#11 call unblocks). Read from the file OpenSC itself reads: {@code OPENSC_CONF}, else the usual
 * system paths (Debian's {@code /etc/opensc/opensc.conf}). Only that key is looked for, comments left out,
 * the last value winning as in OpenSC's own reading; an unreadable or missing file means {@code none}.
 */
public final class OpenScConf {
    private static final Pattern UNBLOCK_STYLE = Pattern.compile("\\buser_pin_unblock_style\\s*=\\s*\"?([A-Za-z_]+)\"?\\s*;");
    private static final List<Path> SYSTEM = List.of(Path.of("/etc/opensc/opensc.conf"), Path.of("/etc/opensc.conf"),
            Path.of("/usr/local/etc/opensc.conf"), Path.of("/opt/homebrew/etc/opensc.conf"));

    private OpenScConf() {
    }

    /** Whether {@code library} is OpenSC's PKCS#11 module (the setting applies to no other). */
    public static boolean isOpenSc(String library) {
        return library.contains("opensc-pkcs11");
    }

    /** {@code user_pin_unblock_style} as OpenSC would read it now: "none" when not set or not readable. */
    public static String unblockStyle() {
        String env = System.getenv("OPENSC_CONF");
        List<Path> candidates = env != null && !env.isBlank() ? List.of(Path.of(env)) : SYSTEM;
        for (Path p : candidates) {
            if (Files.isRegularFile(p)) {
                try {
                    return unblockStyle(Files.readString(p));
                } catch (IOException | RuntimeException e) {
                    return "none";
                }
            }
        }
        return "none";
    }

    /** The style a configuration's text sets ("none" when it sets none). */
    static String unblockStyle(String conf) {
        String style = "none";
        for (String line : conf.split("\n")) {
            int hash = line.indexOf('#');
            Matcher m = UNBLOCK_STYLE.matcher(hash >= 0 ? line.substring(0, hash) : line);
            while (m.find()) {
                style = m.group(1);
            }
        }
        return style;
    }
}
