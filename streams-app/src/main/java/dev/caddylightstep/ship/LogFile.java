package dev.caddylightstep.ship;

import java.nio.file.Path;

/**
 * One log file as the shipper knows it, whatever its name is now.
 *
 * @param path where it was opened (the live name, or a rotated one)
 * @param fileKey the file system's identity of the open file (device and inode on Linux), the same after a rename
 * @param fingerprint its first bytes, the same after a rename and after gzip
 */
record LogFile(Path path, String fileKey, Fingerprint fingerprint) {
}
