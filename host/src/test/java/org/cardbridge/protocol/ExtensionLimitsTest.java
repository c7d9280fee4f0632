package org.cardbridge.protocol;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The extension answers a request past the host's limits itself instead of sending it (a frame over the
 * cap ends the host, one nested too deep is refused without an id): its copies of the limits in
 * extension/background/native.js must be the host's.
 */
class ExtensionLimitsTest {
    private static final Path NATIVE_JS = Path.of("..", "extension", "background", "native.js");

    @Test
    void frameCapInNativeJs_equalsFrameReaderDefault() throws IOException {
        assertEquals(FrameReader.DEFAULT_MAX_INCOMING, jsConstant("HOST_MAX_FRAME_BYTES"));
    }

    @Test
    void depthLimitInNativeJs_equalsJsonMaxDepth() throws IOException {
        assertEquals(Json.MAX_DEPTH, jsConstant("HOST_MAX_JSON_DEPTH"));
    }

    /** {@code export const NAME = <integer or product of integers>;} */
    private static long jsConstant(String name) throws IOException {
        Matcher m = Pattern.compile("export const " + name + " = ([0-9_ *]+);").matcher(Files.readString(NATIVE_JS));
        assertTrue(m.find(), name + " is not an integer constant in " + NATIVE_JS);
        long value = 1;
        for (String factor : m.group(1).split("\\*")) {
            value *= Long.parseLong(factor.strip().replace("_", ""));
        }
        return value;
    }
}
