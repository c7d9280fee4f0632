package org.cardbridge.platform;

import java.util.Locale;

/** The operating systems CardBridge knows, with the one check that tells them apart. */
public enum Os {
    LINUX, MACOS, WINDOWS;

    public static Os current() {
        String name = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (name.contains("win")) {
            return WINDOWS;
        }
        if (name.contains("mac")) {
            return MACOS;
        }
        return LINUX;
    }
}
