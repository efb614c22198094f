package dev.caddylightstep.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.broker.LoopbackPorts;
import dev.caddylightstep.testing.kafka.SharedBroker;
import dev.caddylightstep.topics.TopicNames;
import dev.caddylightstep.topics.TopicSpec;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.load.TableLoader;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import dev.caddylightstep.testing.ChildProcess;
import dev.caddylightstep.testing.capture.ReplayedCapture;
import dev.caddylightstep.testing.kafka.TopicRecords;
import dev.caddylightstep.testing.otlp.ReceivedSpan;
import dev.caddylightstep.testing.otlp.SpanRecords;
import io.opentelemetry.proto.trace.v1.Span;
import dev.caddylightstep.topics.TopicLayout;
import dev.caddylightstep.topology.Topics;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once aggregates and spans with real processes on a real broker: instances killed with SIGKILL in the middle
 * of the stream, restarted, or replaced by another instance of the same application.id; the final windows
 * hold exactly the expected counts, not one lost or counted twice, and the spans topic, read committed, holds each
 * request's span once, whichever batch it was in when the instance died. Interactive queries answer the same
 * numbers from either of two instances.
 */
@ExtendWith(SharedBroker.class)
class ExactlyOnceAcrossCrashesTest {
    private static EmbeddedKafka kafka;
    private static ReplayedCapture capture;
    private static List<String> lines;
    private static Map<String, Long> expected;
    /** Every request of the lines is counted in a window and has its server span: none is late, none sampled out. */
    private static int requests;

    @TempDir
    Path stateDir;

    @BeforeAll
    static void start(EmbeddedKafka shared) {
        kafka = shared;
        // the capture replayed as 6 consecutive minutes of traffic: about 8,500 real lines, enough that a kill at a quarter leaves most of them in flight
        capture = new ReplayedCapture(6);
        lines = capture.lines();
        expected = capture.expectedWindows();
        requests = (int) expected.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Each request's server span once, and no span twice: a span lost or repeated across the crash fails here. */
    private static void assertEverySpanOnce(List<ReceivedSpan> spans) {
        assertThat(spans.stream().filter(span -> span.span().getKind() == Span.SpanKind.SPAN_KIND_SERVER)).hasSize(requests);
        assertThat(spans.stream().map(span -> span.traceIdHex() + "/" + span.spanIdHex())).doesNotHaveDuplicates();
    }

    /** One application with its own topics and id, fed with the lines. */
    private final class Deployment {
        final String id = UUID.randomUUID().toString().substring(0, 8);
        final Map<String, String> settings = new HashMap<>();
        final Topics topics;

        Deployment() {
            for (TopicSpec topic : TopicSpec.values()) {
                settings.put(topic.configKey(), topic.defaultName() + "." + id);
            }
            TopicNames names = dev.caddylightstep.config.Settings.of(settings).topicNames();
            topics = Topics.of(names);
            kafka.createTopics(TopicLayout.topics(names, 6, (short) 1));
            TableLoader.load(Map.of("bootstrap.servers", kafka.bootstrapServers()), topics.identities(), ReplayedCapture.identities(), Identity::id);
            TopicRecords.produce(kafka.bootstrapServers(), topics.access().name(), capture.bytes());
        }

        ChildProcess instance(String name, int httpPort) {
            List<String> args = new ArrayList<>(List.of("run", "--role", "streams", "--bootstrap-servers", kafka.bootstrapServers(),
                    "--set", "application.id=crash-" + id, "--set", "state.dir=" + stateDir.resolve(name),
                    "--set", "commit.interval.ms=100", "--set", "caddy.window.grace=3h", "--set", "caddy.window.retention=4h",
                    "--set", "caddy.http.port=" + httpPort,
                    // a killed member is noticed after its session times out: keep that short in a test
                    "--set", "session.timeout.ms=6000", "--set", "heartbeat.interval.ms=1000"));
            settings.forEach((k, v) -> args.addAll(List.of("--set", k + "=" + v)));
            return ChildProcess.start(name + "-" + id, Map.of(), args.toArray(String[]::new));
        }

        /** How many lines the application has committed having read: a record of spans holds the spans of many. */
        long linesCommitted() {
            return TopicRecords.committedOffsets(kafka.bootstrapServers(), "crash-" + id, topics.access().name());
        }

        /** The spans of every committed record, once they are as many as the requests the windows count. */
        List<ReceivedSpan> finalSpans() {
            return SpanRecords.spans(SpanRecords.readRequests(kafka.bootstrapServers(), topics.spans().name(), requests, Duration.ofSeconds(120)));
        }

        /** The latest count of every group's window, read until they match or two minutes pass. */
        Map<String, Long> finalWindows() {
            return latestCounts(TopicRecords.readUntil(kafka.bootstrapServers(), topics.latencyByGroup().name(),
                    read -> latestCounts(read).equals(expected), Duration.ofSeconds(120)));
        }

        private Map<String, Long> latestCounts(List<ConsumerRecord<byte[], byte[]>> read) {
            Map<String, Long> latest = new TreeMap<>();
            for (ConsumerRecord<byte[], byte[]> r : read) {
                LatencyAggregateRecord v = topics.latencyByGroup().valueSerde().deserializer().deserialize(r.topic(), r.value());
                latest.put(v.getGroup() + "@" + v.getWindowStartMs(), v.getCount());
            }
            return latest;
        }
    }

    @Test
    void aKilledInstanceRestartedCountsEveryLineExactlyOnce() throws Exception {
        Deployment d = new Deployment();
        try (ChildProcess first = d.instance("first", 0)) {
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> d.linesCommitted() > lines.size() / 4);
            first.kill();
        }
        assertThat(d.linesCommitted()).isLessThan(lines.size());
        try (ChildProcess second = d.instance("first", 0)) {
            assertThat(d.finalWindows()).isEqualTo(expected);
            assertEverySpanOnce(d.finalSpans());
            assertThat(second.terminate()).isZero();
        }
    }

    /**
     * Two instances share the partitions and one is killed: the other takes its partitions over and finishes them. The
     * killed one comes back on its state directory, and either of the two answers with the topic's numbers, for the
     * windows it holds and for those the other holds.
     */
    @Test
    void twoInstancesSurviveOneBeingKilledAndEitherAnswersQueriesWithTheTopicsNumbers() throws Exception {
        Deployment d = new Deployment();
        List<Integer> ports = LoopbackPorts.free(2);
        try (ChildProcess b = d.instance("b", ports.get(1))) {
            try (ChildProcess a = d.instance("a", ports.get(0))) {
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> d.linesCommitted() > lines.size() / 4);
                a.kill();
            }
            assertThat(d.finalWindows()).isEqualTo(expected);
            assertEverySpanOnce(d.finalSpans());
            assertThat(b.isAlive()).isTrue();
            try (ChildProcess a = d.instance("a", ports.get(0))) {
                HttpClient http = HttpClient.newHttpClient();
                for (int port : ports) {
                    // the instance that came back answers once its HTTP server is up
                    await().atMost(Duration.ofSeconds(60)).ignoreException(ConnectException.class).untilAsserted(() -> assertThat(query(http, port, "/api/windows")).isEqualTo(expected));
                    Map<String, Long> engineering = query(http, port, "/api/windows/engineering");
                    expected.forEach((key, count) -> {
                        if (key.startsWith("engineering@")) {
                            assertThat(engineering).containsEntry(key, count);
                        }
                    });
                    long routesTotal = query(http, port, "/api/windows/engineering/routes").values().stream().mapToLong(Long::longValue).sum();
                    assertThat(routesTotal).isEqualTo(expected.entrySet().stream().filter(e -> e.getKey().startsWith("engineering@"))
                            .mapToLong(Map.Entry::getValue).sum());
                }
                assertThat(a.isAlive()).isTrue();
            }
        }
    }

    private static Map<String, Long> query(HttpClient http, int port, String path) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        Map<String, Long> counts = new TreeMap<>();
        for (JsonNode window : AggregateJson.JSON.readTree(response.body())) {
            String key = window.get("group").asText() + "@" + window.get("window_start_ms").asLong();
            counts.merge(key, window.get("count").asLong(), Long::sum);
        }
        return counts;
    }
}
