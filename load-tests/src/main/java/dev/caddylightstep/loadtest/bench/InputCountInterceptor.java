package dev.caddylightstep.loadtest.bench;

import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Counts the records of the pipeline's input topic that its stream threads' consumers return, into the lane's
 * {@link ConsumedInput}. Kafka creates interceptors by class name, hence the static state.
 */
public final class InputCountInterceptor implements ConsumerInterceptor<Object, Object> {
    private static volatile String topic;
    private static volatile ConsumedInput counted;

    static void countInto(String inputTopic, ConsumedInput consumed) {
        topic = inputTopic;
        counted = consumed;
    }

    @Override
    public ConsumerRecords<Object, Object> onConsume(ConsumerRecords<Object, Object> records) {
        long count = 0;
        for (TopicPartition partition : records.partitions()) {
            if (partition.topic().equals(topic)) {
                count += records.records(partition).size();
            }
        }
        if (count > 0) {
            counted.add(count);
        }
        return records;
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
