package org.cardbridge.protocol;

import org.cardbridge.policy.OperationClass;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The page API's types and the protocol document agree with the host's types by construction: their message
 * shapes are generated from the result records ({@link ProtocolTypes}), and this test fails while the
 * committed files differ from what the types give. With {@code -Dcardbridge.writeProtocolTypes=true} it
 * rewrites them instead (see docs/protocol.md, "Where the shapes are defined").
 */
class ProtocolTypesTest {
    private static final ProtocolTypes TYPES = new ProtocolTypes();

    @Test
    void generatedShapes_areTheCommittedOnes_inTheDtsAndTheProtocolDoc() throws Exception {
        if (Boolean.getBoolean("cardbridge.writeProtocolTypes")) {
            TYPES.write();
        }
        String dts = Files.readString(ProtocolTypes.dts());
        String md = Files.readString(ProtocolTypes.protocolMd());
        String hint = " is stale: regenerate with ./mvnw -B -ntp -pl host surefire:test -Dtest=ProtocolTypesTest"
                + " -Dcardbridge.writeProtocolTypes=true";
        assertEquals(ProtocolTypes.splice(dts, ProtocolTypes.TS_BEGIN, ProtocolTypes.TS_END, TYPES.typeScript()), dts,
                "extension/api/cardbridge.d.ts" + hint);
        assertEquals(ProtocolTypes.splice(md, ProtocolTypes.MD_BEGIN, ProtocolTypes.MD_END, TYPES.markdown()), md,
                "docs/protocol.md" + hint);
    }

    @Test
    void generatedTypes_nameEveryOperationErrorCodeAndEvent() {
        String ts = TYPES.typeScript();
        for (ProtocolTypes.Operation op : TYPES.operationList()) {
            assertTrue(ts.contains("\n  " + op.name() + ": " + ProtocolTypes.nameOf(op.result()) + ";\n"), op.name());
        }
        for (ErrorCode code : ErrorCode.values()) {
            assertTrue(ts.contains("  | \"" + code.name() + "\"\n") || ts.contains("  | \"" + code.name() + "\";"), code.name());
        }
        for (String event : ProtocolTypes.events().keySet()) {
            assertTrue(ts.contains("\n  " + event + ": { "), event);
        }
        // The shapes pages rely on, spelt out: a change here is a change of the protocol.
        assertTrue(ts.contains("export interface Token {\n  token: string | null;\n  module: string;\n  slotId: number;\n"), ts);
        assertTrue(ts.contains("  pinState: PinState | null;\n  algorithms: Algorithm[];\n}"), ts);
        assertTrue(ts.contains("export type SignResult = SingleSignResult | BatchSignResult;"), ts);
        assertTrue(ts.contains("  oldKeyKeptReason?: \"usedByAnotherCertificate\" | \"usedByNewCertificate\" | \"noKeyId\";"), ts);
        assertTrue(ts.contains("tokenInserted: { reader: string; token?: string; atr?: string; module?: string; moduleMatched: boolean }"), ts);
        assertTrue(ts.contains("export type Algorithm = \"RSA-2048\" | \"RSA-3072\" | \"RSA-4096\" | \"EC-P256\" | \"EC-P384\";"), ts);
    }

    /** Each page-API function named after an operation resolves with that operation's generated result type. */
    @Test
    void everyPageApiFunctionOfAnOperation_resolvesWithItsResultType() throws Exception {
        String dts = Files.readString(ProtocolTypes.dts());
        int checked = 0;
        for (ProtocolTypes.Operation op : TYPES.operationList()) {
            int at = dts.indexOf("export declare function " + op.name() + "(");
            if (at < 0) {
                continue; // hello (status), cancel (an AbortSignal), subscribe (on/off), the extension's own operations
            }
            int promise = dts.indexOf("): Promise<", at);
            String declared = dts.substring(promise + "): Promise<".length(), dts.indexOf(">;\n", promise));
            assertEquals(ProtocolTypes.nameOf(op.result()), declared, op.name() + "'s declaration in cardbridge.d.ts");
            checked++;
        }
        assertTrue(checked >= 11, "page-API functions checked: " + checked);
        assertTrue(dts.contains("export interface Status extends HelloResult {"), "status() is hello's answer");
    }

    /** The prose table of error codes has one row per code, in the enum's order. */
    @Test
    void errorCodeTable_listsExactlyTheHostsCodes_inOrder() throws Exception {
        String md = Files.readString(ProtocolTypes.protocolMd());
        String section = md.substring(md.indexOf("\n## Error codes\n"), md.indexOf("\n## Operations\n"));
        List<String> rows = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\| `([A-Z_]+)` \\|").matcher(section);
        while (m.find()) {
            rows.add(m.group(1));
        }
        assertEquals(Arrays.stream(ErrorCode.values()).map(Enum::name).toList(), rows);
    }

    /** "Who may do what": the class of each operation is the one its handler declares. */
    @Test
    void operationClassTable_isTheHandlersClasses() throws Exception {
        String md = Files.readString(ProtocolTypes.protocolMd());
        int start = md.indexOf("| class | operations |");
        String table = md.substring(start, md.indexOf("\n\n", start));
        Map<String, TreeSet<String>> documented = new TreeMap<>();
        for (String line : table.split("\n")) {
            String[] cells = line.split("\\|");
            if (cells.length < 3 || cells[1].isBlank() || cells[1].contains("class") || cells[1].contains("---")) {
                continue;
            }
            String cls = cells[1].trim().replace("`", "");
            String ops = cells[2].contains(":") ? cells[2].substring(0, cells[2].indexOf(':')) : cells[2];
            Matcher m = Pattern.compile("`(\\w+)`").matcher(ops);
            TreeSet<String> names = documented.computeIfAbsent(cls, k -> new TreeSet<>());
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        Map<String, TreeSet<String>> actual = new TreeMap<>();
        for (ProtocolTypes.Operation op : TYPES.operationList()) {
            String cls = op.operationClass() == OperationClass.NONE ? "none" : op.operationClass().name().toLowerCase();
            actual.computeIfAbsent(cls, k -> new TreeSet<>()).add(op.name());
        }
        assertEquals(actual, documented);
    }

    /** Each operation's heading line `{params} → {result}` names the result's fields, where the doc writes one. */
    @Test
    void resultShorthandsInTheOperationSections_nameTheRecordsFields() throws Exception {
        String md = Files.readString(ProtocolTypes.protocolMd());
        Map<String, String> shorthands = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?s)\n### (\\w+) \\(`\\w+`\\)\n\n`\\{[^`]*\\}` →\\s*`\\{(.*?)\\}`").matcher(md);
        while (m.find()) {
            shorthands.put(m.group(1), m.group(2));
        }
        assertFalse(shorthands.isEmpty());
        for (ProtocolTypes.Operation op : TYPES.operationList()) {
            String shorthand = shorthands.get(op.name());
            if (shorthand == null || !op.result().isRecord()) {
                continue;
            }
            List<String> fields = topLevelNames(shorthand);
            List<String> components = Arrays.stream(op.result().getRecordComponents())
                    .filter(rc -> !rc.getAccessor().isAnnotationPresent(Deprecated.class)).map(rc -> rc.getName()).toList();
            assertEquals(components, fields, op.name() + ": " + shorthand);
        }
    }

    /** {@code a, b: [{c, d}], e?} → a, b, e. */
    private static List<String> topLevelNames(String shorthand) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        StringBuilder current = new StringBuilder();
        for (char c : (shorthand + ",").toCharArray()) {
            if (c == '[' || c == '{') {
                depth++;
            } else if (c == ']' || c == '}') {
                depth--;
            } else if (c == ',' && depth == 0) {
                String name = current.toString().trim().replaceAll("[?:].*$", "").trim();
                if (!name.isEmpty()) {
                    out.add(name);
                }
                current.setLength(0);
                continue;
            }
            if (depth == 0) {
                current.append(c);
            }
        }
        return out;
    }
}
