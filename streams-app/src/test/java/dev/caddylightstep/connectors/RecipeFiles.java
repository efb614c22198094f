package dev.caddylightstep.connectors;

import dev.caddylightstep.testing.Repository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The recipes in the repository's connectors/ directory, read as they are committed. */
public final class RecipeFiles {
    private RecipeFiles() {
    }

    public static Path dir() {
        return Repository.root().resolve("connectors");
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
