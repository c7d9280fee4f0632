package org.cardbridge.install;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Reading {@code reg export} files as Windows writes them; WineRegistryIT has reg.exe write them for real. */
class RegExeTest {
    static byte[] utf16(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0xff);
        out.write(0xfe);
        out.writeBytes(text.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_16LE));
        return out.toByteArray();
    }

    static Optional<String> read(String export) {
        return RegExe.defaultValueOf(utf16(export), Map.of("LOCALAPPDATA", "C:\\Users\\Łukasz\\AppData\\Local"));
    }

    @Test
    void aStringWithBackslashesQuotesAndPolishLetters() {
        assertEquals(Optional.of("C:\\Users\\Łukasz Żółć\\x \"q\".json"), read("""
                Windows Registry Editor Version 5.00

                [HKEY_CURRENT_USER\\SOFTWARE\\Google\\Chrome\\NativeMessagingHosts\\org.cardbridge.host]
                @="C:\\\\Users\\\\Łukasz Żółć\\\\x \\"q\\".json"

                """));
    }

    @Test
    void anExpandableStringOverSeveralLinesIsExpandedAsBrowsersDo() {
        // %LOCALAPPDATA%\CardBridge\Łódź.json as REG_EXPAND_SZ; the variable's name in another case.
        String hex = hexUtf16("%localappdata%\\CardBridge\\Łódź.json");
        String wrapped = hex.substring(0, 60) + "\\\n  " + hex.substring(60, 120) + "\\\n  " + hex.substring(120);
        assertEquals(Optional.of("C:\\Users\\Łukasz\\AppData\\Local\\CardBridge\\Łódź.json"), read("""
                Windows Registry Editor Version 5.00

                [HKEY_LOCAL_MACHINE\\SOFTWARE\\Mozilla\\NativeMessagingHosts\\org.cardbridge.host]
                @=hex(2):%s

                """.formatted(wrapped)));
        assertEquals("%UNSET%\\a;%", RegExe.expand("%UNSET%\\a;%", Map.of()));
    }

    @Test
    void onlyTheKeysOwnDefaultValueCounts() {
        // No default value, but a named one, and a subkey with a default value.
        assertEquals(Optional.empty(), read("""
                Windows Registry Editor Version 5.00

                [HKEY_CURRENT_USER\\SOFTWARE\\Mozilla\\NativeMessagingHosts\\org.cardbridge.host]
                "other"="C:\\\\x.json"

                [HKEY_CURRENT_USER\\SOFTWARE\\Mozilla\\NativeMessagingHosts\\org.cardbridge.host\\sub]
                @="C:\\\\sub.json"

                """));
        // A DWORD is no path for a browser either.
        assertEquals(Optional.empty(), read("""
                Windows Registry Editor Version 5.00

                [HKEY_CURRENT_USER\\SOFTWARE\\Mozilla\\NativeMessagingHosts\\org.cardbridge.host]
                @=dword:00000001

                """));
        assertEquals(Optional.empty(), RegExe.defaultValueOf(new byte[0], Map.of()));
    }

    static String hexUtf16(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : (s + "\0").getBytes(StandardCharsets.UTF_16LE)) {
            out.append(out.isEmpty() ? "" : ",").append(String.format("%02x", b & 0xff));
        }
        return out.toString();
    }
}
