package org.cardbridge.install;

import org.cardbridge.platform.Os;
import org.cardbridge.policy.PolicyLoader;
import org.cardbridge.protocol.Lang;
import org.cardbridge.testing.SoftHsm2;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Policy and PKCS#11 checks with real files and real modules (SoftHSM2, and a library that is not PKCS#11). */
class SystemChecksTest {
    static final Path SOFTHSM = Path.of("/usr/lib/softhsm/libsofthsm2.so");
    static final Path NOT_PKCS11 = Path.of("/usr/lib/x86_64-linux-gnu/libpcsclite.so.1");
    @TempDir
    Path tmp;

    SystemChecks checks() {
        return new SystemChecks(Roots.of(tmp.resolve("home"), tmp.resolve("sys")), Os.LINUX, new DoctorTexts(Lang.EN));
    }

    @Test
    void policyFileStates() throws IOException {
        Path p = tmp.resolve("policy.json");
        assertEquals("doctor.policyNone", checks().policy(PolicyLoader.load(p)).getFirst().code());
        Files.writeString(p, "{\"origins\":[{\"origin\":\"https://ca.example\",\"allow\":[\"enroll\"]}]}");
        Finding ok = checks().policy(PolicyLoader.load(p)).getFirst();
        assertEquals(Finding.Status.OK, ok.status());
        assertEquals("policy file " + p + ": 1 origin(s) listed", ok.message());
        Files.writeString(p, "{\"origins\":[{\"origin\":\"http://ca.example\",\"allow\":[\"enroll\"]}]}");
        Finding bad = checks().policy(PolicyLoader.load(p)).getFirst();
        assertEquals("doctor.policyBad", bad.code());
        assertTrue(bad.message().contains("only https origins"), bad.message());
        assertTrue(bad.fix().startsWith("correct " + p), bad.fix());
    }

    @Test
    void policyExtensionIdsOfNeitherFormAreNamed() throws IOException {
        Path p = tmp.resolve("policy.json");
        Files.writeString(p, "{\"extensionIds\": [\"abcdefghijklmnopabcdefghijklmnop\", \"cardbridge@ca.example\", \"cardbridge-ca\"]}");
        List<Finding> found = checks().policy(PolicyLoader.load(p));
        assertEquals(List.of("doctor.policyOk", "doctor.policyIdUnknown"), found.stream().map(Finding::code).toList(), found::toString);
        assertEquals(Finding.Status.WARN, found.get(1).status());
        assertTrue(found.get(1).message().startsWith("policy file " + p + " lists the extension id \"cardbridge-ca\", which is neither"), found.get(1).message());
        assertEquals("correct \"extensionIds\" in " + p, found.get(1).fix());
    }

    @Test
    void noModuleAtAllIsBroken() {
        Finding f = checks().modules(List.of(), tmp.resolve("policy.json")).getFirst();
        assertEquals("doctor.noModule", f.code());
        assertEquals("install OpenSC: sudo apt install opensc-pkcs11", f.fix());
    }

    @Test
    void policyModulesMustExistAndLoad() {
        assumeTrue(Files.exists(SOFTHSM) && Files.exists(NOT_PKCS11), "softhsm2 and libpcsclite1 are installed by .ci/setup.sh");
        SoftHsm2.inProcess(); // this fork's SoftHSM2 store (SOFTHSM2_CONF), with its tokens
        List<Finding> found = checks().modules(List.of(SOFTHSM.toString(), NOT_PKCS11.toString(), "/nowhere/p11.so"), tmp.resolve("policy.json"));
        assertEquals(List.of("doctor.moduleMissing", "doctor.moduleOk", "doctor.moduleLoad"), found.stream().map(Finding::code).toList(), found::toString);
        assertTrue(found.get(1).message().startsWith("PKCS#11 module " + SOFTHSM + " loads; tokens present: "), found.get(1).message());
        assertTrue(found.get(2).message().startsWith("PKCS#11 module " + NOT_PKCS11 + " does not load"), found.get(2).message());
    }
}
