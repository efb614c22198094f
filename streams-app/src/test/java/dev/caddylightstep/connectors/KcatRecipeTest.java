package dev.caddylightstep.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.testing.kafka.TopicRecords;
import dev.caddylightstep.testing.capture.CaddyCapture;
import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the exact kcat lines of connectors/kcat/README.md against a broker, on a topic of this class's own (the broker is
 * the one the test classes share). Skipped when kcat is not installed.
 */
@ExtendWith(SharedBroker.class)
class KcatRecipeTest {
    private static final Pattern TESTED_BLOCK = Pattern.compile("<!-- tested by KcatRecipeTest -->\\s*```sh\\n(.*?)\\n```", Pattern.DOTALL);
    private static final String RECIPE_TOPIC = "caddy.access";
    /** The recipe's topic is one other classes name too. */
    private static final String TOPIC = "kcat.caddy.access";
    private static EmbeddedKafka kafka;

    @TempDir
    Path dir;

    @BeforeAll
    static void start(EmbeddedKafka shared) {
        assumeTrue(onPath("kcat") && onPath("zcat"), "kcat is not installed (apt-get install -y kcat)");
        kafka = shared;
        kafka.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1)));
    }

    @Test
    void theOneLinerShipsEveryLineOfTheFileInOrder() throws Exception {
        List<String> lines = CaddyCapture.lines("access.log");
        Path log = Files.writeString(dir.resolve("access.log"), String.join("\n", lines) + "\n");

        List<String> shipped = run(recipeLines().get(0), Map.of("CADDY_LOG", log.toString()), lines.size());

        assertThat(shipped).containsExactlyElementsOf(lines);
    }

    @Test
    void theGzipLineShipsRolledFilesOldestFirst() throws Exception {
        List<String> older = CaddyCapture.lines("bulk.log");
        List<String> newer = CaddyCapture.lines("access.log");
        // the names Caddy gives rolled files; written out of order, so that only the glob's sorting can get them right
        gzip(dir.resolve("access-2026-11-25T00-01-00.000.log.gz"), newer);
        gzip(dir.resolve("access-2026-11-25T00-00-18.853.log.gz"), older);
        List<String> expected = new ArrayList<>(older);
        expected.addAll(newer);

        List<String> shipped = run(recipeLines().get(1), Map.of("CADDY_LOG_DIR", dir.toString()), expected.size());

        assertThat(shipped).containsExactlyElementsOf(expected);
    }

    /** The command lines under the "tested by KcatRecipeTest" markers, as the README has them. */
    private static List<String> recipeLines() {
        Matcher m = TESTED_BLOCK.matcher(RecipeFiles.read("kcat/README.md"));
        List<String> commands = new ArrayList<>();
        while (m.find()) {
            commands.add(m.group(1).trim());
        }
        assertThat(commands).hasSize(2);
        return commands;
    }

    /** Runs a command line with bash, writing to this class's topic, then returns what it added to the topic. */
    private static List<String> run(String command, Map<String, String> environment, int expected) throws Exception {
        long before = TopicRecords.endOffsets(kafka.bootstrapServers(), TOPIC);
        assertThat(command).contains(" -t " + RECIPE_TOPIC + " ");
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", command.replace(" -t " + RECIPE_TOPIC + " ", " -t " + TOPIC + " "))
                .redirectErrorStream(true);
        builder.environment().put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        builder.environment().putAll(environment);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("kcat exit status; output: %s", output).isZero();
        List<String> all = TopicRecords.values(kafka.bootstrapServers(), TOPIC, (int) before + expected, Duration.ofSeconds(30));
        return all.subList((int) before, all.size());
    }

    private static void gzip(Path file, List<String> lines) throws Exception {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    private static boolean onPath(String program) {
        for (String path : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(path, program))) {
                return true;
            }
        }
        return false;
    }
}
