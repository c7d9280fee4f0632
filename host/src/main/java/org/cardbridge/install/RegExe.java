package org.cardbridge.install;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@link Registry} through {@code reg.exe}. Values are read with {@code reg export}, not {@code reg query}:
 * {@code query} prints to a pipe in the console's OEM code page, so a path under {@code C:\Users\Łukasz}
 * comes back as {@code Lukasz} or {@code ?ukasz}; an export file is UTF-16 and exact.
 */
final class RegExe implements Registry {
    private final List<String> reg;
    private final Map<String, String> env;

    RegExe(List<String> reg, Map<String, String> env) {
        this.reg = List.copyOf(reg);
        this.env = Map.copyOf(env);
    }

    @Override
    public Optional<String> defaultValue(String key, View view) {
        Path file = null;
        try {
            file = Files.createTempFile("cardbridge-reg", ".reg");
            // Exit 1 and no file content when the key is absent; /y overwrites the empty temporary file.
            if (run(List.of("export", key, file.toString(), "/y", flag(view))).code() != 0) {
                return Optional.empty();
            }
            return defaultValueOf(Files.readAllBytes(file), env);
        } catch (IOException e) {
            return Optional.empty();
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // A temporary file left behind holds only the path the browser reads anyway.
                }
            }
        }
    }

    @Override
    public void putDefault(String key, String value) throws IOException {
        check(List.of("add", key, "/ve", "/t", "REG_SZ", "/d", value, "/f", flag(View.BITS_64)));
    }

    @Override
    public void delete(String key) throws IOException {
        if (defaultValue(key, View.BITS_64).isPresent()) {
            check(List.of("delete", key, "/f", flag(View.BITS_64)));
        }
    }

    private static String flag(View view) {
        return view == View.BITS_32 ? "/reg:32" : "/reg:64";
    }

    /**
     * The default value of the first key in a {@code reg export} file (UTF-16LE with a byte-order mark, or
     * UTF-8 without one): a {@code REG_SZ} string, or a {@code REG_EXPAND_SZ} with its {@code %VARIABLES%}
     * expanded as browsers expand them. Any other type is no path, as for the browsers.
     */
    static Optional<String> defaultValueOf(byte[] export, Map<String, String> env) {
        String text = export.length >= 2 && (export[0] & 0xff) == 0xff && (export[1] & 0xff) == 0xfe
                ? new String(export, 2, export.length - 2, StandardCharsets.UTF_16LE)
                : new String(export, StandardCharsets.UTF_8);
        List<String> lines = joinContinuations(text.split("\r?\n"));
        boolean inFirstKey = false;
        for (String line : lines) {
            if (line.startsWith("[")) {
                if (inFirstKey) {
                    return Optional.empty(); // the next key: a subkey's default value is not ours
                }
                inFirstKey = true;
            } else if (inFirstKey && line.startsWith("@=")) {
                String v = line.substring(2);
                if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                    return Optional.of(unescape(v.substring(1, v.length() - 1)));
                }
                if (v.startsWith("hex(2):")) {
                    return Optional.of(expand(utf16Hex(v.substring("hex(2):".length())), env));
                }
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** A long hex value goes on over lines that end in a backslash. */
    private static List<String> joinContinuations(String[] raw) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = null;
        for (String line : raw) {
            String piece = cur == null ? line : line.strip();
            boolean goesOn = piece.endsWith("\\") && (cur != null || piece.startsWith("@=hex"));
            if (cur == null) {
                cur = new StringBuilder();
            }
            cur.append(goesOn ? piece.substring(0, piece.length() - 1) : piece);
            if (!goesOn) {
                out.add(cur.toString());
                cur = null;
            }
        }
        if (cur != null) {
            out.add(cur.toString());
        }
        return out;
    }

    private static String unescape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                c = s.charAt(++i);
            }
            out.append(c);
        }
        return out.toString();
    }

    private static String utf16Hex(String hex) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (String b : hex.split(",")) {
            if (!b.isBlank()) {
                bytes.write(Integer.parseInt(b.strip(), 16));
            }
        }
        String s = bytes.toString(StandardCharsets.UTF_16LE);
        int nul = s.indexOf('\0');
        return nul >= 0 ? s.substring(0, nul) : s;
    }

    /** {@code %NAME%} from the environment, names compared without case as on Windows; unknown ones stay. */
    static String expand(String s, Map<String, String> env) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < s.length()) {
            int start = s.indexOf('%', i);
            int end = start < 0 ? -1 : s.indexOf('%', start + 1);
            if (end < 0) {
                out.append(s, i, s.length());
                break;
            }
            String value = lookup(env, s.substring(start + 1, end));
            out.append(s, i, start).append(value != null ? value : s.substring(start, end + 1));
            i = end + 1;
        }
        return out.toString();
    }

    private static String lookup(Map<String, String> env, String name) {
        if (name.isEmpty()) {
            return null;
        }
        String v = env.get(name);
        if (v != null) {
            return v;
        }
        for (var e : env.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    private void check(List<String> args) throws IOException {
        Result r = run(args);
        if (r.code() != 0) {
            throw new IOException("reg " + String.join(" ", args) + ": " + r.output().strip());
        }
    }

    private record Result(int code, String output) {
    }

    private Result run(List<String> args) throws IOException {
        List<String> command = new ArrayList<>(reg);
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("reg " + args.getFirst() + " did not finish in 30 s");
            }
            // reg's messages are console text (the console's code page); they only explain a failure.
            String cs = System.getProperty("stdout.encoding", System.getProperty("native.encoding", "UTF-8"));
            return new Result(p.exitValue(), new String(out, java.nio.charset.Charset.isSupported(cs)
                    ? java.nio.charset.Charset.forName(cs) : StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
