package org.cardbridge.protocol;

/**
 * Marks a record whose null components are left out of its JSON rather than written as {@code null}: what
 * Jackson's {@code @JsonInclude(NON_NULL)} says to Jackson, said to {@link JsonWriter} without reading
 * annotations (reading one at run time generates a proxy class, tens of milliseconds before a browser's
 * first card answer). A record that carries the annotation carries this too; {@code ResultJsonTest}
 * compares both writers on every result type, so the two cannot drift apart.
 */
public interface OmitNullFields {
}
