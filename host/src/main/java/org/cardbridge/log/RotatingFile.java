package org.cardbridge.log;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * {@code host.0.log} … {@code host.<count-1>.log} in one directory: lines are appended to
 * {@code host.0.log}; when it would pass the size limit it becomes {@code host.1.log} (the oldest
 * file is dropped) and a new one starts.
 *
 * <p>Several host processes (one per browser connection, and one per browser or profile) append to the
 * same files. Each line is one append-mode write, so lines never interleave. A process whose file another
 * one has already rotated (on POSIX it still writes into what is now {@code host.1.log}) notices by the
 * file's identity and continues in the new {@code host.0.log} instead of rotating again; where the OS
 * refuses to rename a file another process holds open (Windows), it keeps appending and tries later.
 */
final class RotatingFile extends LogSink {
    private final Path dir;
    private final long limit;
    private final int count;
    private FileOutputStream out;
    private long size;
    private Object identity;
    private long rotateAt;

    RotatingFile(Level level, Path dir, long limit, int count) throws IOException {
        super(level);
        this.dir = dir;
        this.limit = limit;
        this.count = count;
        open();
        if (size >= limit) {
            rotate();
        }
    }

    static Path file(Path dir, int generation) {
        return dir.resolve("host." + generation + ".log");
    }

    private void open() throws IOException {
        Path current = file(dir, 0);
        out = new FileOutputStream(current.toFile(), true);
        size = Files.size(current);
        identity = identity(current);
        rotateAt = limit;
    }

    /** The file's identity (inode and device on POSIX); null where the OS gives none (Windows) or it is gone. */
    private static Object identity(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    void append(byte[] line) throws IOException {
        if (size > 0 && size + line.length > rotateAt) {
            rotate();
        }
        out.write(line);
        size += line.length;
    }

    private void rotate() throws IOException {
        out.close();
        if (identity != null && !Objects.equals(identity, identity(file(dir, 0)))) {
            open(); // another process rotated already: ours is host.1 now
            return;
        }
        try {
            for (int g = count - 1; g > 0; g--) {
                Path older = file(dir, g - 1);
                if (Files.exists(older)) {
                    Files.move(older, file(dir, g), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            open(); // a file in use elsewhere cannot be renamed (Windows): go on, try again a quarter later
            rotateAt = size + limit / 4;
            return;
        }
        open();
    }
}
