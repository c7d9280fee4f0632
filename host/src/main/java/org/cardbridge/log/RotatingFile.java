package org.cardbridge.log;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * {@code host.0.log} … {@code host.<count-1>.log} in one directory: lines are appended to
 * {@code host.0.log}; when it would pass the size limit it becomes {@code host.1.log} (the oldest
 * file is dropped) and a new one starts. Several host processes (one per browser connection) may append
 * to the same file: each line is one append-mode write, so lines never interleave.
 */
final class RotatingFile extends LogSink {
    private final Path dir;
    private final long limit;
    private final int count;
    private FileOutputStream out;
    private long size;

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
    }

    @Override
    void append(byte[] line) throws IOException {
        if (size > 0 && size + line.length > limit) {
            rotate();
        }
        out.write(line);
        size += line.length;
    }

    private void rotate() throws IOException {
        out.close();
        for (int g = count - 1; g > 0; g--) {
            Path older = file(dir, g - 1);
            if (Files.exists(older)) {
                Files.move(older, file(dir, g), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        open();
    }
}
