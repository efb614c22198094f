package dev.caddylightstep.ship;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/** A file's key and size now, or null if it does not exist. */
record FileState(String fileKey, long size) {
    static FileState of(Path path) throws IOException {
        try {
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            return new FileState(String.valueOf(attributes.fileKey()), attributes.size());
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    static long sizeOf(Path path) {
        try {
            return Files.size(path);
        } catch (IOException e) {
            return 0;
        }
    }
}
