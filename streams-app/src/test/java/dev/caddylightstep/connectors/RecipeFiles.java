package dev.caddylightstep.connectors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The recipes in the repository's connectors/ directory, read as they are committed. */
public final class RecipeFiles {
    private RecipeFiles() {
    }

    /** connectors/, found from the test's working directory (streams-app/ under Maven) upwards. */
    public static Path dir() {
        Path at = Path.of("").toAbsolutePath();
        while (at != null) {
            Path candidate = at.resolve("connectors");
            if (Files.isDirectory(candidate) && Files.exists(at.resolve("pom.xml"))) {
                return candidate;
            }
            at = at.getParent();
        }
        throw new IllegalStateException("no connectors/ directory above " + Path.of("").toAbsolutePath());
    }

    public static Path path(String relative) {
        return dir().resolve(relative);
    }

    public static String read(String relative) {
        try {
            return Files.readString(path(relative), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
