package dev.caddylightstep.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caddylightstep.aggregate.AggregateJson;
import dev.caddylightstep.testing.ChildProcess;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.otlp.OtlpReceiver;
import dev.caddylightstep.testing.otlp.OtlpTransport;
import dev.caddylightstep.testing.otlp.ReceivedSpan;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 23's demo: a log Caddy 2.6.2 wrote with connectors/caddy/stages.Caddyfile (test resources
 * caddy-2.6.2/stages.log) through {@code demo --until-idle --aggregates-out}: the upstream spans at the backend, and
 * the stages in every window line.
 */
class DemoStagesTest {
    private static final Pattern SUMMARY = Pattern.compile("summary: lines=(\\d+) requests=(\\d+) skipped=(\\d+) dead_letters=(\\d+) spans=(\\d+)");
    /** A Server-Timing entry with a duration; one whose dur is no number ("bogus;dur=abc") or that has none ("miss") is no stage. */
    private static final Pattern TIMED_ENTRY = Pattern.compile("(?:^|,)\\s*([A-Za-z0-9_.-]+);dur=([0-9.]+)");
    private static final String CADDY_UPSTREAM = "caddy-upstream";

    @TempDir
    Path dir;

    @Test
    void aLogWrittenWithTheStagesRecipeGivesUpstreamSpansAndStagesInEveryWindowLine() throws Exception {
        List<String> lines = CaddyCapture.lines("stages.log");
        Path log = Files.write(dir.resolve("access.log"), lines);
        Path identities = Files.writeString(dir.resolve("identities.yaml"), "- {id: alice, group: engineering}\n");
        Path policies = Files.writeString(dir.resolve("policies.yaml"), "- {group: anonymous, allow: [\"* /**\"]}\n");
        Path aggregates = dir.resolve("aggregates.jsonl");

        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start()) {
            Map<String, String> env = new HashMap<>();
            env.put("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.baseEndpoint());
            env.put("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
            ChildProcess demo = ChildProcess.start("demo-stages", env, "demo", "--caddy-log", log.toString(), "--identities", identities.toString(),
                    "--policies", policies.toString(), "--until-idle", "--idle-seconds", "2", "--aggregates-out", aggregates.toString(),
                    "--http-port", "0");
            int exit = demo.waitFor(Duration.ofSeconds(180));
            String output = demo.output();
            assertThat(exit).as(output).isZero();

            Map<String, Double> upstreamByPath = new HashMap<>();
            Map<String, Long> stageCounts = new TreeMap<>();
            for (String line : lines) {
                JsonNode tree = CaddyCapture.tree(line);
                Map<String, Double> stages = stages(tree);
                stages.keySet().forEach(stage -> stageCounts.merge(stage, 1L, Long::sum));
                if (stages.containsKey("upstream")) {
                    upstreamByPath.put(tree.path("request").path("uri").asText(), stages.get("upstream"));
                }
            }
            Matcher summary = SUMMARY.matcher(output);
            assertThat(summary.find()).as(output).isTrue();
            assertThat(Long.parseLong(summary.group(2))).as("requests").isEqualTo(lines.size());
            assertThat(Long.parseLong(summary.group(5))).as("spans: each request's, and each upstream call's")
                    .isEqualTo(lines.size() + upstreamByPath.size());

            List<ReceivedSpan> spans = receiver.spans();
            assertThat(spans).hasSize(lines.size() + upstreamByPath.size());
            for (ReceivedSpan server : spans.stream().filter(s -> s.span().getKind() == Span.SpanKind.SPAN_KIND_SERVER).toList()) {
                String path = server.attribute("url.path").orElseThrow().getStringValue();
                String uri = server.attribute("url.query").map(q -> path + "?" + q.getStringValue()).orElse(path);
                List<ReceivedSpan> children = spans.stream().filter(s -> s.parentSpanIdHex().equals(server.spanIdHex())).toList();
                if (!upstreamByPath.containsKey(uri)) {
                    assertThat(children).as(uri + " was answered by Caddy").isEmpty();
                    continue;
                }
                assertThat(children).as(uri).singleElement().satisfies(client -> {
                    assertThat(client.span().getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_CLIENT);
                    assertThat((client.span().getEndTimeUnixNano() - client.span().getStartTimeUnixNano()) / 1e6)
                            .isCloseTo(upstreamByPath.get(uri), offset(0.01));
                });
            }

            List<String> windowLines = Files.readAllLines(aggregates);
            assertThat(windowLines).isNotEmpty().allSatisfy(json -> assertThat(AggregateJson.JSON.readTree(json).path("stages").isObject())
                    .as("stages in " + json).isTrue());
            // one window of one group holds the whole capture: its latest line has every request
            JsonNode last = AggregateJson.JSON.readTree(windowLines.get(windowLines.size() - 1));
            assertThat(last.path("count").asLong()).isEqualTo(lines.size());
            Map<String, Long> counted = new TreeMap<>();
            last.path("stages").fields().forEachRemaining(stage -> counted.put(stage.getKey(), stage.getValue().path("count").asLong()));
            assertThat(counted).isEqualTo(stageCounts);
            assertThat(last.path("stages").path("upstream").path("max").asDouble())
                    .isCloseTo(upstreamByPath.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow(), offset(0.001));
        }
    }

    /**
     * A line's stages, recounted from what Caddy logged: edge and upstream when Caddy's caddy-upstream entry is there,
     * and each timed backend entry by its name in lower case (a name timed twice is one stage of the request).
     */
    private static Map<String, Double> stages(JsonNode tree) {
        Map<String, Double> stages = new HashMap<>();
        for (JsonNode value : tree.path("resp_headers").path("Server-Timing")) {
            Matcher entry = TIMED_ENTRY.matcher(value.asText());
            while (entry.find()) {
                String name = entry.group(1).toLowerCase(Locale.ROOT);
                double millis = Double.parseDouble(entry.group(2));
                if (name.equals(CADDY_UPSTREAM)) {
                    double durationMs = tree.get("duration").decimalValue().movePointRight(3).doubleValue();
                    stages.put("upstream", Math.min(millis, durationMs));
                    stages.put("edge", Math.max(0, durationMs - millis));
                } else {
                    stages.merge(name, millis, Double::sum);
                }
            }
        }
        return stages;
    }
}
