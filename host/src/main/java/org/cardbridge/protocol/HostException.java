package org.cardbridge.protocol;

import java.util.Map;
import java.util.Objects;

/**
 * A failure with a code from the closed set. The message is for developers (English); the page
 * library localises by code. Details are JSON-serialisable values and must never hold secrets.
 */
public final class HostException extends RuntimeException {
    private final ErrorCode code;
    private final Map<String, Object> details;

    public HostException(ErrorCode code, String message) {
        this(code, message, Map.of(), null);
    }

    public HostException(ErrorCode code, String message, Map<String, Object> details) {
        this(code, message, details, null);
    }

    public HostException(ErrorCode code, String message, Map<String, Object> details, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code);
        this.details = Map.copyOf(details);
    }

    public ErrorCode code() {
        return code;
    }

    public Map<String, Object> details() {
        return details;
    }

    public static HostException invalidArgument(String field, String problem) {
        return new HostException(ErrorCode.INVALID_ARGUMENT, field + ": " + problem, Map.of("field", field));
    }
}
