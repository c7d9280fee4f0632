package org.cardbridge.log;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogSetupTest {
    @TempDir
    Path dir;

    @AfterEach
    void reset() {
        LogManager.getLogManager().reset();
    }

    @Test
    void configure_writesToARotatingFileInTheStateDirectory_andNotTheConsole() throws Exception {
        LogSetup.configure(dir, "INFO");
        Logger.getLogger("org.cardbridge.test").info("started");
        Logger.getLogger("org.cardbridge.test").fine("too detailed");
        for (Handler h : Logger.getLogger("").getHandlers()) {
            h.flush();
            assertFalse(h instanceof java.util.logging.ConsoleHandler, "no console handler: stdout/stderr stay clean");
        }
        String log = Files.readString(dir.resolve("host.0.log"));
        assertTrue(log.contains("INFO org.cardbridge.test: started"), log);
        assertFalse(log.contains("too detailed"), "below the configured level");
    }

    @Test
    void parseLevel_unknownText_fallsBackToInfo() {
        assertEquals(Level.FINE, LogSetup.parseLevel("fine"));
        assertEquals(Level.INFO, LogSetup.parseLevel("loud"));
    }
}
