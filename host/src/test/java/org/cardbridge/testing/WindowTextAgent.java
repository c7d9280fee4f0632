package org.cardbridge.testing;

import javax.swing.AbstractButton;
import javax.swing.JLabel;
import javax.swing.JPasswordField;
import javax.swing.SwingUtilities;
import javax.swing.text.JTextComponent;
import java.awt.Component;
import java.awt.Container;
import java.awt.Window;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * A test-only probe that reads what the host's real windows say, for tests that start the built host as
 * a browser does (its windows are in another process, where the test cannot call Swing). Attached through
 * {@code JAVA_TOOL_OPTIONS=-javaagent:…} (see {@link #javaToolOptions}); nothing of it is in the shipped
 * host. Once the host has loaded its Swing dialogs, it writes every 100 ms the text of each showing
 * {@code cardbridge-*} window to {@code <dir>/now.txt}, and each window it ever saw, once, to
 * {@code <dir>/seen.txt}. A PIN field is never read.
 *
 * <p>Format, one item a line: {@code window <id> <name>}, then {@code <kind> <name> <base64 of the UTF-8 text>}
 * for each visible text (kind {@code text}, {@code label}, {@code button}, {@code document}) in layout order;
 * a button adds whether it is enabled. The document is its exact text: the test compares it with the bytes
 * signed.
 */
public final class WindowTextAgent {
    private WindowTextAgent() {
    }

    public static void premain(String dir, Instrumentation instrumentation) {
        Path out = Path.of(dir);
        Thread t = new Thread(() -> run(out, instrumentation), "window-text-agent");
        t.setDaemon(true);
        t.start();
    }

    private static void run(Path dir, Instrumentation instrumentation) {
        try {
            Files.createDirectories(dir);
            // Nothing of AWT is touched before the host shows its first dialog: start-up stays the host's own.
            while (Arrays.stream(instrumentation.getAllLoadedClasses()).noneMatch(c -> c.getName().equals("org.cardbridge.ui.SwingUserInterface"))) {
                Thread.sleep(100);
            }
            Set<Integer> seen = new HashSet<>();
            String last = null;
            while (true) {
                String[] snapshot = new String[1];
                List<String> fresh = new ArrayList<>();
                SwingUtilities.invokeAndWait(() -> snapshot[0] = snapshot(seen, fresh));
                if (!snapshot[0].equals(last)) {
                    Path tmp = dir.resolve("now.tmp");
                    Files.writeString(tmp, snapshot[0], StandardCharsets.UTF_8);
                    Files.move(tmp, dir.resolve("now.txt"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    last = snapshot[0];
                }
                for (String w : fresh) {
                    Files.writeString(dir.resolve("seen.txt"), w, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException | IOException | java.lang.reflect.InvocationTargetException e) {
            System.err.println("window-text-agent: " + e);
        }
    }

    private static String snapshot(Set<Integer> seen, List<String> fresh) {
        StringBuilder all = new StringBuilder();
        for (Window w : Window.getWindows()) {
            if (!w.isShowing() || w.getName() == null || !w.getName().startsWith("cardbridge-")) {
                continue;
            }
            StringBuilder one = new StringBuilder("window " + System.identityHashCode(w) + " " + w.getName() + "\n");
            texts(w, one);
            all.append(one);
            if (seen.add(System.identityHashCode(w))) {
                fresh.add(one.toString());
            }
        }
        return all.toString();
    }

    private static void texts(Container parent, StringBuilder out) {
        for (Component c : parent.getComponents()) {
            if (!c.isVisible()) {
                continue;
            }
            if (c instanceof JPasswordField) {
                continue; // never the PIN
            }
            if (c instanceof JTextComponent text) {
                out.append("document".equals(c.getName()) ? "document " : "text ").append(c.getName()).append(' ')
                        .append(b64(text.getText())).append('\n');
            } else if (c instanceof JLabel label) {
                out.append("label ").append(c.getName()).append(' ').append(b64(label.getText())).append('\n');
            } else if (c instanceof AbstractButton button) {
                out.append("button ").append(c.getName()).append(' ').append(b64(button.getText())).append(' ')
                        .append(button.isEnabled()).append('\n');
            } else if (c instanceof Container inner) {
                texts(inner, out);
            }
        }
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString((s == null ? "" : s).getBytes(StandardCharsets.UTF_8));
    }

    /** {@code JAVA_TOOL_OPTIONS} that attach the probe to a JVM, writing into {@code dir}; builds its jar once. */
    public static synchronized String javaToolOptions(Path dir) {
        return "-javaagent:" + jar() + "=" + dir.toAbsolutePath();
    }

    private static Path jar;

    private static Path jar() {
        if (jar != null) {
            return jar;
        }
        try {
            Path file = Files.createTempFile("window-text-agent", ".jar");
            Manifest manifest = new Manifest();
            manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            manifest.getMainAttributes().put(new Attributes.Name("Premain-Class"), WindowTextAgent.class.getName());
            try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(file), manifest)) {
                String base = WindowTextAgent.class.getName().replace('.', '/');
                Path classes = Path.of(WindowTextAgent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                // In the demo's tests the class comes from the host's tests jar: read the jar's own entries.
                java.nio.file.FileSystem inJar = Files.isRegularFile(classes) ? java.nio.file.FileSystems.newFileSystem(classes) : null;
                Path dirOfClass = (inJar != null ? inJar.getPath("/") : classes).resolve(base).getParent();
                try (inJar; var files = Files.list(dirOfClass)) {
                    for (Path f : files.filter(p -> p.getFileName().toString().startsWith("WindowTextAgent")).toList()) {
                        jar.putNextEntry(new JarEntry(base.substring(0, base.lastIndexOf('/') + 1) + f.getFileName()));
                        jar.write(Files.readAllBytes(f));
                        jar.closeEntry();
                    }
                }
            }
            file.toFile().deleteOnExit();
            jar = file;
            return file;
        } catch (IOException | java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One window as the probe saw it. */
    public record Seen(String id, String name, List<String[]> items) {
        /** All its texts joined by newlines (buttons and labels included), for assertions on what a person reads. */
        public String text() {
            StringBuilder out = new StringBuilder();
            for (String[] item : items) {
                out.append(item[2]).append('\n');
            }
            return out.toString();
        }

        /** The exact text of the component named {@code name}, or null. */
        public String get(String componentName) {
            return items.stream().filter(i -> i[1].equals(componentName)).map(i -> i[2]).findFirst().orElse(null);
        }

        /** Whether the button named so is enabled. */
        public boolean enabled(String button) {
            return items.stream().anyMatch(i -> i[0].equals("button") && i[1].equals(button) && i[3].equals("true"));
        }
    }

    /** Parses a probe file ({@code now.txt} or {@code seen.txt}). */
    public static List<Seen> parse(String text) {
        List<Seen> out = new ArrayList<>();
        Seen current = null;
        for (String line : text.lines().toList()) {
            String[] p = line.split(" ", -1);
            if (p[0].equals("window")) {
                current = new Seen(p[1], p[2], new ArrayList<>());
                out.add(current);
            } else if (current != null && p.length >= 3) {
                String value = new String(Base64.getDecoder().decode(p[2]), StandardCharsets.UTF_8);
                current.items().add(new String[]{p[0], p[1], value, p.length > 3 ? p[3] : ""});
            }
        }
        return out;
    }
}
