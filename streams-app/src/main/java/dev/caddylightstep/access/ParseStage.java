package dev.caddylightstep.access;

import dev.caddylightstep.deadletter.DeadLetterHeaders;
import dev.caddylightstep.deadletter.DeadLetterReason;
import dev.caddylightstep.deadletter.RecordFailure;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Stage {@code parse}: raw lines become {@link AccessEvent}s. Lines of Caddy's other loggers are counted and
 * skipped; every other line that is not a well-formed access entry becomes a dead letter: the line as it was read
 * (redacted), with headers that say why and where it came from. One instance per task: it holds the task's sensors.
 */
public final class ParseStage {
    /** Kafka Streams metrics scope of this project's own counters (metric group stream-caddy-lightstep-metrics). */
    public static final String METRICS_SCOPE = "caddy-lightstep";

    private final CaddyLogParser parser;
    private final Redaction redaction;
    private final long maxClockSkewMs;
    private final int maxLineBytes;
    private Sensor accepted;
    private Sensor skipped;
    private StreamsMetrics metrics;
    private final Map<DeadLetterReason, Sensor> deadLettered = new EnumMap<>(DeadLetterReason.class);

    public ParseStage(LogFormat format, Redaction redaction, Set<String> extraHeaders, CapturedHeaders captured) {
        this.parser = new CaddyLogParser(format, redaction, extraHeaders, captured);
        this.redaction = redaction;
        this.maxClockSkewMs = format.maxClockSkew().toMillis();
        this.maxLineBytes = format.maxLineBytes();
    }

    public void init(StreamsMetrics metrics) {
        this.metrics = metrics;
        accepted = metrics.addRateTotalSensor(METRICS_SCOPE, "parse", "lines-accepted", Sensor.RecordingLevel.INFO);
        skipped = metrics.addRateTotalSensor(METRICS_SCOPE, "parse", "lines-skipped", Sensor.RecordingLevel.INFO);
    }

    /**
     * The request of the line, or null: a line of another logger is skipped, and any other line that is not an access
     * entry is handed to {@code deadLetters}.
     *
     * @param now this instance's clock, against which a line logged too far ahead is refused
     */
    public AccessEvent parse(Record<byte[], byte[]> line, long now, Optional<RecordMetadata> source,
                             Consumer<Record<byte[], byte[]>> deadLetters) {
        ParseOutcome outcome;
        try {
            outcome = inTime(parser.parse(line.value()), now);
        } catch (Throwable t) {
            throw RecordFailure.of("parse", t);
        }
        // recorded at the time Kafka Streams read for this record, not a new read of the clock for each line
        if (outcome instanceof ParseOutcome.Parsed parsed) {
            accepted.record(1, now);
            return parsed.event();
        }
        if (outcome instanceof ParseOutcome.NotAccess) {
            skipped.record(1, now);
            return null;
        }
        deadLetters.accept(deadLetter(line, (ParseOutcome.Rejected) outcome, source.orElse(null), now));
        return null;
    }

    /**
     * The line as it was read, with the redaction its span would have had (no topic the application writes keeps a
     * credential), cut to its first max-line-bytes: a dead letter must fit the topic, or under exactly-once the failed
     * send would abort the transaction and the line would come back forever.
     */
    private Record<byte[], byte[]> deadLetter(Record<byte[], byte[]> line, ParseOutcome.Rejected rejected, RecordMetadata source, long now) {
        // one sensor per reason, made when first needed: the metric's caddy-lightstep-id tag says why
        deadLettered.computeIfAbsent(rejected.reason(), reason -> metrics.addRateTotalSensor(
                METRICS_SCOPE, reason.code(), "lines-dead-lettered", Sensor.RecordingLevel.INFO)).record(1, now);
        var headers = DeadLetterHeaders.of(rejected.reason().code(), "parse", rejected.detail(),
                source == null ? null : source.topic(),
                source == null ? -1 : source.partition(),
                source == null ? -1 : source.offset());
        byte[] raw = line.value();
        if (raw != null && raw.length > maxLineBytes) {
            DeadLetterHeaders.add(headers, DeadLetterHeaders.ORIGINAL_BYTES, Integer.toString(raw.length));
        }
        byte[] redacted = redaction.redactLine(raw);
        return line.withValue(redacted != null && redacted.length > maxLineBytes ? Arrays.copyOf(redacted, maxLineBytes) : redacted).withHeaders(headers);
    }

    /**
     * A request logged later than this instance's clock allows is refused here: its time would become the record
     * time of its span and windows, which the broker refuses an hour ahead of its own clock, and which would close
     * the windows of every real line after it.
     */
    private ParseOutcome inTime(ParseOutcome outcome, long now) {
        if (!(outcome instanceof ParseOutcome.Parsed parsed)) {
            return outcome;
        }
        long ahead = parsed.event().endEpochMillis() - now;
        if (ahead <= maxClockSkewMs) {
            return outcome;
        }
        return new ParseOutcome.Rejected(DeadLetterReason.FUTURE, "logged at " + Instant.ofEpochMilli(parsed.event().endEpochMillis())
                + ", " + Duration.ofMillis(ahead).toSeconds() + " s ahead of this instance's clock (" + Instant.ofEpochMilli(now)
                + "); caddy.log.max-clock-skew is " + Duration.ofMillis(maxClockSkewMs).toSeconds() + " s");
    }
}
