package org.cardbridge.token;

import org.cardbridge.install.DoctorTexts;
import org.cardbridge.install.Finding;
import org.cardbridge.install.Roots;
import org.cardbridge.install.SystemChecks;
import org.cardbridge.platform.Os;
import org.cardbridge.policy.Policy;
import org.cardbridge.policy.PolicyLoader;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.protocol.Lang;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.vcard.AtrCard;
import org.cardbridge.testing.vcard.IsoAppletCard;
import org.cardbridge.testing.vcard.Tool;
import org.cardbridge.testing.vcard.Pcscd;
import org.cardbridge.testing.vcard.VirtualCards;
import org.cardbridge.testing.vcard.VpcdCard;
import org.cardbridge.watch.PcscCards;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Module selection by a real ATR: the fork's private pcscd with a vpcd reader whose virtual card answers
 * with cryptoCertum 3.5's ATR (smartcard_list.txt: "Karta kryptograficzna cryptoCertum 3.5 (PKI)"), read
 * through javax.smartcardio as the host reads it, and a copy of SoftHSM2 standing in for Certum's module.
 *
 * <p>The copy is named by the policy's {@code atrModules}, not written to Certum's own path
 * (/opt/proCertumSmartSign/libcryptoCertum3PKCS.so): this machine runs other sessions' tests at once, and a
 * module at a vendor path would be loaded by their hosts and doctors too. The policy path is the update
 * path an administrator uses, and the entry replaces the map's Certum entry whole, so the same lookup runs.
 */
class AtrSelectionTest {
    private static final String CRYPTO_CERTUM_35 = AtrModuleMapTest.CRYPTO_CERTUM_35;
    /** vpcd reader 1: reader 0 is VirtualCards' (other tests of this fork may have a card in it). */
    private static final int READER = 1;

    @BeforeEach
    void realParts() {
        // Under CI a missing pcscd, vpcd or OpenSC is a failure, not a skip.
        if (!"true".equals(System.getenv("CI"))) {
            assumeTrue(VirtualCards.available(), "pcscd, vsmartcard-vpcd and OpenSC");
        }
    }

    private static Path policy(Path dir, String modulePath) throws Exception {
        Path file = dir.resolve("policy.json");
        Files.writeString(file, """
                {"atrModules": [{"name": "Certum cryptoCertum", "product": "proCertum CardManager (Certum)",
                  "atr": "3B DD 96 FF 81 31 FE 45 80 59 5F 53 74 64 5F 49 6E 69 74 81 05 9B",
                  "paths": ["%s"]}]}
                """.formatted(modulePath));
        return file;
    }

    private static Policy load(Path file) {
        PolicyLoader.Loaded loaded = PolicyLoader.load(file);
        assertEquals(null, loaded.problem());
        return loaded.policy();
    }

    @Test
    void cryptoCertumAtr_inAReader_loadsTheMappedModule_andListsItsTokens(@TempDir Path dir) throws Exception {
        Pcscd pcscd = VirtualCards.inProcess().pcscd();
        SoftHsm2.inProcess();
        Path vendor = Files.createDirectories(dir.resolve("proCertumSmartSign")).resolve("libcryptoCertum3PKCS.so");
        Files.copy(Path.of(SoftHsm2.MODULE), vendor);
        Policy policy = load(policy(dir, vendor.toString()));
        try (VpcdCard card = new VpcdCard(pcscd.port(READER), AtrCard.of(CRYPTO_CERTUM_35))) {
            try (TokenManager before = TokenManager.standard(policy, PcscCards::present)) {
                before.slots();
                assertFalse(libraries(before).contains(vendor.toString()), "no card with its ATR, no vendor module");
            }
            card.insert();
            Optional<List<TokenManager.CardInReader>> seen = PcscCards.present();
            assertTrue(seen.orElseThrow().stream().anyMatch(c -> c.reader().equals(pcscd.readerName(READER))
                    && java.util.HexFormat.of().withUpperCase().formatHex(c.atr()).equals(CRYPTO_CERTUM_35)), "PC/SC reads the ATR");
            try (TokenManager tokens = TokenManager.standard(policy, PcscCards::present)) {
                List<TokenManager.Slot> slots = tokens.slots();
                assertTrue(libraries(tokens).contains(vendor.toString()), "the mapped module is loaded: " + libraries(tokens));
                assertTrue(slots.stream().anyMatch(s -> s.module().equals(vendor.toString()) && s.token() != null),
                        "its tokens are listed under it");
            }
        }
    }

    @Test
    void cryptoCertumAtr_onACardOpenScAlsoReads_isOneToken_theVendorModules(@TempDir Path dir) throws Exception {
        VirtualCards cards = VirtualCards.inProcess();
        Pcscd pcscd = cards.pcscd();
        SoftHsm2.inProcess();
        Path vendor = Files.createDirectories(dir.resolve("proCertumSmartSign")).resolve("libcryptoCertum3PKCS.so");
        Files.copy(Path.of(SoftHsm2.MODULE), vendor);
        Policy policy = load(policy(dir, vendor.toString()));
        String reader = pcscd.readerName(READER);
        // An IsoApplet card OpenSC personalises and reads, answering with cryptoCertum 3.5's ATR.
        try (VpcdCard card = new VpcdCard(pcscd.port(READER), new IsoAppletCard(CRYPTO_CERTUM_35))) {
            card.insert();
            Tool.run(cards.environment(), "pkcs15-init", "--reader", String.valueOf(READER), "--create-pkcs15",
                    "--so-pin", VirtualCards.PIN, "--so-puk", VirtualCards.PUK, "--serial", "CB00000000000035",
                    "--label", "Certum 3.5").ok();
            card.remove();
            card.insert();
            try (TokenManager openScOnly = new TokenManager(() -> List.of(Tool.OPENSC_PKCS11), WrapperPkcs11::load,
                    AtrModuleMap::empty, PcscCards::present)) {
                assertTrue(openScOnly.slots().stream().anyMatch(s -> s.readerName().strip().equals(reader) && s.token() != null),
                        "without a mapped module OpenSC serves the card");
            }
            try (TokenManager tokens = new TokenManager(() -> List.of(Tool.OPENSC_PKCS11), WrapperPkcs11::load,
                    () -> AtrModuleMap.current().with(policy.atrModules()), PcscCards::present)) {
                List<TokenManager.Slot> slots = tokens.slots();
                assertTrue(slots.stream().noneMatch(s -> s.module().equals(Tool.OPENSC_PKCS11) && s.readerName().strip().equals(reader)),
                        "OpenSC's view of the card is left out: " + slots.stream().map(TokenManager.Slot::readerName).toList());
                assertTrue(slots.stream().anyMatch(s -> s.module().equals(vendor.toString()) && s.token() != null));
            }
        }
    }

    @Test
    void cryptoCertumAtr_moduleNotInstalled_isModuleNotInstalled_namingTheProduct(@TempDir Path dir) throws Exception {
        Pcscd pcscd = VirtualCards.inProcess().pcscd();
        Policy policy = load(policy(dir, dir.resolve("proCertumSmartSign/libcryptoCertum3PKCS.so").toString()));
        try (VpcdCard card = new VpcdCard(pcscd.port(READER), AtrCard.of(CRYPTO_CERTUM_35))) {
            card.insert();
            // No OpenSC either (a computer with neither): nothing else could show the card.
            try (TokenManager tokens = new TokenManager(List::of, WrapperPkcs11::load,
                    () -> AtrModuleMap.current().with(policy.atrModules()), PcscCards::present)) {
                HostException e = assertThrows(HostException.class, tokens::slots);
                assertEquals(ErrorCode.MODULE_NOT_INSTALLED, e.code());
                assertEquals("proCertum CardManager (Certum)", e.details().get("product"));
                assertEquals(pcscd.readerName(READER), e.details().get("reader"));
                assertEquals(CRYPTO_CERTUM_35, e.details().get("atr"));
                assertTrue(e.getMessage().contains("proCertum CardManager (Certum)"), e.getMessage());
            }
        }
    }

    @Test
    void cryptoCertumAtr_moduleNotInstalled_doctorSaysWhatToInstall_inPolishAndEnglish(@TempDir Path dir) throws Exception {
        Pcscd pcscd = VirtualCards.inProcess().pcscd();
        String missing = dir.resolve("proCertumSmartSign/libcryptoCertum3PKCS.so").toString();
        Policy policy = load(policy(dir, missing));
        AtrModuleMap map = AtrModuleMap.load(Os.LINUX).with(policy.atrModules());
        String reader = pcscd.readerName(READER);
        try (VpcdCard card = new VpcdCard(pcscd.port(READER), AtrCard.of(CRYPTO_CERTUM_35))) {
            card.insert();
            Finding en = notInstalled(new SystemChecks(Roots.real(), Os.LINUX, new DoctorTexts(Lang.EN)).pcsc(map), reader);
            assertEquals(Finding.Status.FAIL, en.status());
            assertEquals("the card in " + reader + " (Certum cryptoCertum) needs proCertum CardManager (Certum), which is not installed",
                    en.message());
            assertEquals("install proCertum CardManager (Certum) (from the card issuer's site); CardBridge looks for its PKCS#11 module at: "
                    + missing, en.fix());
            Finding pl = notInstalled(new SystemChecks(Roots.real(), Os.LINUX, new DoctorTexts(Lang.PL)).pcsc(map), reader);
            assertEquals("karta w czytniku " + reader + " (Certum cryptoCertum) wymaga oprogramowania proCertum CardManager (Certum),"
                    + " które nie jest zainstalowane", pl.message());
            assertEquals("zainstaluj proCertum CardManager (Certum) (ze strony wydawcy karty); CardBridge szuka jego modułu PKCS#11 w: "
                    + missing, pl.fix());
        }
    }

    private static Finding notInstalled(List<Finding> findings, String reader) {
        return findings.stream().filter(f -> f.code().equals("doctor.moduleNotInstalled") && f.subject().equals(reader))
                .findFirst().orElseThrow(() -> new AssertionError("no doctor line for " + reader + ": " + findings));
    }

    private static List<String> libraries(TokenManager tokens) {
        return tokens.modules().stream().map(Pkcs11::library).toList();
    }
}
