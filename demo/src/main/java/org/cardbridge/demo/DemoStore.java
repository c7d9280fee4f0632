package org.cardbridge.demo;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The CA's whole state in one JSON file, replaced atomically on every change (write a temporary file in
 * the same directory, force it to disk, rename over the old one): a crash leaves either the old or the new
 * state, never half of one. One process owns the file; changes are serialised by this object's lock.
 */
public final class DemoStore {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    /** The CA keys and certificates, base64 DER (PKCS#8 for keys). The file is readable by its owner only. */
    public record CaMaterial(String rootKey, String rootCertificate, String issuingKey, String issuingCertificate) {
    }

    /** A one-time renewal code, as bought in the CA's shop; {@code usedBy} is the application that spent it. */
    public record Code(String code, String createdAt, String usedAt, String usedBy) {
        boolean used() {
            return usedAt != null;
        }
    }

    /**
     * A renewal application the CA accepted. {@code oldCertificate} is the SHA-256 of the certificate it
     * renews; {@code publicKey} the SHA-256 of the new key's SubjectPublicKeyInfo (how a later visit finds
     * it); {@code certificate} the issued certificate, released when the demo clock reaches {@code notBefore}.
     */
    public record Application(String id, String validity, String oldCertificate, String publicKey,
                              String submittedAt, String notBefore, String certificate) {
    }

    public record State(CaMaterial ca, long clockOffsetSeconds, Map<String, Code> codes,
                        Map<String, Application> applications) {
        public State {
            codes = codes == null ? Map.of() : Map.copyOf(codes);
            applications = applications == null ? Map.of() : Map.copyOf(applications);
        }

        static State empty() {
            return new State(null, 0, Map.of(), Map.of());
        }

        State withCa(CaMaterial c) {
            return new State(c, clockOffsetSeconds, codes, applications);
        }

        State withClockOffset(long seconds) {
            return new State(ca, seconds, codes, applications);
        }

        State withCode(Code c) {
            Map<String, Code> m = new LinkedHashMap<>(codes);
            m.put(c.code(), c);
            return new State(ca, clockOffsetSeconds, m, applications);
        }

        State withApplication(Application a) {
            Map<String, Application> m = new LinkedHashMap<>(applications);
            m.put(a.id(), a);
            return new State(ca, clockOffsetSeconds, codes, m);
        }
    }

    /** What an update function returns: the new state (the same object when nothing changed) and a value. */
    public record Change<T>(State state, T value) {
    }

    private final Path file;
    private final Object lock = new Object();
    private State state;

    private DemoStore(Path file, State state) {
        this.file = file;
        this.state = state;
    }

    /** Opens the store in {@code file}, creating the directory; a missing file is an empty state. */
    public static DemoStore open(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            State s = Files.exists(file) ? MAPPER.readValue(file.toFile(), State.class) : State.empty();
            return new DemoStore(file, s);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the demo CA state " + file, e);
        }
    }

    public Path file() {
        return file;
    }

    public State read() {
        synchronized (lock) {
            return state;
        }
    }

    /** Applies {@code f} to the current state under the lock; a changed state is written before it is visible. */
    public <T> T update(Function<State, Change<T>> f) {
        synchronized (lock) {
            Change<T> c = f.apply(state);
            if (c.state() != state) {
                write(c.state());
                state = c.state();
            }
            return c.value();
        }
    }

    static String now(Instant i) {
        return i.toString();
    }

    private void write(State s) {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, ".state-", ".tmp");
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            }
            byte[] bytes = MAPPER.writeValueAsBytes(s);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the demo CA state " + file, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the failure being reported matters more than a stray temporary file
                }
            }
        }
    }
}
