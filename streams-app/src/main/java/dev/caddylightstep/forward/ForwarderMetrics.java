package dev.caddylightstep.forward;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * What the forwarder reports on /metrics (caddy_forward_*), so that an operator sees exports, retries and throttling,
 * and its consumer's own metrics, the lag of each partition among them.
 */
final class ForwarderMetrics implements AutoCloseable {
    final Counter exported;
    final Counter failedAttempts;
    final Counter retries;
    final Counter throttled;
    final Counter rateLimited;
    final Counter deadLettered;
    final Counter rejected;
    final Counter kafkaRetries;
    final Timer exportLatency;
    private final ScheduledExecutorService consumerRefresh;
    private final KafkaClientMetrics consumerMetrics;

    ForwarderMetrics(MeterRegistry registry, KafkaConsumer<?, ?> consumer) {
        exported = Counter.builder("caddy.forward.spans.exported").description("Spans the backend acknowledged").register(registry);
        failedAttempts = Counter.builder("caddy.forward.export.failures").description("Export requests that failed (and were retried or split)").register(registry);
        retries = Counter.builder("caddy.forward.export.retries").description("Export requests sent again after a failure").register(registry);
        throttled = Counter.builder("caddy.forward.throttled").description("Export requests the backend refused for its rate limit (429, RESOURCE_EXHAUSTED)").register(registry);
        rateLimited = Counter.builder("caddy.forward.rate.limited.seconds").description("Seconds spent waiting for caddy.forward.max-spans-per-second").register(registry);
        deadLettered = Counter.builder("caddy.forward.spans.dead.lettered").description("Spans sent to the spans dead-letter topic: rejected by the backend as malformed, or too large to export").register(registry);
        rejected = Counter.builder("caddy.forward.spans.rejected").description("Spans of acknowledged exports the backend "
                + "said it dropped (OTLP partial success), which it does not name: committed, not dead-lettered").register(registry);
        kafkaRetries = Counter.builder("caddy.forward.kafka.retries").description("Kafka operations of the forwarder that failed for a "
                + "reason that passes (a commit timing out while the group coordinator is away or moves, a broker restarting, a "
                + "rebalance, a dead letter not yet acknowledged) and were retried after a backoff, or, for the offsets of partitions "
                + "being revoked, left to their next owner").register(registry);
        exportLatency = Timer.builder("caddy.forward.export.latency").description("Time from sending an export request to its answer").register(registry);
        // the consumer's per-partition lag appears once partitions are assigned: look for new metrics every few seconds
        consumerRefresh = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "forwarder-metrics-refresh");
            thread.setDaemon(true);
            return thread;
        });
        consumerMetrics = new KafkaClientMetrics(consumer, List.of(), consumerRefresh, Duration.ofSeconds(5));
        consumerMetrics.bindTo(registry);
    }

    @Override
    public void close() {
        consumerMetrics.close();
        consumerRefresh.shutdownNow();
    }
}
