package org.cardbridge.protocol;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The closed set of codes is documented: every code has its row in docs/protocol.md. */
class ErrorCodeDocsTest {
    @Test
    void everyErrorCode_isDocumented() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "protocol.md"));
        for (ErrorCode code : ErrorCode.values()) {
            assertTrue(doc.contains("| `" + code.name() + "` |"), code + " has no row in docs/protocol.md");
        }
    }
}
