package org.cardbridge.host;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.command.Command;
import org.cardbridge.command.CommandContext;
import org.cardbridge.command.OperationTable;
import org.cardbridge.command.PendingRequests;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.policy.Policy;
import org.cardbridge.policy.PolicyLoader;
import org.cardbridge.protocol.Json;
import org.cardbridge.protocol.Params;
import org.cardbridge.testing.SessionHarness;
import org.cardbridge.testing.ScriptedUserInterface;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Dispatch: every error code the core can produce, ordering, BUSY, cancel, end of input. */
class HostSessionTest {
    static final String CA = "https://ca.example";

    @TempDir
    Path state;
    final ScriptedUserInterface ui = new ScriptedUserInterface();
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicBoolean resourceClosed = new AtomicBoolean();
    SessionHarness host;

    /** A READ operation that waits until the test releases it; {@code pad} makes its frame large. */
    final class Block implements Command<Void, Map<String, ?>> {
        public OperationClass operationClass() { return OperationClass.READ; }
        public Void parse(Params p) { p.optText("pad"); return null; }
        public Map<String, ?> execute(Void a, CommandContext c) {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            c.cancellation().check();
            return Map.of("released", true);
        }
    }

    /** An ENROLL operation that reports progress and echoes its one parameter. */
    static final class Echo implements Command<String, Map<String, ?>> {
        public OperationClass operationClass() { return OperationClass.ENROLL; }
        public String parse(Params p) { return p.text("value"); }
        public Map<String, ?> execute(String v, CommandContext c) {
            c.progress().report(Map.of("stage", "echoing"));
            return Map.of("value", v);
        }
    }

    static final class Huge implements Command<Void, Map<String, ?>> {
        public OperationClass operationClass() { return OperationClass.READ; }
        public Void parse(Params p) { return null; }
        public Map<String, ?> execute(Void a, CommandContext c) { return Map.of("blob", "x".repeat(1024 * 1024)); }
    }

    static final class Broken implements Command<Void, Map<String, ?>> {
        public OperationClass operationClass() { return OperationClass.READ; }
        public Void parse(Params p) { return null; }
        public Map<String, ?> execute(Void a, CommandContext c) { throw new IllegalStateException("secret-free bug"); }
    }

    /** A READ operation that shows a dialog and, like the Swing one, waits until answered or interrupted. */
    static final class Ask implements Command<Void, Map<String, ?>> {
        final java.util.concurrent.CompletableFuture<Void> never = new java.util.concurrent.CompletableFuture<>();
        public OperationClass operationClass() { return OperationClass.READ; }
        public Void parse(Params p) { return null; }
        public Map<String, ?> execute(Void a, CommandContext c) {
            try {
                never.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new org.cardbridge.protocol.HostException(org.cardbridge.protocol.ErrorCode.REQUEST_CANCELLED, "dialog closed");
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e);
            }
            return Map.of();
        }
    }

    private SessionHarness start() throws Exception {
        Policy policy = PolicyLoader.load(writePolicy()).policy();
        host = new SessionHarness(pending -> {
            OperationTable t = Operations.standard(pending,
                    new org.cardbridge.token.TokenManager(List.of(), org.cardbridge.token.WrapperPkcs11::load));
            return t.register("block", new Block()).register("echo", new Echo())
                    .register("huge", new Huge()).register("broken", new Broken()).register("ask", new Ask())
                    .register("unloadable", () -> {
                        throw new NoClassDefFoundError("org/example/Gone"); // a command class that cannot load
                    });
        }, policy, ui, state, List.of(() -> resourceClosed.set(true)), 64 * 1024);
        return host;
    }

    private Path writePolicy() throws Exception {
        Path p = state.resolve("policy.json");
        java.nio.file.Files.writeString(p, "{\"origins\":[{\"origin\":\"" + CA + "\",\"allow\":[\"read\",\"enroll\"],"
                + "\"renewalUrl\":\"" + CA + "/renew\",\"issuers\":[\"CN=Example CA,C=PL\"]},"
                + "{\"origin\":\"https://other-ca.example\",\"allow\":[\"read\"]}]}");
        return p;
    }

    private static String req(String id, String op, String params) {
        return "{\"id\":\"" + id + "\",\"op\":\"" + op + "\",\"origin\":\"" + CA + "\",\"params\":" + params + "}";
    }

    private static String code(JsonNode m) {
        return m.path("error").path("code").asText();
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        if (host != null) {
            host.close();
        }
    }

    @Test
    void hello_reportsVersionsAndOperations() throws Exception {
        start().send(req("1", "hello", "{}"));
        JsonNode r = host.answerTo("1").get("result");
        assertEquals(Version.PROTOCOL, r.get("protocol").asText());
        assertEquals(Version.HOST, r.get("host").asText());
        List<String> ops = Json.mapper().convertValue(r.get("operations"), List.class);
        assertTrue(ops.containsAll(List.of("hello", "cancel", "echo")));
    }

    @Test
    void malformedFrame_isAnsweredAndTheNextRequestStillServed() throws Exception {
        start().sendRaw(new byte[]{(byte) 0xff, 'x'});
        JsonNode bad = host.receive();
        assertEquals("INVALID_MESSAGE", code(bad));
        assertTrue(bad.get("id").isNull());
        host.send(req("2", "hello", "{}"));
        assertTrue(host.answerTo("2").has("result"));
    }

    @Test
    void unknownOperation_isUnknownOperationWithItsId() throws Exception {
        start().send(req("3", "format", "{}"));
        assertEquals("UNKNOWN_OPERATION", code(host.answerTo("3")));
    }

    @Test
    void missingOrUnknownParameter_isInvalidArgumentNamingTheField() throws Exception {
        start().send(req("4", "echo", "{}"));
        JsonNode m = host.answerTo("4");
        assertEquals("INVALID_ARGUMENT", code(m));
        assertEquals("value", m.path("error").path("details").path("field").asText());
        host.send(req("5", "echo", "{\"value\":\"a\",\"vlaue\":\"b\"}"));
        assertEquals("vlaue", host.answerTo("5").path("error").path("details").path("field").asText());
    }

    @Test
    void invalidArguments_areRefusedBeforeTheUserIsAskedForConsent() throws Exception {
        start().send("{\"id\":\"6\",\"op\":\"block\",\"origin\":\"https://other.example\",\"params\":{\"x\":1}}");
        assertEquals("INVALID_ARGUMENT", code(host.answerTo("6")));
        assertEquals(0, ui.consentRequests().size());
    }

    @Test
    void anOriginThatCanNeverEnroll_isRefusedBeforeItsParametersAreEvenRead() throws Exception {
        start().send("{\"id\":\"7\",\"op\":\"echo\",\"origin\":\"https://other.example\",\"params\":{\"bogus\":[1,2,3]}}");
        assertEquals("ORIGIN_NOT_ALLOWED", code(host.answerTo("7")));
        assertEquals(0, ui.consentRequests().size());
    }

    @Test
    void progressThenResult_forAnEnrollingOperation() throws Exception {
        start().send(req("7", "echo", "{\"value\":\"żółw\"}"));
        JsonNode progress = host.receive();
        assertEquals("echoing", progress.path("progress").path("stage").asText());
        assertEquals("żółw", host.receive().path("result").path("value").asText());
    }

    @Test
    void originOutsidePolicy_cannotEnroll() throws Exception {
        start().send("{\"id\":\"8\",\"op\":\"echo\",\"origin\":\"https://evil.example\",\"params\":{\"value\":\"x\"}}");
        assertEquals("ORIGIN_NOT_ALLOWED", code(host.answerTo("8")));
    }

    @Test
    void consentDialogCancelledOrTimedOut_reachesThePage() throws Exception {
        ui.thenConsentFails(org.cardbridge.protocol.ErrorCode.USER_CANCELLED).thenConsentFails(org.cardbridge.protocol.ErrorCode.USER_TIMEOUT);
        start().send("{\"id\":\"9\",\"op\":\"block\",\"origin\":\"https://other.example\"}");
        assertEquals("USER_CANCELLED", code(host.answerTo("9")));
        host.send("{\"id\":\"10\",\"op\":\"block\",\"origin\":\"https://other.example\"}");
        assertEquals("USER_TIMEOUT", code(host.answerTo("10")));
    }

    @Test
    void requestsRunInOrder_andHelloIsAnsweredWhileAnotherRuns() throws Exception {
        start().send(req("a", "block", "{}"));
        host.send(req("b", "echo", "{\"value\":\"second\"}"));
        host.send(req("h", "hello", "{}"));
        assertTrue(host.receive().has("result"), "hello overtakes the blocked request");
        release.countDown();
        assertEquals("a", host.receive().get("id").asText());
        host.receive(); // progress of b
        assertEquals("b", host.receive().get("id").asText());
    }

    @Test
    void seventeenthPendingRequest_isBusy() throws Exception {
        start();
        for (int i = 0; i < HostSession.MAX_PENDING; i++) {
            host.send(req("p" + i, "block", "{}"));
        }
        host.send(req("over", "block", "{}"));
        assertEquals("BUSY", code(host.answerTo("over")));
    }

    @Test
    void pendingRequestsHoldAtMostTwoLargestFrames_moreIsBusyUntilTheyAreDone() throws Exception {
        start(); // frames up to 64 KiB: the pending ones may hold 128 KiB
        String pad = "{\"pad\":\"" + "x".repeat(60_000) + "\"}";
        host.send(req("a", "block", pad));
        host.send(req("b", "block", pad));
        host.send(req("c", "block", pad));
        JsonNode busy = host.answerTo("c");
        assertEquals("BUSY", code(busy));
        assertEquals(128 * 1024, busy.path("error").path("details").path("byteLimit").asLong());
        release.countDown();
        assertEquals(true, host.answerTo("a").path("result").path("released").asBoolean());
        assertEquals(true, host.answerTo("b").path("result").path("released").asBoolean());
        host.send(req("d", "block", pad));
        assertEquals(true, host.answerTo("d").path("result").path("released").asBoolean(), "the budget is freed");
    }

    @Test
    void aCommandThatCannotBeMade_isAnsweredInternalError_andTheSessionGoesOn() throws Exception {
        start().send(req("u", "unloadable", "{}"));
        JsonNode answer = host.answerTo("u");
        assertEquals("INTERNAL_ERROR", code(answer));
        assertTrue(answer.path("error").path("message").asText().contains("NoClassDefFoundError"), answer.toString());
        host.send(req("h", "hello", "{}"));
        assertTrue(host.answerTo("h").has("result"), "the session still answers");
    }

    @Test
    void duplicatePendingId_isInvalidMessage() throws Exception {
        start().send(req("same", "block", "{}"));
        host.send(req("same", "block", "{}"));
        assertEquals("INVALID_MESSAGE", code(host.receive()));
    }

    @Test
    void cancel_runningRequest_endsItWithRequestCancelled() throws Exception {
        start().send(req("long", "block", "{}"));
        host.send(req("c", "cancel", "{\"id\":\"long\"}"));
        assertTrue(host.answerTo("c").path("result").path("cancelled").asBoolean());
        release.countDown();
        assertEquals("REQUEST_CANCELLED", code(host.answerTo("long")));
    }

    @Test
    void cancel_requestWaitingForTheUser_closesTheWaitAtOnce_andTheNextRequestRunsUndisturbed() throws Exception {
        start().send(req("dialog", "ask", "{}"));
        host.send(req("c", "cancel", "{\"id\":\"dialog\"}"));
        host.answerTo("c");
        assertEquals("REQUEST_CANCELLED", code(host.answerTo("dialog")), "answered without the user (or the test) acting");
        release.countDown();
        host.send(req("next", "block", "{}"));
        assertTrue(host.answerTo("next").path("result").path("released").asBoolean(), "no interrupt leaked into the next request");
    }

    @Test
    void cancel_queuedRequest_neverRuns() throws Exception {
        start().send(req("first", "block", "{}"));
        host.send(req("queued", "echo", "{\"value\":\"v\"}"));
        host.send(req("c", "cancel", "{\"id\":\"queued\"}"));
        host.answerTo("c");
        release.countDown();
        host.answerTo("first");
        JsonNode m = host.receive();
        assertEquals("queued", m.get("id").asText());
        assertEquals("REQUEST_CANCELLED", code(m), "no progress was sent: it never ran");
    }

    @Test
    void renewalPages_forTheExtension_listsPolicyEntriesWithARenewalUrl_butNotForAPage() throws Exception {
        start().send("{\"id\":\"r\",\"op\":\"renewalPages\",\"origin\":\"cardbridge:extension\"}");
        JsonNode pages = host.answerTo("r").path("result").path("pages");
        assertEquals(1, pages.size(), pages.toString());
        assertEquals(CA, pages.get(0).path("origin").asText());
        assertEquals(CA + "/renew", pages.get(0).path("renewalUrl").asText());
        assertEquals("CN=Example CA,C=PL", pages.get(0).path("issuers").get(0).asText());
        host.send(req("p", "renewalPages", "{}"));
        assertEquals("ORIGIN_NOT_ALLOWED", code(host.answerTo("p")));
        // An unlisted page is refused before the host asks the user anything.
        host.send("{\"id\":\"u\",\"op\":\"renewalPages\",\"origin\":\"https://unlisted.example\"}");
        JsonNode refused = host.answerTo("u");
        assertEquals("ORIGIN_NOT_ALLOWED", code(refused));
        assertEquals("extension", refused.path("error").path("details").path("operationClass").asText());
        assertEquals(0, ui.consentRequests().size(), "no read-consent dialog for a request that is always refused");
    }

    @Test
    void diagnose_forTheExtension_saysWhatDoctorSaysAboutPcscdInTheRequestsLanguage_butNotForAPage() throws Exception {
        // Surefire points PCSCLITE_CSOCK_NAME at the fork's private socket: no pcscd listens on it unless a
        // virtual-card test of the same fork started one earlier, so either answer is told, in Polish.
        start().send("{\"id\":\"d\",\"op\":\"diagnose\",\"origin\":\"cardbridge:extension\",\"lang\":\"pl\"}");
        JsonNode findings = host.answerTo("d").path("result").path("findings");
        JsonNode first = findings.get(0);
        if (first.path("code").asText().equals("doctor.pcscDown")) {
            assertEquals("FAIL", first.path("status").asText(), findings.toString());
            assertTrue(first.path("message").asText().startsWith("pcscd nie odpowiada: "), findings.toString());
            assertTrue(first.path("fix").asText().startsWith("zainstaluj i uruchom"), findings.toString());
        } else {
            assertEquals("doctor.pcscOk", first.path("code").asText(), findings.toString());
            assertEquals("OK", first.path("status").asText(), findings.toString());
            assertTrue(first.path("message").asText().startsWith("pcscd odpowiada"), findings.toString());
        }
        host.send(req("p", "diagnose", "{}"));
        assertEquals("ORIGIN_NOT_ALLOWED", code(host.answerTo("p")));
    }

    @Test
    void cancel_unknownId_saysNothingWasCancelled() throws Exception {
        start().send(req("c", "cancel", "{\"id\":\"nope\"}"));
        assertFalse(host.answerTo("c").path("result").path("cancelled").asBoolean(true));
    }

    @Test
    void resultOverOneMebibyte_isMessageTooLargeNotATruncatedFrame() throws Exception {
        start().send(req("big", "huge", "{}"));
        assertEquals("MESSAGE_TOO_LARGE", code(host.answerTo("big")));
        host.send(req("after", "hello", "{}"));
        assertTrue(host.answerTo("after").has("result"));
    }

    @Test
    void unexpectedFailure_isInternalError_andTheHostGoesOn() throws Exception {
        start().send(req("x", "broken", "{}"));
        assertEquals("INTERNAL_ERROR", code(host.answerTo("x")));
        host.send(req("y", "hello", "{}"));
        assertTrue(host.answerTo("y").has("result"));
    }

    @Test
    void incomingFrameOverTheCap_isAnsweredThenTheSessionEnds() throws Exception {
        // Only the header: the host must refuse on the announced length, without reading the payload.
        start().sendHeaderOnly(64 * 1024 + 1);
        assertEquals("MESSAGE_TOO_LARGE", code(host.receive()));
        assertEquals(HostSession.EXIT_STREAM_LOST, host.exitCode());
        assertTrue(resourceClosed.get());
    }

    @Test
    void endOfInput_releasesResourcesAndExitsCleanly() throws Exception {
        start().send(req("z", "hello", "{}"));
        host.answerTo("z");
        assertEquals(HostSession.EXIT_OK, host.closeInput());
        assertTrue(resourceClosed.get());
    }

    @Test
    void endOfInput_whileARequestRuns_cancelsItAndExits() throws Exception {
        start().send(req("stuck", "block", "{}"));
        assertEquals(HostSession.EXIT_OK, host.closeInput());
        assertTrue(resourceClosed.get());
    }
}
