package dev.caddylightstep.topology;

import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.deadletter.DeadLetterHandlers;
import java.util.Map;
import java.util.Properties;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The Kafka Streams properties of the application: the configured ones win; these defaults make it
 * exactly-once, send every record Streams cannot handle to the dead-letter topic, and suit its traffic.
 */
public final class StreamsProperties {
    private StreamsProperties() {
    }

    public static Properties of(PipelineConfig config) {
        Properties props = new Properties();
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, config.topics().accessDeadLetters());
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Deserialization.class.getName());
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Processing.class.getName());
        props.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Production.class.getName());
        props.put(DeadLetterHandlers.LINE_REDACTION, (UnaryOperator<byte[]>) config.redaction()::redactLine);
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        // Kafka Streams 4.4's partition assignor reads a StreamsConfig of its own from the main consumer's settings, and
        // that one warned at every start that the handler above is not enabled for the global thread
        props.put(StreamsConfig.mainConsumerPrefix(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG), true);
        // two transactions a second: a span is readable about 0.3 s after its request at p50 and 0.6 s at p99, a window
        // within about a second of its last request (two commits: the partials', then the merge's); 1 s doubled both, and
        // 250 or 100 ms (Kafka's default) cost more CPU a line in commits and window records than they saved
        // (load-tests/README.md)
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 500);
        // a task joining requests with identities takes what it has fetched in timestamp order, without waiting first for
        // a fetch of the side that has nothing buffered (an identity update is at most one fetch late): Kafka 4.4 would
        // otherwise format a log message per request for that empty side, 7% of the stream threads' samples in bench
        props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 20);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 256 * 1024);
        // a stream thread that has worked through its fetched lines waits in poll for the next fetch (a third of the
        // stream threads' samples in bench): 1 MiB of lz4-compressed lines is a tenth of a second of work, 8 MiB
        // makes those waits rarer (+10% lines/s side by side); fetch.max.bytes still bounds a fetch's memory
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), 8 * 1024 * 1024);
        // dead letters carry lines up to caddy.log.max-line-bytes
        props.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), 4 * 1024 * 1024);
        props.put(StreamsConfig.topicPrefix("max.message.bytes"), Integer.toString(4 * 1024 * 1024));
        for (Map.Entry<String, Object> entry : config.kafka().entrySet()) {
            props.put(entry.getKey(), entry.getValue());
        }
        return props;
    }
}
