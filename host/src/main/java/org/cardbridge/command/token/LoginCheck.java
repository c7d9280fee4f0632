package org.cardbridge.command.token;

import org.cardbridge.install.ClientAuth;
import org.cardbridge.install.Roots;
import org.cardbridge.log.Log;
import org.cardbridge.platform.Os;

import java.util.Optional;

/**
 * Issue 16: whether the browser that started the host is expected to offer a certificate of a card's
 * module for logging in to web sites now (TLS client authentication) — doctor's check,
 * {@link ClientAuth#usableForLogin}. {@code installCertificate} answers it for the new certificate and
 * {@code listCertificates {withLoginCheck: true}} for the card; both through this one interface, so a test
 * can give its own.
 */
@FunctionalInterface
public interface LoginCheck {
    /** Empty when it cannot be told (not Linux, an unknown browser, an NSS database that cannot be read). */
    Optional<Boolean> usableForLogin(String library);

    /**
     * The real machine's: the browser told by this process's command line, its NSS database read with NSS's
     * {@code modutil} (a process per database, so only when asked). Never throws: a failure is "unknown".
     */
    static LoginCheck real() {
        return library -> {
            try {
                return ClientAuth.startedBy().flatMap(b -> ClientAuth.real(Roots.real(), Os.current(), null)
                        .usableForLogin(b, library));
            } catch (RuntimeException e) {
                Log.get(LoginCheck.class).warning("cannot tell whether the browser offers the card for login: " + e.getMessage());
                return Optional.empty();
            }
        };
    }
}
