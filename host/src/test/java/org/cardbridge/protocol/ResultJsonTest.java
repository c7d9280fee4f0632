package org.cardbridge.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Results, events, errors and progress are written by the host's own {@link JsonWriter}; before, they went
 * through Jackson's data-binding mapper. Both must give the same bytes: every record the host's command and
 * watcher packages declare whose components are plain values (every result and event type, found by
 * scanning the compiled classes, so a result type added later is covered without touching this test) is
 * filled with generated values — nulls, empty lists, Polish text, quotes, control characters, lone
 * surrogates, emoji, extreme numbers — and written both ways.
 */
class ResultJsonTest {
    /** The result types the protocol documents today: the scan must find each of them. */
    private static final List<String> KNOWN = List.of(
            "org.cardbridge.command.token.ListCertificatesCommand$Result",
            "org.cardbridge.command.token.SignCommand$Result",
            "org.cardbridge.command.token.SignCommand$BatchResult",
            "org.cardbridge.command.token.CreateCsrCommand$Result",
            "org.cardbridge.command.token.InstallCertificateCommand$Result",
            "org.cardbridge.command.token.GenerateKeyPairCommand$Result",
            "org.cardbridge.command.token.ListTokensCommand$Result",
            "org.cardbridge.command.token.LoginCommand$Result",
            "org.cardbridge.command.token.LogoutCommand$Result",
            "org.cardbridge.command.token.RemoveKeyCommand$Result",
            "org.cardbridge.command.CancelCommand$Result",
            "org.cardbridge.command.RenewalPagesCommand$Result",
            "org.cardbridge.watch.SubscribeCommand$Result",
            "org.cardbridge.watch.UnsubscribeCommand$Result",
            "org.cardbridge.watch.ReaderEvent$TokenInserted",
            "org.cardbridge.watch.ReaderEvent$TokenRemoved",
            "org.cardbridge.watch.ReaderEvent$ReaderAdded",
            "org.cardbridge.watch.ReaderEvent$ReaderRemoved");
    private static final String[] TEXTS = {
            "", "Karta Żółta", "quote \" backslash \\ slash /", "\n\r\t\b\f \u0000 \u001f \u007f",
            "😀 \ud800 lone \udc00", "a".repeat(3000) + "ź"};

    /** The old path, kept here as the reference: records through the mapper, trees and maps as trees. */
    record ResultMessage(String id, Object result) {
    }

    static byte[] oldResult(String id, Object result) throws Exception {
        if (result instanceof JsonNode || result instanceof Map<?, ?>) {
            ObjectNode root = Json.object();
            root.put("id", id);
            root.set("result", Json.toTree(result));
            return Json.write(root);
        }
        return Json.mapper().writeValueAsBytes(new ResultMessage(id, result == null ? Map.of() : result));
    }

    static byte[] oldEvent(String name, Object data) {
        ObjectNode root = Json.object();
        root.put("event", name);
        root.set("data", Json.toTree(data == null ? Map.of() : data));
        return Json.write(root);
    }

    @Test
    void everyResultAndEventType_isWrittenByteForByteAsTheMapperWroteIt() throws Exception {
        List<Class<?>> types = resultTypes();
        List<String> names = types.stream().map(Class::getName).toList();
        for (String known : KNOWN) {
            assertTrue(names.contains(known), known + " found by the scan, in " + names);
        }
        int compared = 0;
        for (Class<?> type : types) {
            for (int variant = 0; variant < 6; variant++) {
                Object value = instance(type, variant, 0);
                String id = TEXTS[variant % TEXTS.length];
                assertEquals(new String(oldResult(id, value), StandardCharsets.UTF_8),
                        new String(Messages.result(id, value), StandardCharsets.UTF_8), type.getName() + " variant " + variant);
                assertArrayEquals(oldResult(id, value), Messages.result(id, value), type.getName() + " variant " + variant);
                assertArrayEquals(oldEvent("tokenInserted", value), Messages.event("tokenInserted", value), type.getName());
                compared++;
            }
        }
        assertTrue(compared >= KNOWN.size() * 6, "compared " + compared);
    }

    @Test
    void annotationAndMarker_agree_onEveryRecordThatOmitsNulls() throws Exception {
        // The writer reads the marker, the mapper the annotation: a record with one but not the other would
        // differ only when a component is null; say which record directly.
        for (Class<?> type : resultTypes()) {
            boolean annotated = type.isAnnotationPresent(JsonInclude.class)
                    || Stream.of(type.getInterfaces()).anyMatch(i -> i.isAnnotationPresent(JsonInclude.class));
            assertEquals(annotated, OmitNullFields.class.isAssignableFrom(type), type.getName());
        }
    }

    @Test
    void nullResult_mapsTreesAndRecordsInsideMaps_areWrittenAsBefore() throws Exception {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("n", null);
        map.put("list", List.of(1, 2L, "x", true));
        map.put("record", instance(Class.forName("org.cardbridge.command.token.SignCommand$Result"), 1, 0));
        map.put("bytes", new byte[]{1, 2, (byte) 0xFF});
        map.put("double", 1.5e300);
        map.put("nan", Double.NaN);
        map.put("enum", ErrorCode.PIN_INCORRECT);
        ObjectNode tree = Json.object().put("protocol", "1").put("big", Long.MAX_VALUE);
        for (Object result : new Object[]{null, map, tree, Map.of()}) {
            assertArrayEquals(oldResult("7", result), Messages.result("7", result), String.valueOf(result));
            assertArrayEquals(oldResult(null, result), Messages.result(null, result), String.valueOf(result));
        }
    }

    @Test
    void errorsAndProgress_areWrittenAsBefore() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("pinState", "countLow");
        details.put("length", 1048577);
        details.put("nothing", null);
        details.put("list", List.of("a", "ż"));
        for (Map<String, Object> d : new ArrayList<Map<String, Object>>(java.util.Arrays.asList(null, Map.of(), details))) {
            ObjectNode root = Json.object();
            root.put("id", "e");
            ObjectNode error = root.putObject("error");
            error.put("code", "PIN_INCORRECT");
            error.put("message", "Zły PIN \"x\"");
            error.set("details", Json.toTree(d));
            assertArrayEquals(Json.write(root), Messages.error("e", ErrorCode.PIN_INCORRECT, "Zły PIN \"x\"", d));
        }
        ObjectNode noMessage = Json.object().put("id", "e");
        noMessage.putObject("error").put("code", "INTERNAL_ERROR").put("message", "INTERNAL_ERROR").set("details", Json.object());
        assertArrayEquals(Json.write(noMessage), Messages.error("e", ErrorCode.INTERNAL_ERROR, null, Map.of()));
        ObjectNode progress = Json.object().put("id", "p");
        progress.set("progress", Json.toTree(details));
        assertArrayEquals(Json.write(progress), Messages.progress("p", details));
    }

    /** Every record in the command and watch packages (and the token slot) whose components can be generated. */
    static List<Class<?>> resultTypes() throws Exception {
        Path classes = Path.of(Messages.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Class<?>> out = new ArrayList<>();
        TreeSet<String> names = new TreeSet<>();
        for (String pkg : List.of("org/cardbridge/command", "org/cardbridge/watch")) {
            try (Stream<Path> files = Files.walk(classes.resolve(pkg))) {
                files.filter(f -> f.toString().endsWith(".class"))
                        .forEach(f -> names.add(classes.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "")));
            }
        }
        for (String name : names) {
            Class<?> c = Class.forName(name, false, ResultJsonTest.class.getClassLoader());
            if (c.isRecord() && generatable(c, 0)) {
                out.add(c);
            }
        }
        return out;
    }

    private static boolean generatable(Type t, int depth) {
        if (depth > 4) {
            return false;
        }
        if (t instanceof ParameterizedType p) {
            return p.getRawType() == List.class && generatable(p.getActualTypeArguments()[0], depth + 1);
        }
        if (!(t instanceof Class<?> c)) {
            return false;
        }
        if (c == String.class || c == boolean.class || c == Boolean.class || c == long.class || c == Long.class
                || c == int.class || c == Integer.class || c == byte[].class || c.isEnum()) {
            return true;
        }
        if (c.isRecord()) {
            for (RecordComponent rc : c.getRecordComponents()) {
                if (!generatable(rc.getGenericType(), depth + 1)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    /** Variant 0: every reference null; 1–5: values of several shapes (empty and two-element lists, ...). */
    private static Object value(Type t, int variant, int depth) throws Exception {
        if (t instanceof ParameterizedType p) {
            if (variant == 0) {
                return null;
            }
            if (variant == 2) {
                return List.of();
            }
            List<Object> list = new ArrayList<>();
            for (int i = 0; i < (variant == 3 ? 1 : 2); i++) {
                list.add(value(p.getActualTypeArguments()[0], variant == 5 ? i : variant, depth + 1));
            }
            return variant == 5 ? java.util.Collections.unmodifiableList(list) : list;
        }
        Class<?> c = (Class<?>) t;
        if (c == boolean.class) {
            return variant % 2 == 1;
        } else if (c == long.class) {
            return new long[]{0, Long.MAX_VALUE, Long.MIN_VALUE, -1, 1L << 40, 42}[variant];
        } else if (c == int.class) {
            return new int[]{0, Integer.MAX_VALUE, Integer.MIN_VALUE, -1, 7, 42}[variant];
        } else if (variant == 0 || (variant == 4 && depth > 0 && c != String.class)) {
            return null;
        } else if (c == String.class) {
            return TEXTS[(variant + depth) % TEXTS.length];
        } else if (c == Boolean.class) {
            return variant % 2 == 1;
        } else if (c == Long.class) {
            return (long) variant << 35;
        } else if (c == Integer.class) {
            return -variant;
        } else if (c == byte[].class) {
            return new byte[]{(byte) variant, 0, (byte) 0xFB, (byte) 0xFF};
        } else if (c.isEnum()) {
            Object[] constants = c.getEnumConstants();
            return constants[variant % constants.length];
        }
        return instance(c, variant, depth + 1);
    }

    static Object instance(Class<?> type, int variant, int depth) throws Exception {
        RecordComponent[] rc = type.getRecordComponents();
        Class<?>[] types = new Class<?>[rc.length];
        Object[] args = new Object[rc.length];
        for (int i = 0; i < rc.length; i++) {
            types[i] = rc[i].getType();
            args[i] = value(rc[i].getGenericType(), variant, depth);
        }
        Constructor<?> ctor = type.getDeclaredConstructor(types);
        ctor.setAccessible(true);
        return ctor.newInstance(args);
    }
}
