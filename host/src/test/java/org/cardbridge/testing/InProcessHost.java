package org.cardbridge.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cardbridge.command.Cancellation;
import org.cardbridge.command.Command;
import org.cardbridge.command.CommandContext;
import org.cardbridge.command.OperationTable;
import org.cardbridge.command.PendingRequests;
import org.cardbridge.host.Operations;
import org.cardbridge.policy.Origin;
import org.cardbridge.policy.Policy;
import org.cardbridge.protocol.Json;
import org.cardbridge.protocol.Lang;
import org.cardbridge.protocol.Params;
import org.cardbridge.token.TokenManager;
import org.cardbridge.watch.ExclusiveUse;
import org.cardbridge.token.WrapperPkcs11;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The host's real operation table and token layer, called in-process the way {@code HostSession} calls
 * them (parse → refuse unknown params → precheck → execute), with a {@link ScriptedUserInterface}, for tests that
 * are not about framing or dialogs. Origin checks are the policy's business and tested there; here the
 * origin is an allowed CA page.
 */
public final class InProcessHost implements AutoCloseable {
    public static final Origin ORIGIN = Origin.parse("https://ca.example.pl");
    private final OperationTable table;
    private final TokenManager tokens;
    private final ScriptedUserInterface ui;
    private final List<Map<String, Object>> progress = new ArrayList<>();
    private final List<String> messages = new ArrayList<>();
    private final List<FaultInjectingPkcs11> modules = new ArrayList<>();

    /** A host that sees the JVM's SoftHSM2 store through fault-injecting wrappers (no fault unless asked). */
    public InProcessHost(ScriptedUserInterface ui) {
        this(ui, List.of(SoftHsm2.MODULE));
    }

    /** A host that loads {@code token}'s module only (fault-injecting wrapper, no fault unless asked). */
    public InProcessHost(ScriptedUserInterface ui, TestToken token) {
        this(ui, List.of(token.module()));
    }

    public InProcessHost(ScriptedUserInterface ui, List<String> modulePaths) {
        SoftHsm2.inProcess(); // the token pool must exist before the module is loaded in this JVM
        this.ui = ui;
        this.tokens = new TokenManager(modulePaths, path -> {
            FaultInjectingPkcs11 m = new FaultInjectingPkcs11(WrapperPkcs11.load(path));
            modules.add(m);
            return m;
        }).withReaderProbe(ExclusiveUse::busyReaders);
        this.table = Operations.standard(new PendingRequests(), tokens);
    }

    /** The (only) loaded module's fault-injecting wrapper; loads the module if needed. */
    public FaultInjectingPkcs11 module() {
        tokens.modules();
        return modules.getFirst();
    }

    public TokenManager tokens() {
        return tokens;
    }

    public ScriptedUserInterface ui() {
        return ui;
    }

    /** Runs one operation; returns its result as JSON or throws its HostException. */
    public JsonNode call(String op, Object params) {
        ObjectNode node = params instanceof String s ? parse(s) : Json.mapper().valueToTree(params);
        Command<?, ?> command = table.find(op).orElseThrow();
        messages.add(node.toString());
        JsonNode result = Json.mapper().valueToTree(invoke(command, node));
        messages.add(result.toString());
        return result;
    }

    /** Runs {@code command} — one made by the test, not the table's — as {@link #call} runs the table's. */
    public JsonNode call(Command<?, ?> command, Object params) {
        ObjectNode node = params instanceof String s ? parse(s) : Json.mapper().valueToTree(params);
        return Json.mapper().valueToTree(invoke(command, node));
    }

    private <A, R> R invoke(Command<A, R> command, ObjectNode node) {
        Params params = new Params(node);
        A args = command.parse(params);
        params.done();
        command.precheck(args);
        CommandContext context = new CommandContext("t1", ORIGIN, Lang.EN, Policy.empty(), () -> ui,
                p -> progress.add(p), new Cancellation());
        return command.execute(args, context);
    }

    private static ObjectNode parse(String json) {
        try {
            return (ObjectNode) Json.mapper().readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<Map<String, Object>> progress() {
        return List.copyOf(progress);
    }

    /** Every request and result that passed, as JSON text (for the PIN-leak check). */
    public List<String> messages() {
        return List.copyOf(messages);
    }

    /** The handle of a token by its label, from listTokens. */
    public String tokenHandle(String label) {
        for (JsonNode t : call("listTokens", "{}").path("tokens")) {
            if (label.equals(t.path("label").asText())) {
                return t.path("token").asText();
            }
        }
        throw new AssertionError("no token labelled " + label);
    }

    @Override
    public void close() {
        tokens.close();
    }
}
