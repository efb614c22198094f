package dev.caddylightstep.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The sample log recorded with real Caddy 2.6.2, replayed at its own pace with its timestamps moved to now,
 * in a loop so that the dashboard stays live (once, for --until-idle).
 */
final class SampleReplay implements LineSource {
    static final String RESOURCE = "/demo/sample-access.log";
    private static final long PAUSE_BETWEEN_LOOPS_NANOS = 2_000_000_000L;

    private final List<Line> sample;
    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final boolean loop;
    private final AtomicLong written = new AtomicLong();
    private volatile boolean caughtUp;
    private volatile long lastLineNanos = System.nanoTime();
    private volatile boolean running = true;
    private volatile Thread runner;

    /** One sample line split around its ts value, so that a new ts goes in without parsing the rest. */
    private record Line(String before, BigDecimal ts, String after) {
    }

    SampleReplay(String bootstrapServers, String topic, boolean loop) {
        this.sample = load();
        this.topic = topic;
        this.loop = loop;
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
                ProducerConfig.LINGER_MS_CONFIG, 10), new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static List<Line> load() {
        try (InputStream in = SampleReplay.class.getResourceAsStream(RESOURCE)) {
            List<Line> lines = new ArrayList<>();
            for (String text : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                int start = text.indexOf("\"ts\":") + 5;
                int end = text.indexOf(',', start);
                lines.add(new Line(text.substring(0, start), new BigDecimal(text.substring(start, end)), text.substring(end)));
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException("the bundled sample log is missing from the jar", e);
        }
    }

    @Override
    public void run() {
        runner = Thread.currentThread();
        BigDecimal first = sample.get(0).ts();
        do {
            long startNanos = System.nanoTime();
            BigDecimal startSeconds = BigDecimal.valueOf(System.currentTimeMillis()).movePointLeft(3);
            for (Line line : sample) {
                if (!running) {
                    return;
                }
                BigDecimal offset = line.ts().subtract(first);
                long dueNanos = startNanos + offset.movePointRight(9).longValue();
                sleepUntil(dueNanos);
                BigDecimal ts = startSeconds.add(offset).setScale(7, RoundingMode.HALF_UP);
                byte[] bytes = (line.before() + ts.toPlainString() + line.after()).getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(topic, null, ts.movePointRight(3).longValue(), null, bytes), (metadata, error) -> {
                    if (error == null) {
                        written.incrementAndGet();
                    }
                });
                lastLineNanos = System.nanoTime();
            }
            producer.flush();
            sleepUntil(System.nanoTime() + PAUSE_BETWEEN_LOOPS_NANOS);
        } while (loop && running);
        producer.flush();
        caughtUp = true;
    }

    /** Waits until then, or until stopped: {@link #stop()} wakes it. */
    private void sleepUntil(long nanos) {
        for (long wait = nanos - System.nanoTime(); wait > 0 && running; wait = nanos - System.nanoTime()) {
            LockSupport.parkNanos(this, wait);
        }
    }

    @Override
    public long lines() {
        return written.get();
    }

    @Override
    public boolean caughtUp() {
        return caughtUp;
    }

    @Override
    public long lastLineNanos() {
        return lastLineNanos;
    }

    @Override
    public String description() {
        return "sample: " + sample.size() + " lines recorded with real Caddy 2.6.2, replayed at their own pace with times moved to now"
                + (loop ? ", in a loop" : ", once");
    }

    @Override
    public void stop() {
        running = false;
        Thread thread = runner;
        if (thread != null) {
            LockSupport.unpark(thread);
        }
    }

    @Override
    public void close() {
        stop();
        producer.close();
    }
}
