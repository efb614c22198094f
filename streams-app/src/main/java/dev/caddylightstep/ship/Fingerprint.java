package dev.caddylightstep.ship;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.GZIPInputStream;

/**
 * A hash of the first bytes of a log file. Caddy's rotation renames the file (same inode) and later gzips it
 * (new inode): the hash of the first bytes is what still says "this is the file we were reading" after both,
 * and it also tells a reused inode number from the file that had it before.
 *
 * @param length how many bytes were hashed: {@link #LENGTH}, or fewer if the file was that short then
 * @param sha256 the SHA-256 of those bytes, in hex
 */
record Fingerprint(int length, String sha256) {
    static final int LENGTH = 1024;
    static final Fingerprint EMPTY = of(new byte[0], 0);

    static Fingerprint of(byte[] head, int length) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(head, 0, length);
            return new Fingerprint(length, HexFormat.of().formatHex(digest.digest()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** The fingerprint of the first {@code length} bytes of a file (decompressed if it is a .gz), or null if it is shorter or gone. */
    static Fingerprint of(Path file, int length) throws IOException {
        try (InputStream in = open(file)) {
            byte[] head = in.readNBytes(length);
            return head.length < length ? null : of(head, length);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Whether a file starts with the bytes this fingerprint was made of. */
    boolean matches(Path file) throws IOException {
        return equals(of(file, length));
    }

    static InputStream open(Path file) throws IOException {
        InputStream in = Files.newInputStream(file);
        if (!RotatedFiles.isGzip(file)) {
            return in;
        }
        try {
            return new GZIPInputStream(in, 64 * 1024);
        } catch (IOException e) {
            in.close();
            throw e;
        }
    }
}
