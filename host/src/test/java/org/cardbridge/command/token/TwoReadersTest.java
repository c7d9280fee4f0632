package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.testing.InProcessHost;
import org.cardbridge.testing.ScriptedUserInterface;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.TestToken;
import org.cardbridge.testing.vcard.VirtualCards;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.util.Base64;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Two readers, a card in each (vpcd's two readers, two virtual cards, real OpenSC): both are listed under their
 * own handles, and every operation reaches the card its handle names — its certificates, its PIN, its key.
 * No host operation picks "the" card: each needs a token handle (or a certificate handle that holds one).
 */
class TwoReadersTest {
    /** See CardSwapTest: the fork's SoftHSM2 pool first, with time of its own. */
    @BeforeAll
    @Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES)
    static void tokenPool() {
        if (VirtualCards.available()) {
            SoftHsm2.inProcess();
        }
    }

    @BeforeEach
    void virtualCard() {
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(VirtualCards.available(), "the OpenSC + virtual card backend (pcscd, vpcd, OpenSC) is needed under CI");
        }
        assumeTrue(VirtualCards.available(), "the OpenSC + virtual card backend");
    }

    @Test
    void twoReadersTwoCards_bothListed_andEachOperationHitsTheCardItsHandleNames() throws Exception {
        TokenFixture a = TokenFixture.withCertificate(TestToken.virtualCard(0));
        TokenFixture b = TokenFixture.withCertificate(TestToken.virtualCard(1));
        VirtualCards.Card cardB = b.token().card().orElseThrow();
        ScriptedUserInterface ui = new ScriptedUserInterface(a.token().pin());
        try (InProcessHost host = new InProcessHost(ui, a.token())) {
            JsonNode entryA = a.token().present(host);
            JsonNode entryB = b.token().present(host);
            String tokenA = entryA.path("token").asText();
            String tokenB = entryB.path("token").asText();
            assertNotEquals(tokenA, tokenB, "two cards, two handles");
            assertEquals(a.token().card().orElseThrow().readerName(), entryA.path("readerName").asText());
            assertEquals(cardB.readerName(), entryB.path("readerName").asText());
            assertNotEquals(entryA.path("serial").asText(), entryB.path("serial").asText());

            // Each card's certificates are its own.
            String certA = SignTest.certificateHandle(host, a);
            String certB = SignTest.certificateHandle(host, b);
            for (var x : Map.of(tokenA, a, tokenB, b).entrySet()) {
                JsonNode certs = host.call("listCertificates", Map.of("token", x.getKey())).path("certificates");
                assertEquals(1, certs.size(), certs.toString());
                assertArrayEquals(x.getValue().cert().getEncoded(), Base64.getDecoder().decode(certs.get(0).path("certificate").asText()));
            }

            // Signing with the second card's certificate logs in to it (its PIN asked once) and signs with its key;
            // the first card stays logged out.
            byte[] data = "Wniosek z drugiego czytnika".getBytes(StandardCharsets.UTF_8);
            assertSignedBy(b, host.call("sign", Map.of("certificate", certB, "data", Base64.getEncoder().encodeToString(data),
                    "format", "raw", "description", "karta B")), data);
            assertEquals(1, ui.pinPrompts().size());
            assertEquals(b.token().label(), ui.pinPrompts().get(0).tokenLabel(), "the window names the second card");
            assertTrue(b.token().present(host).path("loggedIn").asBoolean());
            assertFalse(a.token().present(host).path("loggedIn").asBoolean(), "the other card's login is its own");

            assertSignedBy(a, host.call("sign", Map.of("certificate", certA, "data", Base64.getEncoder().encodeToString(data),
                    "format", "raw", "description", "karta A")), data);
            assertEquals(2, ui.pinPrompts().size(), "the first card asks its own PIN");
            assertEquals(a.token().label(), ui.pinPrompts().get(1).tokenLabel());

            // Logging out of one card leaves the other logged in.
            host.call("logout", Map.of("token", tokenA));
            assertFalse(a.token().present(host).path("loggedIn").asBoolean());
            assertTrue(b.token().present(host).path("loggedIn").asBoolean());

            // Nothing addresses "the" card: a request without a token handle is refused, not served by a first pick.
            HostException noToken = assertThrows(HostException.class, () -> host.call("listCertificates", Map.of()));
            assertEquals(ErrorCode.INVALID_ARGUMENT, noToken.code());
        } finally {
            // Later tests of this fork expect reader 1 empty.
            cardB.reader().remove();
        }
    }

    private static void assertSignedBy(TokenFixture f, JsonNode signed, byte[] data) throws Exception {
        Signature verify = Signature.getInstance(signed.path("signatureAlgorithm").asText());
        verify.initVerify(f.cert().getPublicKey());
        verify.update(data);
        assertTrue(verify.verify(Base64.getDecoder().decode(signed.path("signature").asText())), "signed by " + f.token().label());
    }
}
