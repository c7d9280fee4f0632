package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.install.ClientAuth;
import org.cardbridge.install.Nss;
import org.cardbridge.install.Roots;
import org.cardbridge.platform.Os;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.testing.InProcessHost;
import org.cardbridge.testing.ScriptedUserInterface;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 16: {@code listCertificates {withLoginCheck: true}} says whether this browser offers the card's
 * certificates for logging in to web sites — {@code usableForLogin}, doctor's check for the card's module;
 * absent when not asked or when it cannot be told. The last test runs the real check (NSS's own
 * {@code certutil}/{@code modutil}) on a Chromium database in a temporary HOME.
 */
class ListCertificatesLoginCheckTest {
    @TempDir
    Path tmp;

    private static JsonNode list(InProcessHost host, LoginCheck check, Map<String, Object> params) {
        return host.call(new ListCertificatesCommand(new TokenAccess(host.tokens()), check), params);
    }

    @Test
    void listCertificates_withoutWithLoginCheck_hasNoUsableForLoginAndRunsNoCheck() {
        TokenFixture f = TokenFixture.withCertificate();
        List<String> asked = new ArrayList<>();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(), f.token())) {
            String token = f.token().handle(host);
            JsonNode result = list(host, library -> {
                asked.add(library);
                return Optional.of(true);
            }, Map.of("token", token));
            assertEquals(1, result.path("certificates").size());
            assertFalse(result.has("usableForLogin"), result.toString());
            assertEquals(List.of(), asked, "no NSS tool runs for a page's plain listCertificates");
            assertFalse(host.call("listCertificates", Map.of("token", token)).has("usableForLogin"));
        }
    }

    @Test
    void listCertificates_withLoginCheck_trueFalseOrAbsentAsTheCheckSays_forTheCardsModule() {
        TokenFixture f = TokenFixture.withCertificate();
        List<String> asked = new ArrayList<>();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(), f.token())) {
            String token = f.token().handle(host);
            for (Optional<Boolean> answer : List.of(Optional.of(true), Optional.of(false), Optional.<Boolean>empty())) {
                JsonNode result = list(host, library -> {
                    asked.add(library);
                    return answer;
                }, Map.of("token", token, "withLoginCheck", true));
                assertEquals(1, result.path("certificates").size(), "the certificates are listed all the same");
                if (answer.isPresent()) {
                    assertEquals(answer.get(), result.path("usableForLogin").asBoolean(), result.toString());
                } else {
                    assertFalse(result.has("usableForLogin"), "unknown is left out, not null: " + result);
                }
            }
            assertEquals(List.of(f.token().module(), f.token().module(), f.token().module()), asked);
        }
    }

    @Test
    void listCertificates_withLoginCheckNotABoolean_isInvalidArgumentNamingIt() {
        TokenFixture f = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(), f.token())) {
            String token = f.token().handle(host);
            HostException e = assertThrows(HostException.class,
                    () -> host.call("listCertificates", Map.of("token", token, "withLoginCheck", "yes")));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertEquals("withLoginCheck", e.details().get("field"), e.details().toString());
        }
    }

    @Test
    void listCertificates_withLoginCheck_realNssDatabase_falseUntilTheModuleIsRegisteredThenTrue() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home"));
        Path chromium = Files.createDirectories(home.resolve(".pki/nssdb"));
        tool("certutil", "-N", "-d", "sql:" + chromium, "--empty-password");
        ClientAuth clientAuth = new ClientAuth(Roots.of(home, Path.of("/")), Os.LINUX, new Nss(), null, library -> List.of());
        LoginCheck chromiumCheck = library -> clientAuth.usableForLogin(ClientAuth.Browser.CHROME, library);
        TokenFixture f = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(), f.token())) {
            Map<String, Object> params = Map.of("token", f.token().handle(host), "withLoginCheck", true);
            assertFalse(list(host, chromiumCheck, params).path("usableForLogin").asBoolean(true), "not registered yet");
            tool("modutil", "-dbdir", "sql:" + chromium, "-add", ClientAuth.MODULE_NAME, "-libfile", f.token().module(), "-force");
            JsonNode after = list(host, chromiumCheck, params);
            assertTrue(after.path("usableForLogin").asBoolean(false), after.toString());
        }
    }

    private static String tool(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out
                + " (NSS's tools: .ci/setup.sh installs libnss3-tools)");
        return out;
    }
}
