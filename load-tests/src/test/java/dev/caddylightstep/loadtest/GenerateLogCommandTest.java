package dev.caddylightstep.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class GenerateLogCommandTest {

    @Test
    void writesTheLinesTheGeneratorMakesForTheSeed(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("access.log");

        int exit = new CommandLine(new GenerateLogCommand()).execute("--lines", "500", "--seed", "3", "--out", out.toString());

        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        new CaddyLogGenerator(GeneratorSettings.defaults().withSeed(3)).writeLines(expected, 500);
        assertThat(exit).isZero();
        assertThat(Files.readAllBytes(out)).isEqualTo(expected.toByteArray());
    }

    @Test
    void refusesAShareAboveOneNamingIt(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        CommandLine command = new CommandLine(new GenerateLogCommand()).setErr(new PrintWriter(err));

        int exit = command.execute("--malformed-share", "1.5", "--out", dir.resolve("x.log").toString());

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("malformedShare");
    }
}
