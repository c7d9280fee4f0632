package org.cardbridge.protocol;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What a result record's component means on the wire beyond its Java type. Result and event records are
 * the one definition of each message's shape: the page API's types ({@code extension/api/cardbridge.d.ts})
 * and the result tables of {@code docs/protocol.md} are generated from them by {@code ProtocolTypes}
 * (a test keeps the committed files equal to what it generates). These annotations are read only there,
 * never at run time: the host's {@link JsonWriter} does not look at annotations.
 */
public final class Wire {
    private Wire() {
    }

    /**
     * The host may send {@code null} for this component (the page sees {@code T | null}). Components without
     * it are never null. (In an {@link OmitNullFields} record a null component is left out instead, so every
     * reference component there is optional and needs no mark.)
     */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.RECORD_COMPONENT)
    public @interface Nullable {
    }

    /**
     * A string (or list of strings) that is always one of the wire names of {@code value}'s constants (their
     * {@code wireName()}, else their {@code name()}).
     */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.RECORD_COMPONENT)
    public @interface OneOf {
        Class<? extends Enum<?>> value();
    }

    /** A string (or list of strings) that is always one of these. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.RECORD_COMPONENT)
    public @interface Literals {
        String[] value();
    }
}
