package org.cardbridge.policy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The administrator's policy: which origins may do what, extra PKCS#11 modules, extra extension ids
 * (a CA's branded build) and how long dialogs wait for the user.
 */
public record Policy(List<Entry> origins, List<String> modules, List<String> extraExtensionIds,
                     Duration dialogTimeout, String logLevel) {

    public static final Duration DEFAULT_DIALOG_TIMEOUT = Duration.ofSeconds(120);

    /** One allowed origin; {@code renewalUrl} is where the extension sends a user whose certificate expires. */
    public record Entry(Origin origin, Set<OperationClass> allow, String renewalUrl, List<String> issuers) {
    }

    public Policy {
        origins = List.copyOf(origins);
        modules = List.copyOf(modules);
        extraExtensionIds = List.copyOf(extraExtensionIds);
    }

    public static Policy empty() {
        return new Policy(List.of(), List.of(), List.of(), DEFAULT_DIALOG_TIMEOUT, "INFO");
    }

    public Optional<Entry> entryFor(Origin origin) {
        return origins.stream().filter(e -> e.origin().equals(origin)).findFirst();
    }
}
