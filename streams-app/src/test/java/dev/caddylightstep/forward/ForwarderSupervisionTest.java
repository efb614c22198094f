package dev.caddylightstep.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.testing.capture.CaddyCapture;
import dev.caddylightstep.testing.otlp.OtlpReceiver;
import dev.caddylightstep.testing.otlp.OtlpTransport;
import dev.caddylightstep.testing.PipelineHarness;
import dev.caddylightstep.testing.kafka.TopicRecords;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forwarder through a broker that goes away for longer than a commit may take: the commits that time out meanwhile
 * are retried and counted, and the forwarder carries on once the broker is back. Its own broker, which it restarts.
 */
class ForwarderSupervisionTest {
    private static final String SPANS = "caddy.spans";
    private static final String DEAD_LETTERS = "caddy.spans.dlq";
    private static final String GROUP = "forwarder-supervision";

    @TempDir
    Path dir;

    private static List<byte[]> realSpanRecords() {
        try (PipelineHarness p = PipelineHarness.start()) {
            p.sendAll(CaddyCapture.lines("access.log"));
            return p.spanRecords();
        }
    }

    private static long committed(EmbeddedKafka kafka) throws Exception {
        try (Admin admin = kafka.admin()) {
            return admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get().values().stream()
                    .mapToLong(OffsetAndMetadata::offset).sum();
        }
    }

    @Test
    void aCommitTimingOutWhileTheBrokerIsAwayIsRetriedAndCounted() throws Exception {
        List<byte[]> spans = realSpanRecords();
        MeterRegistry registry = new SimpleMeterRegistry();
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir.resolve("broker")).build().start();
             OtlpReceiver receiver = new OtlpReceiver(OtlpTransport.HTTP_PROTOBUF).start()) {
            kafka.createTopics(List.of(new NewTopic(SPANS, 3, (short) 1), new NewTopic(DEAD_LETTERS, 1, (short) 1)));
            receiver.stop();
            TopicRecords.produce(kafka.bootstrapServers(), SPANS, spans.subList(0, 100));
            Settings settings = Settings.load(null, Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint(),
                    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"), Map.of("bootstrap.servers", kafka.bootstrapServers(),
                    "caddy.forward.group-id", GROUP, "caddy.forward.max-backoff", "1s",
                    // a commit gives up after 2 s rather than the default minute
                    "default.api.timeout.ms", "2000"));
            ForwarderSettings forwarding = ForwarderSettings.from(settings);
            try (ExportTarget target = ExportTarget.from(settings, forwarding).orElseThrow();
                 SpanForwarder forwarder = new SpanForwarder(forwarding, settings.kafka(), target.spanSender(), SPANS, DEAD_LETTERS, registry)) {
                Thread thread = new Thread(forwarder, "forwarder-under-test");
                thread.start();
                // the spans are consumed and wait for the backend
                await().atMost(Duration.ofSeconds(60)).until(() -> registry.counter("caddy.forward.export.failures").count() > 0);

                kafka.stop();
                receiver.start();
                receiver.awaitSpans(100, Duration.ofSeconds(60));
                // their offsets cannot be committed while the broker is away
                await().atMost(Duration.ofSeconds(60)).until(() -> registry.counter("caddy.forward.kafka.retries").count() >= 2);
                kafka.start();

                TopicRecords.produce(kafka.bootstrapServers(), SPANS, spans.subList(100, 150));
                receiver.awaitSpans(150, Duration.ofSeconds(60));
                await().atMost(Duration.ofSeconds(60)).until(() -> committed(kafka) == TopicRecords.endOffsets(kafka.bootstrapServers(), SPANS));
                assertThat(thread.isAlive()).isTrue();
                assertThat(forwarder.acknowledgedSpans()).isEqualTo(150);
            }
        }
    }
}
