package dev.caddylightstep.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caddylightstep.aggregate.AggregateJson;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.ChildProcess;
import dev.caddylightstep.testing.otlp.OtlpReceiver;
import dev.caddylightstep.testing.otlp.OtlpTransport;
import dev.caddylightstep.testing.otlp.ReceivedSpan;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
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
            // the shipper stops on its own thread and closes its producer there, not interrupted in the middle of it
            assertThat(output).doesNotContain("Interrupted while joining ioThread");
            // the global thread's exception handler is on, and no part of Kafka Streams says otherwise at the start
            assertThat(output).doesNotContain("Processing exception handler is not enabled for the GlobalThread");

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

    /**
     * A short log fills fewer partitions than the topic has, and a merging task closes no window while a partial task
     * with no lines has had no time for less than {@code WindowMerge.SOURCE_SILENCE_MS}. With windows written once, as
     * they close, --until-idle waits for those windows to close, and for the alerts they raise: the last windows of the
     * log never close, so the requests they hold are in no window written.
     */
    @Test
    void untilIdleEndsOnlyOnceTheWindowsItsLinesCloseAreWrittenAndJudged() throws Exception {
        // the capture's requests three seconds apart, over twenty minutes that ended ten minutes ago: its windows close
        List<String> capture = CaddyCapture.lines("access.log");
        long start = Instant.now().minus(Duration.ofMinutes(30)).getEpochSecond();
        List<String> lines = new ArrayList<>();
        Map<String, Long> expected = new HashMap<>();
        Map<String, String> groups = Map.of("bob", "engineering", "carol", "engineering", "", Identity.ANONYMOUS_GROUP);
        for (int i = 0; i < capture.size(); i++) {
            long ts = start + 3L * i;
            lines.add(CaddyCapture.withField(capture.get(i), "ts", BigDecimal.valueOf(ts)));
            String user = CaddyCapture.tree(capture.get(i)).path("user_id").asText();
            expected.merge(groups.getOrDefault(user, Identity.UNKNOWN_GROUP) + "@" + (ts - Math.floorMod(ts, 60)) * 1000, 1L, Long::sum);
        }
        Path log = Files.write(dir.resolve("access.log"), lines);
        Path identities = Files.writeString(dir.resolve("identities.yaml"), "- {id: bob, group: engineering}\n- {id: carol, group: engineering}\n");
        // 65 of the group's 74 requests took over a millisecond: it burns its budget 88 times as fast as allowed
        Path policies = Files.writeString(dir.resolve("policies.yaml"),
                "- {group: engineering, allow: [\"* /**\"], latency_slo_ms: 1, latency_target: 0.99, availability_target: 0.999}\n");
        Path alerts = dir.resolve("alerts.jsonl");
        Path aggregates = dir.resolve("aggregates.jsonl");

        ChildProcess demo = ChildProcess.start("demo-final", Map.of("CADDY_WINDOW_EMIT", "final"), "demo", "--caddy-log", log.toString(),
                "--identities", identities.toString(), "--policies", policies.toString(), "--until-idle", "--idle-seconds", "1",
                "--alerts-out", alerts.toString(), "--aggregates-out", aggregates.toString(), "--http-port", "0");
        int exit = demo.waitFor(Duration.ofSeconds(180));
        assertThat(exit).as(demo.output()).isZero();
        // the closed windows' sketches are read without the protobuf classes that parse with a denial of service open
        assertThat(demo.output()).doesNotContain("Vulnerable protobuf generated type");

        List<JsonNode> written = new ArrayList<>();
        for (String line : Files.readAllLines(alerts)) {
            written.add(AggregateJson.JSON.readTree(line));
        }
        assertThat(written).as(demo.output()).anySatisfy(alert -> {
            assertThat(alert.get("group").asText()).isEqualTo("engineering");
            assertThat(alert.get("slo").asText()).isEqualTo("latency");
            assertThat(alert.get("severity").asText()).isEqualTo("page");
            assertThat(alert.get("state").asText()).isEqualTo("firing");
        });
        // each window once, with every request of its minute: all of them but the last few minutes'
        List<String> windows = new ArrayList<>();
        for (String line : Files.readAllLines(aggregates)) {
            JsonNode window = AggregateJson.JSON.readTree(line);
            String key = window.get("group").asText() + "@" + window.get("window_start_ms").asLong();
            windows.add(key);
            assertThat(window.get("count").asLong()).as(key).isEqualTo(expected.get(key));
        }
        assertThat(windows).doesNotHaveDuplicates().hasSizeGreaterThan(expected.size() / 2);
    }

    private static String withRequestHeader(String line, String name, String value) {
        ObjectNode node = (ObjectNode) CaddyCapture.tree(line);
        ArrayNode values = ((ObjectNode) node.path("request").path("headers")).putArray(name);
        values.add(value);
        return CaddyCapture.write(node);
    }

    private static long tsMillis(String line) {
        return CaddyCapture.tree(line).get("ts").decimalValue().movePointRight(3).longValue();
    }

    private static String at(String line, long epochMillis) {
        return CaddyCapture.withField(line, "ts", java.math.BigDecimal.valueOf(epochMillis).movePointLeft(3));
    }

    /** The group a line's request joins, as the identities file and the anonymous and unknown stand-ins make it. */
    private static String groupOf(String line, Map<String, String> identities) {
        String user = CaddyCapture.tree(line).path("user_id").asText("");
        return user.isEmpty() ? "anonymous" : identities.getOrDefault(user, "unknown");
    }

    /**
     * Every hostile line of issue 21 mixed into a real capture: the demo finishes by itself, dead-letters each bad line
     * with its reason, gives the 150,000-segment request its span, and every other request its span and its window.
     */
    @Test
    void hostileLinesInARealCaptureEachFindTheirPlaceAndTheDemoEnds() throws Exception {
        List<String> capture = new ArrayList<>(CaddyCapture.lines("access.log"));
        capture.addAll(CaddyCapture.lines("bulk.log"));
        String anonymous = CaddyCapture.access(CaddyCapture.request("GET", "/health", 200));
        long captureStart = tsMillis(capture.get(0));
        String longPath = "/api/" + "a/".repeat(149_999) + "a";

        List<String> requests = new ArrayList<>(capture);
        List<String> lines = new ArrayList<>(capture);
        String longPathLine = CaddyCapture.withRequestField(anonymous, "uri", longPath);
        lines.add(50, longPathLine);
        requests.add(longPathLine);
        for (int at : new int[] {900, 500, 100}) {
            String ahead = at(capture.get(at), tsMillis(capture.get(at)) + 30 * 60_000);
            lines.add(at, ahead);
            requests.add(ahead);
        }
        java.util.Random random = new java.util.Random(21);
        for (int i = 0; i < 1_000; i++) {
            String probe = at(CaddyCapture.withRequestField(anonymous, "uri", "/" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36)),
                    captureStart + 5_000 + i);
            lines.add(1_000, probe);
            requests.add(probe);
        }
        Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put(anonymous.replaceFirst("\"ts\":[0-9.]+", "\"ts\":1e999999999"), "invalid-value");
        bad.put(anonymous.replaceFirst("\"duration\":[0-9.]+", "\"duration\":1e999999999"), "invalid-value");
        bad.put(at(anonymous, System.currentTimeMillis() + Duration.ofHours(2).toMillis()), "future");
        // a line over the shipper's 1 MiB, as a client's megabyte of headers (Go's limit) makes when Caddy logs each
        // quote in them escaped, as two bytes: the demo counts it among its lines and its dead letters, and still ends
        bad.put(withRequestHeader(anonymous, "X-Quotes", "\"".repeat(1_100_000)), "line-too-long");
        bad.put("{}", "missing-field");
        int position = 200;
        for (String line : bad.keySet()) {
            lines.add(position, line);
            position += 150;
        }
        Path log = Files.write(dir.resolve("access.log"), lines);
        Map<String, String> identities = Map.of("alice", "engineering", "bob", "sales");
        Path identitiesFile = Files.writeString(dir.resolve("identities.yaml"), "- {id: alice, group: engineering}\n- {id: bob, group: sales}\n");
        Path policies = Files.writeString(dir.resolve("policies.yaml"),
                "- {group: engineering, allow: [\"* /api/**\"], latency_slo_ms: 500}\n- {group: anonymous, allow: [\"GET /**\"], deny: [\"* /api/**\"]}\n");
        Path aggregates = dir.resolve("aggregates.jsonl");

        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start()) {
            Map<String, String> env = new HashMap<>();
            env.put("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.baseEndpoint());
            env.put("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
            ChildProcess demo = ChildProcess.start("demo-hostile", env, "demo", "--caddy-log", log.toString(), "--identities",
                    identitiesFile.toString(), "--policies", policies.toString(), "--until-idle", "--idle-seconds", "2",
                    "--aggregates-out", aggregates.toString(), "--http-port", "0");
            int exit = demo.waitFor(Duration.ofSeconds(300));
            String output = demo.output();
            assertThat(exit).as(output).isZero();

            Matcher summary = SUMMARY.matcher(output);
            assertThat(summary.find()).as(output).isTrue();
            assertThat(Long.parseLong(summary.group(1))).as("lines").isEqualTo(lines.size());
            assertThat(Long.parseLong(summary.group(2))).as("requests").isEqualTo(requests.size());
            assertThat(Long.parseLong(summary.group(3))).as("skipped").isZero();
            assertThat(Long.parseLong(summary.group(4))).as("dead letters").isEqualTo(bad.size());
            assertThat(output).contains("dead letters by reason: future=1 invalid-value=2 line-too-long=1 missing-field=1");
            assertThat(receiver.spans()).hasSize(requests.size());
            assertThat(receiver.spans()).filteredOn(span -> span.attribute("url.path").map(v -> v.getStringValue()).orElse("").equals(longPath))
                    .singleElement().satisfies(span -> {
                        assertThat(span.name()).isEqualTo("GET");
                        assertThat(span.attribute("edge.policy.decision").orElseThrow().getStringValue()).isEqualTo("deny");
                    });

            Map<String, Long> expected = new HashMap<>();
            for (String line : requests) {
                long ts = tsMillis(line);
                expected.merge(groupOf(line, identities) + "@" + (ts - Math.floorMod(ts, 60_000L)), 1L, Long::sum);
            }
            Map<String, Long> latest = new HashMap<>();
            for (String json : Files.readAllLines(aggregates)) {
                JsonNode window = AggregateJson.JSON.readTree(json);
                latest.put(window.get("group").asText() + "@" + window.get("window_start_ms").asLong(), window.get("count").asLong());
            }
            assertThat(latest).as(output).isEqualTo(expected);
        }
    }

    /** The last line written for each window: its whole count. */
    private static Map<String, String> latestWindows(Path aggregates) throws Exception {
        Map<String, String> latest = new HashMap<>();
        for (String json : Files.readAllLines(aggregates)) {
            JsonNode window = AggregateJson.JSON.readTree(json);
            latest.put(window.get("group").asText() + "@" + window.get("window_start_ms").asLong(), json);
        }
        return latest;
    }

    private record Sampled(List<ReceivedSpan> spans, Map<String, String> windows, String output) {
    }

    private Sampled demoAt(String ratio, Path log, Path identities, Path policies) throws Exception {
        Path aggregates = dir.resolve("aggregates-" + ratio + ".jsonl");
        try (OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start()) {
            Map<String, String> env = new HashMap<>();
            env.put("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.baseEndpoint());
            env.put("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
            env.put("CADDY_SAMPLE_RATIO", ratio);
            ChildProcess demo = ChildProcess.start("demo-sampled-" + ratio, env, "demo", "--caddy-log", log.toString(), "--identities",
                    identities.toString(), "--policies", policies.toString(), "--until-idle", "--idle-seconds", "2",
                    "--aggregates-out", aggregates.toString(), "--http-port", "0");
            int exit = demo.waitFor(Duration.ofSeconds(180));
            assertThat(exit).as(demo.output()).isZero();
            return new Sampled(receiver.spans(), latestWindows(aggregates), demo.output());
        }
    }

    /** Issue 24's demo: at 10% the spans worth seeing are all exported, each with its threshold, and the windows do not change. */
    @Test
    void atATenthTheWindowsAreTheSameAndEverySpanCarriesItsThreshold() throws Exception {
        Path log = Files.write(dir.resolve("access.log"), CaddyCapture.lines("access.log"));
        Path identities = Files.writeString(dir.resolve("identities.yaml"), "- {id: alice, group: engineering}\n- {id: bob, group: sales}\n");
        Path policies = Files.writeString(dir.resolve("policies.yaml"), "- {group: engineering, allow: [\"* /api/**\"], latency_slo_ms: 500}\n");
        Sampled all = demoAt("1", log, identities, policies);
        Sampled tenth = demoAt("0.1", log, identities, policies);

        assertThat(tenth.windows()).isEqualTo(all.windows());
        assertThat(tenth.spans()).isNotEmpty().allSatisfy(span -> assertThat(span.span().getTraceState()).startsWith("ot=th:"));
        Set<String> exported = tenth.spans().stream().map(ReceivedSpan::traceIdHex).collect(Collectors.toSet());
        assertThat(all.spans()).filteredOn(span -> span.attribute("http.response.status_code").orElseThrow().getIntValue() >= 500)
                .isNotEmpty().allSatisfy(span -> assertThat(exported).contains(span.traceIdHex()));
        Matcher summary = SUMMARY.matcher(tenth.output());
        assertThat(summary.find()).isTrue();
        Matcher sampledOut = Pattern.compile("sampled_out=(\\d+)").matcher(tenth.output());
        assertThat(sampledOut.find()).isTrue();
        assertThat(Long.parseLong(summary.group(2))).isEqualTo(tenth.spans().size() + Long.parseLong(sampledOut.group(1)));
    }
}
