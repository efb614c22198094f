package dev.caddylightstep.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository's top directory, for tests that read what is committed beside the code (README, deploy/, connectors/). */
public final class Repository {
    private Repository() {
    }

    /** Found from the test's working directory (streams-app/ under Maven) upwards: the directory with the Maven wrapper. */
    public static Path root() {
        Path at = Path.of("").toAbsolutePath();
        while (at != null) {
            if (Files.exists(at.resolve("mvnw")) && Files.exists(at.resolve("pom.xml"))) {
                return at;
            }
            at = at.getParent();
        }
        throw new IllegalStateException("no repository (a directory with mvnw and pom.xml) above " + Path.of("").toAbsolutePath());
    }
}
