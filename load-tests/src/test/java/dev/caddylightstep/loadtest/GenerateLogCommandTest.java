package dev.caddylightstep.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class GenerateLogCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void writesTheLinesTheGeneratorMakesForTheSeed(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("access.log");

        int exit = new CommandLine(new GenerateLogCommand()).execute("--lines", "500", "--seed", "3", "--out", out.toString());

        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        new CaddyLogGenerator(GeneratorSettings.defaults().withSeed(3)).writeLines(expected, 500);
        assertThat(exit).isZero();
        assertThat(Files.readAllBytes(out)).isEqualTo(expected.toByteArray());
    }

    /** Every request of the group's users logged in the spell is slower than --slow-ms by what it took without it; nothing else changes. */
    @Test
    void aSlowGroupsRequestsInTheSpellAreSlowerAndTheRestIsTheSameLog(@TempDir Path dir) throws IOException {
        Path plain = dir.resolve("plain.log");
        Path slow = dir.resolve("slow.log");
        String[] common = {"--start", "2026-12-01T00:00:00Z", "--minutes", "30", "--log-rate", "20"};
        new CommandLine(new GenerateLogCommand()).execute(concat(common, "--out", plain.toString()));
        int exit = new CommandLine(new GenerateLogCommand()).execute(concat(common, "--slow-group", "sales", "--slow-from", "10",
                "--slow-minutes", "5", "--slow-ms", "2000", "--out", slow.toString()));

        assertThat(exit).isZero();
        List<String> before = Files.readAllLines(plain);
        List<String> after = Files.readAllLines(slow);
        assertThat(after).hasSameSizeAs(before);
        Instant from = Instant.parse("2026-12-01T00:10:00Z");
        Instant until = Instant.parse("2026-12-01T00:15:00Z");
        int slowed = 0;
        for (int i = 0; i < before.size(); i++) {
            JsonNode was = tree(before.get(i));
            JsonNode is = tree(after.get(i));
            boolean inSpell = is != null && SiteTables.usersOf("sales").contains(is.path("user_id").asText())
                    && !instant(is).isBefore(from) && instant(is).isBefore(until);
            if (!inSpell) {
                assertThat(after.get(i)).isEqualTo(before.get(i));
                continue;
            }
            slowed++;
            assertThat(is.get("duration").decimalValue()).isEqualByComparingTo(was.get("duration").decimalValue().add(BigDecimal.valueOf(2)));
            ((ObjectNode) is).remove("duration");
            ((ObjectNode) was).remove("duration");
            assertThat(is).isEqualTo(was);
        }
        assertThat(slowed).isGreaterThan(100);
    }

    private static String[] concat(String[] first, String... more) {
        return Stream.concat(Arrays.stream(first), Arrays.stream(more)).toArray(String[]::new);
    }

    private static Instant instant(JsonNode line) {
        BigDecimal ts = line.get("ts").decimalValue();
        return Instant.ofEpochSecond(ts.longValue(), ts.remainder(BigDecimal.ONE).movePointRight(9).longValue());
    }

    private static JsonNode tree(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            return null;
        }
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
