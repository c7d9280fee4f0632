package org.cardbridge.watch;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import org.cardbridge.protocol.OmitNullFields;
import org.cardbridge.protocol.Wire;

/**
 * What the reader watcher tells a subscribed connection; each record is the {@code data} of one
 * {@code event} message and {@link #name()} its {@code event} name (see docs/protocol.md).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface ReaderEvent extends OmitNullFields {
    @JsonIgnore
    String name();

    record ReaderAdded(String reader) implements ReaderEvent {
        @Override
        public String name() {
            return "readerAdded";
        }
    }

    record ReaderRemoved(String reader) implements ReaderEvent {
        @Override
        public String name() {
            return "readerRemoved";
        }
    }

    /**
     * A card (or a token without PC/SC) appeared. {@code atr} is upper-case hex without separators, absent
     * when the card could not be read (mute, held exclusively, PKCS#11-only token); {@code module} is the
     * PKCS#11 module the ATR map names for this OS; {@code moduleMatched} false means no entry knew the ATR,
     * so the extension offers the user a ready-made report.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record TokenInserted(String reader, @Wire.Nullable String token, @Wire.Nullable String atr, @Wire.Nullable String module,
                         boolean moduleMatched)
            implements ReaderEvent {
        @Override
        public String name() {
            return "tokenInserted";
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record TokenRemoved(String reader, @Wire.Nullable String token) implements ReaderEvent {
        @Override
        public String name() {
            return "tokenRemoved";
        }
    }
}
