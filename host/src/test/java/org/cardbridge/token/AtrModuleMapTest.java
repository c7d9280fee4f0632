package org.cardbridge.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.platform.Os;
import org.cardbridge.policy.Policy;
import org.cardbridge.protocol.Json;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class AtrModuleMapTest {
    /** Debian's pcsc-tools: Ludovic Rousseau's list of ATRs seen on real cards. */
    private static final Path SMARTCARD_LIST = Path.of("/usr/share/pcsc/smartcard_list.txt");
    static final String CRYPTO_CERTUM_35 = "3BDD96FF8131FE4580595F5374645F496E697481059B";

    @Test
    void everyAtrOfTheMap_isALineOfSmartcardList_withTheCardItsSourceQuotes() throws Exception {
        if (!"true".equals(System.getenv("CI"))) {
            assumeTrue(Files.isRegularFile(SMARTCARD_LIST), "pcsc-tools is not installed");
        }
        List<String> lines = Files.readAllLines(SMARTCARD_LIST, StandardCharsets.UTF_8);
        JsonNode root;
        try (InputStream in = AtrModuleMap.class.getResourceAsStream("/org/cardbridge/token/atr-modules.json")) {
            root = Json.readTree(in.readAllBytes());
        }
        int checked = 0;
        for (JsonNode m : root.path("modules")) {
            for (JsonNode a : m.path("atrs")) {
                String atr = a.path("atr").asText();
                // smartcard_list.txt writes "3B DD 96 …", the card's name on the next line(s), indented.
                String spaced = String.join(" ", atr.split("(?<=\\G..)"));
                int at = lines.indexOf(spaced);
                assertTrue(at >= 0, atr + " of " + m.path("name").asText() + " is not in " + SMARTCARD_LIST);
                String quoted = a.path("source").asText().replaceAll("^smartcard_list.txt: \"([^\"]*)\".*$", "$1");
                assertEquals("\t" + quoted, lines.get(at + 1), "the source quotes the card's line");
                assertTrue(m.path("product").asText().length() > 2, "a vendor entry names what to install");
                checked++;
            }
        }
        assertTrue(checked >= 6, "the map has the Polish CAs' cards: " + checked);
    }

    @Test
    void cryptoCertum35_selectsCertumsModule_andNamesProCertum() {
        AtrModuleMap.Entry e = AtrModuleMap.load(Os.LINUX).vendorFor(HexFormat.of().parseHex(CRYPTO_CERTUM_35)).orElseThrow();
        assertEquals("Certum cryptoCertum", e.name());
        assertEquals("proCertum CardManager (Certum)", e.product());
        assertTrue(e.paths().getFirst().endsWith("libcryptoCertum3PKCS.so"), e.paths().toString());
        assertTrue(AtrModuleMap.load(Os.WINDOWS).vendorFor(HexFormat.of().parseHex(CRYPTO_CERTUM_35)).orElseThrow()
                .paths().getFirst().endsWith("cryptoCertum3PKCS.dll"));
    }

    @Test
    void policyEntry_ofTheSameName_replacesTheMapsEntry_andANewOneIsAdded() {
        byte[] atr = HexFormat.of().parseHex(CRYPTO_CERTUM_35);
        byte[] mask = new byte[atr.length];
        java.util.Arrays.fill(mask, (byte) 0xFF);
        byte[] other = HexFormat.of().parseHex("3B02AB01");
        AtrModuleMap map = AtrModuleMap.load(Os.LINUX).with(List.of(
                new Policy.AtrModule("certum CRYPTOCERTUM", atr, mask, List.of("/opt/test/libcryptoCertum3PKCS.so"), "proCertum 3"),
                new Policy.AtrModule("New card", other, new byte[] {(byte) 0xFF, (byte) 0xFF, 0, (byte) 0xFF},
                        List.of("/opt/new/p11.so"), "New card software")));
        AtrModuleMap.Entry certum = map.vendorFor(atr).orElseThrow();
        assertEquals(List.of("/opt/test/libcryptoCertum3PKCS.so"), certum.paths(), "the policy's paths only");
        assertEquals("proCertum 3", certum.product());
        assertEquals(1, map.entries().stream().filter(e -> e.name().equalsIgnoreCase("certum cryptocertum")).count());
        assertEquals("New card", map.vendorFor(HexFormat.of().parseHex("3B02CD01")).orElseThrow().name(), "a masked byte is free");
        assertFalse(map.vendorPaths().contains("/opt/proCertumSmartSign/libcryptoCertum3PKCS.so"));
        assertTrue(map.defaultPaths().equals(AtrModuleMap.load(Os.LINUX).defaultPaths()), "OpenSC stays");
    }
}
