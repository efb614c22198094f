package dev.caddylightstep.loadtest.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SoakReportTest {
    private static final SpanComparison ALL_SPANS = new SpanComparison(1_000, 1_010, 10, 0, 0, 0, 0, List.of(), 0, 0);

    @Test
    void aSoakWhoseLinesReconcileAndWhoseSpansAndWindowsAreAllThereHasNoFailure() {
        SoakReport report = report(1_000, 2, ALL_SPANS, List.of(), List.of());

        assertThat(report.failures()).isEmpty();
        assertThat(printed(report)).startsWith("soak passed").contains("1,006 = requests 1,000 + skipped 4 + dead letters 2");
    }

    @Test
    void eachFailedCheckIsALineOfItsOwnBeforeTheFigures() {
        SpanComparison someMissing = new SpanComparison(1_000, 990, 0, 10, 10, 1_733_000_000_000L, 1_733_000_030_000L,
                List.of("00000000000000aa"), 0, 0);
        // one request counted twice: a span record too many, and a window one too high
        SoakReport report = report(1_001, 2, someMissing, List.of("sales @0: recounted ..., committed ..."),
                List.of("instance-1: Exception in thread \"span-forwarder\" org.apache.kafka.common.errors.TimeoutException"));

        assertThat(report.failures()).hasSize(4);
        List<String> lines = printed(report).lines().toList();
        assertThat(lines.get(0)).startsWith("FAILED lines in != requests + skipped + dead letters").contains("1,001 requests with spans of 1,000 requests");
        assertThat(lines.get(1)).startsWith("FAILED spans missing at the receiver: 10 of 1,000 (10 of them on the spans topic)")
                .contains("00000000000000aa");
        assertThat(lines.get(2)).startsWith("FAILED windows unequal to their recount: 1 of 20");
        assertThat(lines.get(3)).startsWith("FAILED process: instance-1: Exception in thread \"span-forwarder\"");
        assertThat(lines.get(4)).startsWith("soak FAILED");
    }

    @Test
    void aTopicWithFewerReplicasThanTheClusterGivesFailsTheSoak() {
        List<TopicReplication> replication = List.of(new TopicReplication("caddy.access", 3, 2),
                new TopicReplication("caddy-lightstep-partial-windows-changelog", 1, 2), new TopicReplication("__consumer_offsets", 3, 2));
        SoakReport report = report(1_000, 2, ALL_SPANS, List.of(), List.of(), replication);

        assertThat(report.failures()).containsExactly(
                "replication: caddy-lightstep-partial-windows-changelog has 1 replicas and min.insync.replicas 2, not 3 and 2");
        assertThat(printed(report)).contains("replication   3 topics (Kafka's and Kafka Streams' own included), not all 3 replicas");
    }

    private static SoakReport report(long spannedRequests, long deadLetters, SpanComparison spans, List<String> windowDifferences,
                                     List<String> processFailures) {
        return report(spannedRequests, deadLetters, spans, windowDifferences, processFailures, List.of(new TopicReplication("caddy.access", 3, 2)));
    }

    private static SoakReport report(long spannedRequests, long deadLetters, SpanComparison spans, List<String> windowDifferences,
                                     List<String> processFailures, List<TopicReplication> replication) {
        return new SoakReport(Instant.EPOCH, Map.of("summary", "test"), 1_006, 1_000, 4, 2, 1_006, spannedRequests, deadLetters,
                Map.of("not-json", deadLetters), spans, 20, windowDifferences, processFailures, Map.of("broker", 0L),
                Map.of("broker", 512_000L), List.of("02:00 instance-1 killed"),
                Map.of("02:00 instance-1 kill", Map.of("streams", new CommitWatch.Stall(java.time.Duration.ofSeconds(46), "caddy.access-3", true))),
                replication, 3, 2, 12.5, true);
    }

    private static String printed(SoakReport report) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        report.print(new PrintStream(bytes, true, StandardCharsets.UTF_8), Path.of("soak.json"));
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
