package dev.caddylightstep.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caddylightstep.aggregate.AggregateJson;
import dev.caddylightstep.testing.CaddyCapture;
import dev.caddylightstep.testing.ChildProcess;
import dev.caddylightstep.testing.OtlpReceiver;
import dev.caddylightstep.testing.OtlpTransport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo as a script runs it: a log, identities and policies in, exit 0, every span at the backend, every window in the file. */
class DemoCommandTest {
    private static final Pattern SUMMARY = Pattern.compile(
            "summary: lines=(\\d+) requests=(\\d+) skipped=(\\d+) dead_letters=(\\d+) spans=(\\d+) windows=(\\d+)");

    @TempDir
    Path dir;

    @Test
    void untilIdleExitsZeroWithEverySpanExportedAndEveryWindowWritten() throws Exception {
        List<String> lines = new java.util.ArrayList<>(CaddyCapture.lines("access.log"));
        lines.addAll(CaddyCapture.lines("caddy-stderr.log"));
        lines.add("{\"level\":\"info\",\"ts\":1795566966.5,\"logger\":\"http.log.access.log0\",\"msg\":\"handled request\",\"request\":{");
        long accessLines = lines.stream().filter(l -> l.contains("\"logger\":\"http.log.access") && l.endsWith("}")).count();
        Path log = Files.write(dir.resolve("access.log"), lines);
        Path identities = Files.writeString(dir.resolve("identities.yaml"), "- {id: alice, group: engineering}\n- {id: bob, group: sales}\n");
        Path policies = Files.writeString(dir.resolve("policies.yaml"), "- {group: engineering, allow: [\"* /api/**\"], latency_slo_ms: 500}\n");
        Path aggregates = dir.resolve("aggregates.jsonl");

        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start()) {
            Map<String, String> env = new HashMap<>();
            env.put("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.baseEndpoint());
            env.put("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
            ChildProcess demo = ChildProcess.start("demo", env, "demo", "--caddy-log", log.toString(), "--identities", identities.toString(),
                    "--policies", policies.toString(), "--until-idle", "--idle-seconds", "2", "--aggregates-out", aggregates.toString(),
                    "--http-port", "0");
            int exit = demo.waitFor(java.time.Duration.ofSeconds(180));
            String output = demo.output();
            assertThat(exit).as(output).isZero();

            Matcher summary = SUMMARY.matcher(output);
            assertThat(summary.find()).as(output).isTrue();
            long requests = Long.parseLong(summary.group(2));
            assertThat(Long.parseLong(summary.group(1))).isEqualTo(lines.size());
            assertThat(requests).isEqualTo(accessLines);
            assertThat(Long.parseLong(summary.group(3)) + Long.parseLong(summary.group(4))).isEqualTo(lines.size() - accessLines);
            assertThat(Long.parseLong(summary.group(5))).isEqualTo(requests);
            assertThat(receiver.spans()).hasSize((int) requests);

            Map<String, Long> latest = new HashMap<>();
            for (String json : Files.readAllLines(aggregates)) {
                JsonNode window = AggregateJson.JSON.readTree(json);
                latest.put(window.get("group").asText() + "@" + window.get("window_start_ms").asLong(), window.get("count").asLong());
            }
            assertThat(latest).hasSize(Integer.parseInt(summary.group(6)));
            assertThat(latest.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(requests);
        }
    }

    @Test
    void aLineOverTheShippersMaximumIsCountedAndTheDemoStillEnds() throws Exception {
        List<String> lines = new ArrayList<>(CaddyCapture.lines("access.log"));
        long requests = lines.size();
        // a client may send up to 1 MB of headers (Go's limit) and Caddy logs each quote in them escaped, as two
        // bytes: a line over the shipper's 1 MiB limit
        String huge = withRequestHeader(lines.get(7), "X-Quotes", "\"".repeat(600_000));
        assertThat(huge.getBytes(StandardCharsets.UTF_8).length).isGreaterThan(1 << 20);
        lines.add(100, huge);
        Path log = Files.write(dir.resolve("access.log"), lines);
        Path identities = Files.writeString(dir.resolve("identities.yaml"), "- {id: alice, group: engineering}\n");
        Path policies = Files.writeString(dir.resolve("policies.yaml"), "- {group: engineering, allow: [\"* /api/**\"]}\n");

        ChildProcess demo = ChildProcess.start("demo-long-line", Map.of(), "demo", "--caddy-log", log.toString(),
                "--identities", identities.toString(), "--policies", policies.toString(), "--until-idle", "--idle-seconds", "2",
                "--http-port", "0");
        int exit = demo.waitFor(Duration.ofSeconds(180));
        String output = demo.output();
        assertThat(exit).as(output).isZero();

        Matcher summary = SUMMARY.matcher(output);
        assertThat(summary.find()).as(output).isTrue();
        assertThat(Long.parseLong(summary.group(1))).as("lines").isEqualTo(lines.size());
        assertThat(Long.parseLong(summary.group(2))).as("requests").isEqualTo(requests);
        assertThat(Long.parseLong(summary.group(3))).as("skipped").isZero();
        assertThat(Long.parseLong(summary.group(4))).as("dead letters").isEqualTo(1);
    }

    private static String withRequestHeader(String line, String name, String value) {
        ObjectNode node = (ObjectNode) CaddyCapture.tree(line);
        ArrayNode values = ((ObjectNode) node.path("request").path("headers")).putArray(name);
        values.add(value);
        return CaddyCapture.write(node);
    }
}
