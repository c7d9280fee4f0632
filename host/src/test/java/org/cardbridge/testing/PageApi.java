package org.cardbridge.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;

import java.util.Arrays;
import java.util.List;

/**
 * Calls the page API (window.cardbridge, see {@link TestPages}) from a test, as a CA page's own
 * script would, and hands back what the promise settled to.
 */
public final class PageApi {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How a call ended: exactly one of result / error is non-null. */
    public record Outcome(JsonNode result, JsonNode error) {
        public String code() {
            return error == null ? null : error.path("code").asText();
        }

        public JsonNode ok() {
            if (error != null) {
                throw new AssertionError("expected a result, got " + error);
            }
            return result;
        }

        @Override
        public String toString() {
            return error != null ? "error " + error : "result " + result;
        }
    }

    private static final String CALL = """
            const [fn, args, done] = arguments;
            const go = () => window.cardbridge[fn](...args).then(
              (r) => done({ result: r === undefined ? null : r }),
              (e) => done({ error: { name: e.name, code: e.code ?? null, message: e.message, details: e.details ?? null } }));
            const wait = () => (window.cardbridge ? go() : setTimeout(wait, 20));
            wait();
            """;

    private final WebDriver driver;

    public PageApi(WebDriver driver) {
        this.driver = driver;
    }

    /** {@code call("sign", params)}: args are JSON texts or Java maps/lists/strings, passed to the function. */
    public Outcome call(String fn, Object... args) {
        List<Object> jsArgs = Arrays.stream(args).map(PageApi::toJs).toList();
        Object raw = ((JavascriptExecutor) driver).executeAsyncScript(CALL, fn, jsArgs);
        return outcome(raw);
    }

    /** Runs an async script of the test's own (last argument {@code done}); returns what it passed to done. */
    public Outcome script(String body, Object... args) {
        String wrapped = "const done = arguments[arguments.length - 1];\n"
                + "const wait = () => (window.cardbridge ? run() : setTimeout(wait, 20));\n"
                + "const run = async () => { try { done({ result: (await (async () => {" + body + "})()) ?? null }); }"
                + " catch (e) { done({ error: { name: e.name, code: e.code ?? null, message: e.message, details: e.details ?? null } }); } };\n"
                + "wait();";
        return outcome(((JavascriptExecutor) driver).executeAsyncScript(wrapped, args));
    }

    /**
     * Starts {@code window.cardbridge[fn](...args)} and returns at once, so the test can answer the host's
     * dialogs meanwhile; {@link #result(String, java.time.Duration)} then waits for how it ended.
     */
    public String start(String fn, Object... args) {
        String key = fn + "-" + System.nanoTime();
        List<Object> jsArgs = Arrays.stream(args).map(PageApi::toJs).toList();
        ((JavascriptExecutor) driver).executeScript("""
                const [key, fn, args] = arguments;
                window.cbResults = window.cbResults || {};
                const go = () => window.cardbridge[fn](...args).then(
                  (r) => (window.cbResults[key] = { result: r === undefined ? null : r }),
                  (e) => (window.cbResults[key] = { error: { name: e.name, code: e.code ?? null, message: e.message, details: e.details ?? null } }));
                const wait = () => (window.cardbridge ? go() : setTimeout(wait, 20));
                wait();
                """, key, fn, jsArgs);
        return key;
    }

    public Outcome result(String key, java.time.Duration timeout) {
        return outcome(JSON.convertValue(await("return window.cbResults && window.cbResults['" + key + "']", timeout), Object.class));
    }

    /** Polls a synchronous script until it returns a non-null, non-false value (as JSON), or fails after {@code timeout}. */
    public JsonNode await(String script, java.time.Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        Object last = null;
        while (System.nanoTime() < end) {
            last = ((JavascriptExecutor) driver).executeScript(script);
            if (last != null && !Boolean.FALSE.equals(last)) {
                return JSON.valueToTree(last);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
        throw new AssertionError("not true within " + timeout + ": " + script + " (last: " + last + ")");
    }

    private static Outcome outcome(Object raw) {
        JsonNode node = JSON.valueToTree(raw);
        JsonNode error = node.get("error");
        return new Outcome(node.get("result"), error == null || error.isNull() ? null : error);
    }

    private static Object toJs(Object arg) {
        if (arg instanceof String s && (s.startsWith("{") || s.startsWith("["))) {
            try {
                return JSON.readValue(s, Object.class);
            } catch (Exception e) {
                throw new IllegalArgumentException("not JSON: " + s, e);
            }
        }
        return arg;
    }
}
