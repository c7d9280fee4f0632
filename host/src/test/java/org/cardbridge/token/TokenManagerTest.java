package org.cardbridge.token;

import org.cardbridge.platform.Os;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.testing.SoftHsm2;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Module discovery: several modules at once, one file under two names loaded once, the ATR map. */
class TokenManagerTest {
    private static final String OPENSC = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";
    private static final String OPENSC_LINK = "/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so";

    @Test
    void severalModules_areLoadedTogether_andTheSameFileUnderTwoNamesOnce() {
        assumeTrue(Files.isRegularFile(Path.of(OPENSC)) && Files.exists(Path.of(OPENSC_LINK)), "Debian's opensc package");
        SoftHsm2.inProcess();
        try (TokenManager tokens = new TokenManager(List.of(SoftHsm2.MODULE, OPENSC, OPENSC_LINK), WrapperPkcs11::load)) {
            List<Pkcs11> modules = tokens.modules();
            assertEquals(2, modules.size(), "SoftHSM2 and OpenSC, OpenSC once");
            assertTrue(tokens.slots().stream().anyMatch(s -> s.module().equals(SoftHsm2.MODULE) && s.token() != null));
        }
    }

    /** A policy naming a link to a module the host also finds by its own path: loaded once, on every request. */
    @Test
    void linkAndTheFileItNames_areOneModule_onTheSecondRequestToo(@TempDir Path dir) throws Exception {
        SoftHsm2.inProcess();
        Path link = Files.createSymbolicLink(dir.resolve("libsofthsm2-link.so"), Path.of(SoftHsm2.MODULE));
        try (TokenManager tokens = new TokenManager(List.of(link.toString(), SoftHsm2.MODULE), WrapperPkcs11::load)) {
            int first = tokens.slots().size();
            assertTrue(first > 0);
            assertEquals(first, tokens.slots().size(), "the second request lists every slot once");
            assertEquals(first, tokens.slots().size());
            assertEquals(1, tokens.modules().size());
        }
    }

    /** The PC/SC probe decides only between "no card" and "held by another program"; a listed card is never refused. */
    @Test
    void readerHeldByAnotherProgram_turnsTokenNotFoundIntoTokenBusy_butNeverHidesAUsableCard() {
        SoftHsm2.inProcess();
        List<Boolean> asked = new java.util.ArrayList<>();
        try (TokenManager tokens = new TokenManager(List.of(SoftHsm2.MODULE), WrapperPkcs11::load).withReaderProbe(() -> {
            asked.add(true);
            return List.of("Reader 1");
        })) {
            tokens.failIfOnlyBusy(tokens.slots());
            assertTrue(asked.isEmpty(), "not asked while a card is usable");
            HostException busy = assertThrows(HostException.class, () -> tokens.open("tNoSuchToken"));
            assertEquals(ErrorCode.TOKEN_BUSY, busy.code());
            assertEquals(List.of("Reader 1"), busy.details().get("readers"));
            assertThrows(HostException.class, () -> tokens.failIfOnlyBusy(List.of()));
        }
        try (TokenManager tokens = new TokenManager(List.of(SoftHsm2.MODULE), WrapperPkcs11::load)) {
            assertEquals(ErrorCode.TOKEN_NOT_FOUND, assertThrows(HostException.class, () -> tokens.open("tNoSuchToken")).code());
        }
    }

    @Test
    void atrMap_matchesWithItsMask_andKnowsOpenScPerOs() {
        AtrModuleMap linux = AtrModuleMap.load(Os.LINUX);
        byte[] yubikey = HexFormat.of().parseHex("3BFD1300008131FE158073C021C057597562694B657940");
        assertEquals("YubiKey (ykcs11)", linux.match(yubikey).getFirst().name());
        yubikey[5] ^= 0x01;
        assertTrue(linux.match(yubikey).isEmpty(), "a masked byte differs");
        assertTrue(linux.match(HexFormat.of().parseHex("3B00")).isEmpty());
        assertTrue(linux.defaultPaths().contains(OPENSC));
        assertTrue(AtrModuleMap.load(Os.WINDOWS).defaultPaths().stream().allMatch(p -> p.endsWith(".dll")));
        assertTrue(AtrModuleMap.load(Os.MACOS).vendorPaths().stream().noneMatch(p -> p.endsWith(".dll")));
        assertFalse(linux.vendorPaths().contains(OPENSC));
    }

    @Test
    void moduleNames_inHandles_ignoreDirectoryPrefixAndExtension() {
        assertEquals("softhsm2", Handles.moduleName("/usr/lib/softhsm/libsofthsm2.so"));
        assertEquals("opensc-pkcs11", Handles.moduleName("C:\\\\Windows\\\\System32\\\\opensc-pkcs11.dll".replace("\\\\", "/")));
        assertEquals("ykcs11", Handles.moduleName("/opt/homebrew/lib/libykcs11.dylib"));
    }
}
