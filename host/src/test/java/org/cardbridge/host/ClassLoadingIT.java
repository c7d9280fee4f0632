package org.cardbridge.host;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.testing.HostDialogs;
import org.cardbridge.testing.NativeMessagingClient;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.TestCa;
import org.cardbridge.testing.XDoTool;
import org.cardbridge.testing.Xvfb;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a browser's requests load into the host: the built launcher, started as a browser starts it, with
 * the JVM's class-loading log switched on through {@code _JAVA_OPTIONS} (the one option source the JVM
 * reads after the launcher's own {@code -Xlog:disable}), serves hello, listTokens, listCertificates, sign,
 * generateKeyPair, createCsr and installCertificate on SoftHSM2, with the real dialogs answered on Xvfb.
 * No class of Jackson's data binding may be loaded — neither at run time nor preloaded from the AOT cache.
 *
 * <p>Allowed from {@code com.fasterxml.jackson.databind}: the tree model only — {@code JsonNode} and the
 * {@code node} package, which the request parser builds and commands read, and the few classes their
 * method signatures link ({@code JsonSerializable}, the binding exceptions a node method declares,
 * {@code DatatypeFeature}/{@code JsonNodeFeature}). Those are ~35 small classes a {@code hello} has always
 * loaded from the AOT cache. Forbidden: everything else, i.e. the mapper and its serializers,
 * deserializers, introspection and type factory, and {@code node.InternalNodeMapper} (what
 * {@code JsonNode.toString()} builds a mapper with).
 */
class ClassLoadingIT {
    private static final Duration DIALOG = Duration.ofSeconds(60);
    private static final String PIN = "739184";
    private static final Pattern LOADED = Pattern.compile("\\[class,load\\s*\\] (\\S+) source: (.*)$");
    private static final Set<String> TREE_MODEL_LINKS = Set.of(
            "com.fasterxml.jackson.databind.JsonNode",
            "com.fasterxml.jackson.databind.JsonSerializable",
            "com.fasterxml.jackson.databind.JsonSerializable$Base",
            "com.fasterxml.jackson.databind.DatabindException",
            "com.fasterxml.jackson.databind.JsonMappingException",
            "com.fasterxml.jackson.databind.exc.MismatchedInputException",
            "com.fasterxml.jackson.databind.exc.InvalidFormatException",
            "com.fasterxml.jackson.databind.cfg.DatatypeFeature",
            "com.fasterxml.jackson.databind.cfg.JsonNodeFeature");

    @TempDir
    static Path dir;
    private static Xvfb xvfb;
    private static SoftHsm2 store;

    @BeforeAll
    static void setUp() throws Exception {
        xvfb = Xvfb.start();
        store = SoftHsm2.create(dir.resolve("softhsm"), List.of("Karta Żółta"), PIN);
        KeyPair keys = TestCa.rsa(2048);
        store.tokens().getFirst().importKey(keys, new TestCa("Class CA").issue(keys.getPublic(), "CN=Anna Nowak,C=PL", 30),
                new byte[]{0x21}, "Podpis");
        Files.writeString(dir.resolve("policy.json"), """
                {"origins": [{"origin": "https://ca.example.pl", "allow": ["read", "sign", "enroll"]}],
                 "modules": ["%s"], "dialogTimeoutSeconds": 60}
                """.formatted(SoftHsm2.MODULE));
    }

    @AfterAll
    static void tearDown() {
        if (xvfb != null) {
            xvfb.close();
        }
    }

    static boolean forbidden(String cls) {
        if (!cls.startsWith("com.fasterxml.jackson.databind.")) {
            return false;
        }
        if (cls.startsWith("com.fasterxml.jackson.databind.node.")) {
            return cls.startsWith("com.fasterxml.jackson.databind.node.InternalNodeMapper");
        }
        return !TREE_MODEL_LINKS.contains(cls);
    }

    @Test
    void forbidden_isTheDataBindingMachinery_notTheTreeModel() {
        assertTrue(forbidden("com.fasterxml.jackson.databind.ObjectMapper"));
        assertTrue(forbidden("com.fasterxml.jackson.databind.ser.BeanSerializerFactory"));
        assertTrue(forbidden("com.fasterxml.jackson.databind.node.InternalNodeMapper"));
        assertTrue(forbidden("com.fasterxml.jackson.databind.introspect.AnnotatedClass"));
        assertTrue(!forbidden("com.fasterxml.jackson.databind.node.ObjectNode"));
        assertTrue(!forbidden("com.fasterxml.jackson.databind.JsonNode"));
        assertTrue(!forbidden("com.fasterxml.jackson.core.JsonParser"), "jackson-core is not data binding");
    }

    @Test
    void browserOperations_onSoftHsm2_loadNoDataBindingClass() throws Exception {
        Path state = Files.createDirectories(dir.resolve("state"));
        Path log = dir.resolve("class-load.log");
        Map<String, String> env = new HashMap<>(store.environment());
        env.putAll(xvfb.environment());
        env.put("CARDBRIDGE_POLICY", dir.resolve("policy.json").toString());
        env.put("CARDBRIDGE_STATE_DIR", state.toString());
        env.put("_JAVA_OPTIONS", "-Xlog:class+load=info:file=" + log);
        XDoTool xdo = xvfb.xdotool();
        List<String> done = new ArrayList<>();
        try (NativeMessagingClient host = new NativeMessagingClient(launcher(), env, state.resolve("stderr.txt"))) {
            assertTrue(ok(host.call("hello", Map.of())).has("protocol"));
            done.add("hello");
            String token = null;
            for (JsonNode t : ok(host.call("listTokens", Map.of())).path("tokens")) {
                if ("Karta Żółta".equals(t.path("label").asText())) {
                    token = t.path("token").asText();
                }
            }
            assertTrue(token != null, "the SoftHSM2 token is listed");
            done.add("listTokens");
            JsonNode certificates = ok(host.call("listCertificates", Map.of("token", token))).path("certificates");
            assertEquals("Podpis", certificates.get(0).path("label").asText(), certificates.toString());
            done.add("listCertificates");

            String sign = host.send("sign", Map.of("certificate", certificates.get(0).path("handle").asText(),
                    "data", Base64.getEncoder().encodeToString("Wniosek".getBytes(StandardCharsets.UTF_8)), "format", "cms",
                    "description", "Wniosek"), "pl");
            // One window asks for consent and the PIN together.
            String window = xdo.waitForWindow(HostDialogs.TITLE, DIALOG);
            HostDialogs.typePinOnce(xdo, window, PIN, DIALOG);
            assertTrue(xdo.awaitGone(window, DIALOG), "the sign window took the PIN");
            assertTrue(ok(host.await(sign, DIALOG)).has("signature"));
            done.add("sign");

            String generate = host.send("generateKeyPair", Map.of("token", token, "algorithm", "EC-P256", "label", "Nowy"), "pl");
            HostDialogs.confirm(xdo, DIALOG, null);
            JsonNode key = ok(host.await(generate, DIALOG));
            done.add("generateKeyPair");

            // The request was approved with the key: it opens no window of its own.
            String csr = host.send("createCsr", Map.of("key", key.path("key").asText(), "subject", "CN=Anna Nowak,C=PL"), "pl");
            assertTrue(ok(host.await(csr, DIALOG)).path("csr").asText().startsWith("-----BEGIN CERTIFICATE REQUEST-----"));
            done.add("createCsr");

            TestCa ca = new TestCa("Class CA 2");
            PublicKey pub = KeyFactory.getInstance("EC").generatePublic(
                    new X509EncodedKeySpec(Base64.getDecoder().decode(key.path("publicKey").asText())));
            String install = host.send("installCertificate", Map.of("certificates",
                    List.of(TestCa.pem(ca.issue(pub, "CN=Anna Nowak,C=PL", 30)), TestCa.pem(ca.issuing()))), "pl");
            HostDialogs.confirm(xdo, DIALOG, null);
            assertEquals(key.path("keyId").asText(), ok(host.await(install, DIALOG)).path("keyId").asText());
            done.add("installCertificate");
        }
        List<String> lines = Files.readAllLines(log);
        Set<String> loaded = new TreeSet<>();
        Set<String> forbidden = new TreeSet<>();
        for (String line : lines) {
            Matcher m = LOADED.matcher(line);
            if (m.find()) {
                loaded.add(m.group(1));
                if (forbidden(m.group(1))) {
                    forbidden.add(m.group(1) + " (" + m.group(2) + ")");
                }
            }
        }
        // The log is real: the host's own classes, the PKCS#11 provider and the tree model are in it.
        assertTrue(loaded.contains("org.cardbridge.host.Main"), "the log lists the host's classes: " + loaded.size());
        assertTrue(loaded.contains("sun.security.pkcs11.wrapper.PKCS11"), "the card was used");
        assertTrue(loaded.contains("com.fasterxml.jackson.databind.node.ObjectNode"));
        assertTrue(forbidden.isEmpty(), "after " + done + ", data-binding classes were loaded (" + forbidden.size() + "): " + forbidden);
    }

    private static Path launcher() {
        return org.cardbridge.testing.HostProcess.launcher();
    }

    private static JsonNode ok(JsonNode answer) {
        assertTrue(answer.has("result"), answer.toString());
        return answer.path("result");
    }
}
