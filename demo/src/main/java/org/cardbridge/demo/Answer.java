package org.cardbridge.demo;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/** Every answer the renewal service gives; the HTTP layer switches over these to build its JSON. */
public sealed interface Answer {
    /** The certificate may be renewed online (and the code, when one was given, is unused). */
    record Eligible(X509Certificate certificate, String subject, String keyAlgorithm, Instant notAfter) implements Answer {
    }

    /** The application document the user reads and signs; {@code document} is exactly what must be signed. */
    record Draft(byte[] document, List<String> statement) implements Answer {
    }

    /** A certificate ready to install, with the chain (issuing CA, root). */
    record Issued(X509Certificate certificate, List<X509Certificate> chain) implements Answer {
    }

    /** Application accepted; the certificate is valid from {@code availableFrom}: come back then. */
    record Scheduled(String applicationId, Instant availableFrom) implements Answer {
    }

    /** A later visit, too early: the certificate becomes available at {@code availableFrom}. */
    record Waiting(Instant availableFrom) implements Answer {
    }

    /** Nothing is known for that key. */
    record NotFound() implements Answer {
    }

    record Refused(Refusal reason, List<Object> args) implements Answer {
        public Refused {
            args = List.copyOf(args);
        }

        static Refused of(Refusal reason, Object... args) {
            return new Refused(reason, List.of(args));
        }
    }
}
