package dev.caddylightstep.deadletter;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The headers of every dead letter, whichever stage wrote it. Where Kafka Streams' own dead-letter records
 * (KIP-1034) have a header for the same thing, the name is the same, so that one tool reads both; all values
 * are UTF-8 text, readable with kcat.
 */
public final class DeadLetterHeaders {
    /** Machine-readable reason, a {@link DeadLetterReason#code()} or "exception". */
    public static final String REASON = "caddy.dlq.reason";
    /** The stage that gave up: parse, aggregate, export, or the Kafka Streams handler that caught an exception. */
    public static final String STAGE = "caddy.dlq.stage";
    /** The size of a value cut to fit the dead-letter topic; absent when the value is whole. */
    public static final String ORIGINAL_BYTES = "caddy.dlq.original-bytes";
    /** The size of a key left out as too large for the dead-letter topic (the value is left out then too). */
    public static final String ORIGINAL_KEY_BYTES = "caddy.dlq.original-key-bytes";
    public static final String MESSAGE = "__streams.errors.message";
    public static final String EXCEPTION = "__streams.errors.exception";
    public static final String TOPIC = "__streams.errors.topic";
    public static final String PARTITION = "__streams.errors.partition";
    public static final String OFFSET = "__streams.errors.offset";

    private DeadLetterHeaders() {
    }

    /** Headers saying why and where from; topic null when the source is unknown. */
    public static Headers of(String reason, String stage, String message, String topic, int partition, long offset) {
        RecordHeaders headers = new RecordHeaders();
        add(headers, REASON, reason);
        add(headers, STAGE, stage);
        add(headers, MESSAGE, message == null ? null : abbreviate(message));
        if (topic != null) {
            add(headers, TOPIC, topic);
            add(headers, PARTITION, Integer.toString(partition));
            add(headers, OFFSET, Long.toString(offset));
        }
        return headers;
    }

    /** A message cut to 1,000 characters: a message may quote the input, which can be megabytes. */
    public static String abbreviate(String message) {
        return message.length() <= 1000 ? message : message.substring(0, 1000) + "…";
    }

    public static void add(Headers headers, String name, String value) {
        headers.add(name, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }

    /** A header's value as text, or null. */
    public static String text(Headers headers, String name) {
        var header = headers.lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
