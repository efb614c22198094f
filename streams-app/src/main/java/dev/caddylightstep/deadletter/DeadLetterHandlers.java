package dev.caddylightstep.deadletter;

import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams' exception handlers for what slips past the topology's own dead-letter branches: a record
 * that cannot be deserialized or processed goes to the dead-letter topic (Streams'
 * errors.dead.letter.queue.topic.name) with the source bytes and the same headers as every other dead letter,
 * and processing resumes. Nothing is dropped silently and no bad record stops the application.
 */
public final class DeadLetterHandlers {
    /**
     * The Streams property that hands the handlers the application's redaction of a line (a {@code UnaryOperator<byte[]>}):
     * the line a dead letter copies may hold credentials, which no topic the application writes may keep.
     */
    public static final String LINE_REDACTION = "caddy.dead-letter.line-redaction";
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterHandlers.class);

    private DeadLetterHandlers() {
    }

    private static String topicOf(Map<String, ?> configs) {
        Object topic = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
        if (topic == null || topic.toString().isBlank()) {
            throw new org.apache.kafka.common.config.ConfigException(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG
                    + " must name the dead-letter topic");
        }
        return topic.toString();
    }

    /** The producer's max.request.size as Streams configures it, less room for headers. */
    private static int valueLimit(Map<String, ?> configs) {
        Object size = configs.get("producer.max.request.size");
        if (size == null) {
            size = configs.get("max.request.size");
        }
        int maxRequest = size == null ? 1024 * 1024 : Integer.parseInt(size.toString());
        return Math.max(0, maxRequest - 64 * 1024);
    }

    /**
     * A dead letter with the source bytes when they fit: one too large for the producer would fail its send,
     * and under exactly-once abort the transaction, bringing the same record back again and again.
     */
    private static ProducerRecord<byte[], byte[]> deadLetter(String dlqTopic, int valueLimit, DeadLetterReason reason, String stage,
                                                             ErrorHandlerContext context, byte[] key, byte[] value, Exception exception) {
        Throwable cause = exception instanceof RecordFailure && exception.getCause() != null ? exception.getCause() : exception;
        Headers headers = DeadLetterHeaders.of(reason.code(), stage, String.valueOf(exception.getMessage()),
                context.topic(), context.partition(), context.offset());
        DeadLetterHeaders.add(headers, DeadLetterHeaders.EXCEPTION, cause.getClass().getName());
        long size = (key == null ? 0 : key.length) + (value == null ? 0 : (long) value.length);
        if (size > valueLimit) {
            DeadLetterHeaders.add(headers, DeadLetterHeaders.ORIGINAL_BYTES, Long.toString(size));
            key = null;
            value = null;
        }
        LOG.warn("dead-lettered a record of {} partition {} offset {} at {} ({}): {}", context.topic(), context.partition(),
                context.offset(), stage, reason.code(), DeadLetterHeaders.abbreviate(String.valueOf(exception.getMessage())));
        return new ProducerRecord<>(dlqTopic, null, context.timestamp(), key, value, headers);
    }

    /** Where the handlers write: the dead-letter topic, and how large a value it takes, from the Streams configuration. */
    abstract static class Target implements org.apache.kafka.common.Configurable {
        String dlqTopic;
        int valueLimit;
        /** The redaction of a source line for its dead letter, as the parse stage applies it to its own (LINE_REDACTION). */
        UnaryOperator<byte[]> redaction = UnaryOperator.identity();

        @Override
        @SuppressWarnings("unchecked")
        public void configure(Map<String, ?> configs) {
            dlqTopic = topicOf(configs);
            valueLimit = valueLimit(configs);
            Object configured = configs.get(LINE_REDACTION);
            if (configured instanceof UnaryOperator<?> operator) {
                redaction = (UnaryOperator<byte[]>) operator;
            }
        }

        /** The dead letter of a source record: its value redacted, cut to the topic's size when it must be. */
        ProducerRecord<byte[], byte[]> letter(DeadLetterReason reason, String stage, ErrorHandlerContext context, byte[] key, byte[] value,
                                             Exception exception) {
            return deadLetter(dlqTopic, valueLimit, reason, stage, context, key, value == null ? null : redaction.apply(value), exception);
        }
    }

    /**
     * A record of an input or internal topic that its serde cannot read.
     *
     * <p>A record of a global table (the policies, and the identities with the global join) is read by the global thread,
     * in every instance: Kafka Streams 4.4 gives that thread no producer, and a dead letter handed back from it failed
     * the thread with a ClassCastException, which stops the whole client. Such a record is skipped with a warning that
     * names it (Kafka counts it in the task's dropped-records too), and the table keeps the entry it had.
     */
    public static final class Deserialization extends Target implements DeserializationExceptionHandler {
        /** The task of every record the global thread reads. */
        private static final TaskId GLOBAL_TASK = new TaskId(-1, -1);

        @Override
        public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
            if (GLOBAL_TASK.equals(context.taskId())) {
                LOG.warn("skipped an unreadable record of {} partition {} offset {} (the table keeps the entry it had for its key): {}",
                        context.topic(), context.partition(), context.offset(), DeadLetterHeaders.abbreviate(String.valueOf(exception.getMessage())));
                return Response.resume();
            }
            return Response.resume(List.of(letter(DeadLetterReason.EXCEPTION, "deserialization", context,
                    record.key(), record.value(), exception)));
        }
    }

    /**
     * A record a processor threw on: its stage is the one a {@link RecordFailure} names, or the processor's. A record
     * failure caused by a {@link RecordTooLargeException} is a record whose output would be larger than the application
     * writes (a span, checked as it joins its batch): reason too-large.
     *
     * <p>A {@link StreamsException} is Kafka Streams' own failure, thrown wherever a record or punctuation happened to be:
     * above all a send its producer gave up on (a topic refused, a broker gone past delivery.timeout.ms), which the next
     * send rethrows. It is no record's fault, and the stream thread fails: its replacement, or the instance's end, goes
     * back to the last commit. Resumed from, the failed send was forgotten (Streams clears it once thrown), and at least
     * once the next commit went past records never written; exactly once, the transaction failed all the same, after a
     * dead letter that was never written.
     */
    public static final class Processing extends Target implements ProcessingExceptionHandler {

        @Override
        public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
            if (exception instanceof StreamsException) {
                return Response.fail();
            }
            String stage = exception instanceof RecordFailure failure ? failure.stage() : context.processorNodeId();
            DeadLetterReason reason = exception instanceof RecordFailure && exception.getCause() instanceof RecordTooLargeException
                    ? DeadLetterReason.TOO_LARGE : DeadLetterReason.EXCEPTION;
            return Response.resume(List.of(letter(reason, stage, context, context.sourceRawKey(), context.sourceRawValue(), exception)));
        }
    }

    /**
     * A record the broker refused for its size: its source goes to the dead-letter topic instead (when that too
     * is too large, only the headers go). Any other production error fails, so that exactly-once can retry it.
     */
    public static final class Production extends Target implements ProductionExceptionHandler {

        @Override
        public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
            if (!(exception instanceof RecordTooLargeException)) {
                return Response.fail();
            }
            if (record.topic().equals(dlqTopic)) {
                ProducerRecord<byte[], byte[]> headersOnly = letter(DeadLetterReason.TOO_LARGE, "production", context,
                        null, null, exception);
                return Response.resume(List.of(headersOnly));
            }
            return Response.resume(List.of(letter(DeadLetterReason.TOO_LARGE, "production", context,
                    context.sourceRawKey(), context.sourceRawValue(), exception)));
        }

        /**
         * A value that could not be serialized, or that its serde found larger than the application writes (see
         * {@code RecordLimit}): refused there, before the producer sees it, it fails no transaction. The stage is the
         * one whose sink it was ("by-group" for the sink "by-group-to-caddy.latency.by-group").
         */
        @Override
        public Response handleSerializationError(ErrorHandlerContext context, ProducerRecord record, Exception exception,
                                                 SerializationExceptionOrigin origin) {
            DeadLetterReason reason = exception instanceof RecordTooLargeException ? DeadLetterReason.TOO_LARGE : DeadLetterReason.EXCEPTION;
            return Response.resume(List.of(letter(reason, stageOfSink(context.processorNodeId()), context,
                    context.sourceRawKey(), context.sourceRawValue(), exception)));
        }

        private static String stageOfSink(String node) {
            int to = node == null ? -1 : node.indexOf("-to-");
            return to > 0 ? node.substring(0, to) : "serialization";
        }
    }
}
