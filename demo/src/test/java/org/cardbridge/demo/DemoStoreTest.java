package org.cardbridge.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DemoStoreTest {
    @TempDir
    Path dir;

    @Test
    void update_writesTheWholeStateOwnerOnlyAndLeavesNoTemporaryFile() throws Exception {
        Path file = dir.resolve("sub/state.json");
        DemoStore s = DemoStore.open(file);
        for (int i = 0; i < 5; i++) {
            String code = "C" + i;
            s.update(st -> new DemoStore.Change<>(st.withCode(new DemoStore.Code(code, Instant.EPOCH.toString(), null, null)), null));
        }
        assertEquals(5, DemoStore.open(file).read().codes().size());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        try (Stream<Path> files = Files.list(file.getParent())) {
            assertEquals(1, files.count(), "only the state file remains");
        }
    }

    @Test
    void update_functionThatFails_leavesStateAndFileUnchanged() {
        Path file = dir.resolve("state.json");
        DemoStore s = DemoStore.open(file);
        s.update(st -> new DemoStore.Change<>(st.withClockOffset(60), null));
        DemoStore.State before = s.read();
        assertThrows(IllegalStateException.class, () -> s.update(st -> {
            throw new IllegalStateException("boom");
        }));
        assertSame(before, s.read());
        assertEquals(60, DemoStore.open(file).read().clockOffsetSeconds());
    }

    @Test
    void open_missingFile_isEmptyState() {
        DemoStore s = DemoStore.open(dir.resolve("none.json"));
        assertNull(s.read().ca());
        assertEquals(0, s.read().codes().size());
    }
}
