package org.cardbridge.policy;

import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.protocol.Lang;
import org.cardbridge.ui.UserInterface;

import java.util.Map;
import java.util.function.Supplier;

/**
 * The one place that decides whether an origin may run an operation. The origin comes from the
 * browser (the extension's background stamps it from sender data), never from the page's own words.
 *
 * <ul>
 *   <li>Only canonical {@code https://host[:port]} origins; {@code http://localhost} and
 *       {@code http://127.0.0.1} only when the policy lists that exact origin.</li>
 *   <li>Listed origins get the classes the policy gives them.</li>
 *   <li>Unlisted https origins may {@code read} after the user consents in a native dialog (remembered
 *       when the user ticks it); they never get {@code sign} or {@code enroll}.</li>
 *   <li>{@code cardbridge:extension}, the extension's own popup, may {@code read}, and change or unblock the
 *       PIN ({@code pin}) of the person's own card in the host's window; it never signs or enrolls.</li>
 * </ul>
 */
public final class OriginPolicy {
    private final Policy policy;
    private final ConsentStore consents;
    private final Supplier<UserInterface> ui;

    public OriginPolicy(Policy policy, ConsentStore consents, Supplier<UserInterface> ui) {
        this.policy = policy;
        this.consents = consents;
        this.ui = ui;
    }

    public Policy policy() {
        return policy;
    }

    /** Parses the browser-reported origin; a malformed one is ORIGIN_NOT_ALLOWED. */
    public static Origin parse(String reported) {
        try {
            return Origin.parse(reported);
        } catch (IllegalArgumentException e) {
            throw new HostException(ErrorCode.ORIGIN_NOT_ALLOWED, "'" + reported + "' is not a web origin: " + e.getMessage(),
                    Map.of("origin", String.valueOf(reported)));
        }
    }

    /**
     * What can be decided without asking the user: throws ORIGIN_NOT_ALLOWED when the origin can never
     * get {@code needed}; returns true when it is allowed outright, false when only the user's read
     * consent can allow it. The dispatcher calls this before it even parses the parameters, so a page
     * that may not do something cannot make the host do any work for it.
     */
    public boolean precheck(String reported, OperationClass needed) {
        Origin origin = parse(reported);
        if (needed == OperationClass.NONE) {
            return true;
        }
        if (needed == OperationClass.EXTENSION) {
            if (origin.isExtension()) {
                return true;
            }
            throw refuse(origin, needed, "only the extension's own pages may ask this");
        }
        if (origin.isExtension()) {
            // The extension's own UI lists cards and certificates and lets the person manage the PIN of their
            // card (typed in the host's window, never in the popup); it never signs or enrolls.
            if (needed == OperationClass.READ || needed == OperationClass.PIN) {
                return true;
            }
            throw refuse(origin, needed, "the extension's own pages may only read and manage the PIN");
        }
        var entry = policy.entryFor(origin);
        if (!origin.isHttps() && entry.isEmpty()) {
            throw refuse(origin, needed, "only https pages may use cards");
        }
        if (entry.isPresent()) {
            if (entry.get().allow().contains(needed)) {
                return true;
            }
            throw refuse(origin, needed, "the policy does not allow " + name(needed) + " for this origin");
        }
        if (needed != OperationClass.READ) {
            throw refuse(origin, needed, name(needed) + " needs the origin in the administrator's policy");
        }
        return consents.allowsRead(origin);
    }

    /** Returns the checked origin, or throws ORIGIN_NOT_ALLOWED / USER_CANCELLED / USER_TIMEOUT. */
    public Origin authorize(String reported, OperationClass needed, Lang lang) {
        Origin origin = parse(reported);
        if (precheck(reported, needed)) {
            return origin;
        }
        UserInterface.ReadConsent answer = ui.get().askReadConsent(origin, lang, policy.dialogTimeout());
        if (!answer.granted()) {
            throw refuse(origin, needed, "the user did not allow this origin");
        }
        if (answer.remember()) {
            consents.rememberRead(origin);
        }
        return origin;
    }

    private static HostException refuse(Origin origin, OperationClass needed, String why) {
        return new HostException(ErrorCode.ORIGIN_NOT_ALLOWED, origin + ": " + why,
                Map.of("origin", origin.toString(), "operationClass", name(needed)));
    }

    private static String name(OperationClass c) {
        return c.name().toLowerCase(java.util.Locale.ROOT);
    }
}
