package dev.caddylightstep.loadtest.bench;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Notes the clocks when a stream thread's consumer first returns a record of the watched topic, so that a
 * pipeline run is measured from its first input record, not from the application's start-up (joining the
 * group, opening state stores). Kafka creates interceptors by class name, hence the static state.
 */
public final class FirstRecordInterceptor implements ConsumerInterceptor<Object, Object> {
    private static volatile String topic;
    private static volatile CountDownLatch seen = new CountDownLatch(1);
    private static volatile Clocks first;

    /** Watches for the first record of {@code inputTopic}, forgetting any earlier one. */
    static void watch(String inputTopic) {
        first = null;
        seen = new CountDownLatch(1);
        topic = inputTopic;
    }

    static Clocks await(Duration timeout) throws InterruptedException {
        if (!seen.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("no record of " + topic + " consumed within " + timeout.toSeconds() + " s");
        }
        return first;
    }

    @Override
    public ConsumerRecords<Object, Object> onConsume(ConsumerRecords<Object, Object> records) {
        if (first == null && !records.isEmpty()) {
            for (TopicPartition partition : records.partitions()) {
                if (partition.topic().equals(topic)) {
                    noteFirst();
                    break;
                }
            }
        }
        return records;
    }

    private static synchronized void noteFirst() {
        if (first == null) {
            first = Clocks.now();
            seen.countDown();
        }
    }

    @Override
    public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
    }

    @Override
    public void close() {
    }

    @Override
    public void configure(Map<String, ?> configs) {
    }
}
