package org.cardbridge.policy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The administrator's policy: which origins may do what, extra PKCS#11 modules, extra extension ids
 * (a CA's branded build), how long dialogs wait for the user, and ATR → module entries that add to or replace
 * the host's own map (a new card or a vendor's new install path without a host release).
 */
public record Policy(List<Entry> origins, List<String> modules, List<String> extraExtensionIds,
                     Duration dialogTimeout, String logLevel, List<AtrModule> atrModules) {

    public static final Duration DEFAULT_DIALOG_TIMEOUT = Duration.ofSeconds(120);

    /** One allowed origin; {@code renewalUrl} is where the extension sends a user whose certificate expires. */
    public record Entry(Origin origin, Set<OperationClass> allow, String renewalUrl, List<String> issuers) {
    }

    /**
     * One {@code atrModules} entry, validated by {@link PolicyLoader}: cards whose ATR agrees with {@code atr}
     * on every bit set in {@code mask} use the module at the first existing path; {@code product} is what a
     * person installs to get it. An entry named like one of the host's map replaces that one.
     */
    public record AtrModule(String name, byte[] atr, byte[] mask, List<String> paths, String product) {
        public AtrModule {
            atr = atr.clone();
            mask = mask.clone();
            paths = List.copyOf(paths);
        }

        @Override
        public byte[] atr() {
            return atr.clone();
        }

        @Override
        public byte[] mask() {
            return mask.clone();
        }
    }

    public Policy {
        origins = List.copyOf(origins);
        modules = List.copyOf(modules);
        extraExtensionIds = List.copyOf(extraExtensionIds);
        atrModules = List.copyOf(atrModules);
    }

    public Policy(List<Entry> origins, List<String> modules, List<String> extraExtensionIds,
                  Duration dialogTimeout, String logLevel) {
        this(origins, modules, extraExtensionIds, dialogTimeout, logLevel, List.of());
    }

    public static Policy empty() {
        return new Policy(List.of(), List.of(), List.of(), DEFAULT_DIALOG_TIMEOUT, "INFO");
    }

    public Optional<Entry> entryFor(Origin origin) {
        return origins.stream().filter(e -> e.origin().equals(origin)).findFirst();
    }
}
