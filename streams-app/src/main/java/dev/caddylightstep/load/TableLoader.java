package dev.caddylightstep.load;

import dev.caddylightstep.config.KafkaClientProperties;
import dev.caddylightstep.topology.Topic;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;

/**
 * Writes the entries of an identities or policies file to their compacted topic in one transaction: readers
 * see all of them or none. Every record is stamped with time 0: an entry loaded from a file has always been
 * valid, so a request of any time meets it, whichever of the two topics a task happens to read first.
 */
public final class TableLoader {
    private TableLoader() {
    }

    /** Returns how many entries were written. */
    public static <V> int load(Map<String, Object> kafka, Topic<String, V> topic, List<V> entries, Function<V, String> keyOf) {
        Map<String, Object> props = new HashMap<>(KafkaClientProperties.producer(kafka));
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "caddy-lightstep-load-" + topic.name());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
        try (KafkaProducer<String, V> producer = new KafkaProducer<>(props, topic.keySerde().serializer(), topic.valueSerde().serializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            try {
                for (V entry : entries) {
                    producer.send(new ProducerRecord<>(topic.name(), null, 0L, keyOf.apply(entry), entry));
                }
                producer.commitTransaction();
            } catch (KafkaException e) {
                producer.abortTransaction();
                throw e;
            }
        }
        return entries.size();
    }
}
