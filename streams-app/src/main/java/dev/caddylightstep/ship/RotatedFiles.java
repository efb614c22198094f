package dev.caddylightstep.ship;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The rotated copies of a Caddy log file. Caddy's file writer (lumberjack) renames the live {@code NAME.log} to
 * {@code NAME-2026-11-25T00-00-18.853.log} (UTC), creates a new {@code NAME.log}, and later, in the
 * background, writes {@code NAME-...log.gz} and only then deletes the uncompressed copy; old copies beyond
 * roll_keep are deleted.
 */
final class RotatedFiles {
    private static final String GZIP_SUFFIX = ".gz";
    private final Path directory;
    private final Pattern rotatedName;

    RotatedFiles(Path live) {
        this.directory = live.toAbsolutePath().getParent();
        String name = live.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String prefix = dot > 0 ? name.substring(0, dot) : name;
        String extension = dot > 0 ? name.substring(dot) : "";
        this.rotatedName = Pattern.compile(Pattern.quote(prefix)
                + "-(\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}\\.\\d{3})" + Pattern.quote(extension) + "(\\.gz)?");
    }

    static boolean isGzip(Path file) {
        return file.getFileName().toString().endsWith(GZIP_SUFFIX);
    }

    /** Where Caddy puts a rotated copy once compressed. */
    static Path compressed(Path rotatedCopy) {
        return rotatedCopy.resolveSibling(rotatedCopy.getFileName() + GZIP_SUFFIX);
    }

    /**
     * The first file of the chain rolled after a rotated copy, by the time in the names; null if the copy's name
     * is not a rotated one (a live file that went elsewhere) or nothing came after it.
     */
    Path after(List<Path> chain, Path rotatedCopy) {
        String time = timeOf(rotatedCopy);
        if (time == null) {
            return null;
        }
        for (Path path : chain) {
            String other = timeOf(path);
            if (other == null || other.compareTo(time) > 0) {
                return path;
            }
        }
        return null;
    }

    private String timeOf(Path file) {
        Matcher m = rotatedName.matcher(file.getFileName().toString());
        return m.matches() ? m.group(1) : null;
    }

    /**
     * The rotated copies, oldest first (the timestamp in the name sorts). Where both a copy and its .gz exist,
     * the .gz is still being written: the uncompressed copy is the one to read.
     * <p>
     * A directory listing is not a snapshot: one taken while a copy is gzipped can miss it under both names (the
     * copy deleted before the listing reaches it, the .gz created where the listing has already been), and the
     * follower would skip that file. The .gz exists before the copy is deleted, so the next listing sees it:
     * the directory is listed twice and the two are merged.
     */
    List<Path> oldestFirst() throws IOException {
        Map<String, Path> byTimestamp = new TreeMap<>();
        list(byTimestamp);
        list(byTimestamp);
        return new ArrayList<>(byTimestamp.values());
    }

    private void list(Map<String, Path> byTimestamp) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Matcher m = rotatedName.matcher(file.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                byTimestamp.merge(m.group(1), file, (seen, other) -> isGzip(seen) ? other : seen);
            }
        }
    }
}
