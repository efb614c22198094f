package dev.caddylightstep.loadtest.bench;

import dev.caddylightstep.loadtest.CaddyLogGenerator;
import dev.caddylightstep.loadtest.GeneratorSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes Caddy lines into an input topic as the shipper does (lz4, batches of up to 256 KB, acknowledged by
 * all replicas, idempotent), each record stamped with the line's log time.
 */
final class InputProducer implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;

    InputProducer(String bootstrapServers, int lingerMs) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-input");
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        config.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Every line of the input, generated as it is sent and stamped with its log time; then waits until the broker has them all. */
    Expected produceAll(String topic, BenchInput input) {
        CaddyLogGenerator generator = new CaddyLogGenerator(input.settings());
        long bytes = 0;
        for (int i = 0; i < input.lines(); i++) {
            long timestampMs = Math.floorDiv(generator.nextEpochNanos(), 1_000_000L);
            byte[] line = generator.nextLine();
            bytes += line.length;
            producer.send(new ProducerRecord<>(topic, null, timestampMs, null, line));
        }
        producer.flush();
        return Expected.of(generator.counts(), bytes);
    }

    /**
     * Lines whose log time starts now, each sent when the wall clock reaches its log time, for {@code duration};
     * so a line's Caddy timestamp is the moment it was handed to Kafka, as with a shipper tailing a live log.
     */
    Expected producePaced(String topic, GeneratorSettings settings, double linesPerSecond, Duration duration) {
        Instant start = Instant.now();
        CaddyLogGenerator generator = new CaddyLogGenerator(settings.withStart(start).withLinesPerSecond(linesPerSecond));
        long endNanos = epochNanos(start) + duration.toNanos();
        long bytes = 0;
        while (generator.nextEpochNanos() < endNanos) {
            long due = generator.nextEpochNanos();
            for (long ahead = due - epochNanos(Instant.now()); ahead > 0; ahead = due - epochNanos(Instant.now())) {
                LockSupport.parkNanos(ahead);
            }
            byte[] line = generator.nextLine();
            bytes += line.length;
            producer.send(new ProducerRecord<>(topic, null, Math.floorDiv(due, 1_000_000L), null, line));
        }
        producer.flush();
        return Expected.of(generator.counts(), bytes);
    }

    private static long epochNanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(30));
    }
}
