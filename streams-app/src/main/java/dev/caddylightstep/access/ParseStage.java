package dev.caddylightstep.access;

import dev.caddylightstep.deadletter.DeadLetterHeaders;
import dev.caddylightstep.deadletter.DeadLetterReason;
import dev.caddylightstep.deadletter.RecordFailure;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Stage {@code parse}: raw lines become {@link AccessEvent}s. Lines of Caddy's other loggers are counted and
 * skipped; every other line that is not a well-formed access entry goes, unchanged, to the dead-letter topic
 * with headers that say why and where it came from.
 */
public final class ParseStage {
    /** Kafka Streams metrics scope of this project's own counters (metric group stream-caddy-lightstep-metrics). */
    public static final String METRICS_SCOPE = "caddy-lightstep";

    private ParseStage() {
    }

    /** The requests of the lines, and the dead letters of the lines that are none. */
    public record ParsedLines(KStream<byte[], AccessEvent> requests, KStream<byte[], byte[]> deadLetters) {
    }

    public static ParsedLines apply(KStream<byte[], byte[]> lines, LogFormat format, Redaction redaction, Set<String> extraHeaders,
                                    CapturedHeaders captured) {
        var branches = lines
                .processValues(() -> new LineParser(new CaddyLogParser(format, redaction, extraHeaders, captured), format.maxClockSkew()),
                        Named.as("parse"))
                .split(Named.as("parsed-"))
                .branch((key, line) -> line.outcome() instanceof ParseOutcome.Parsed, Branched.as("access"))
                .defaultBranch(Branched.as("rejected"));
        // a line longer than the limit keeps its first max-line-bytes: a dead letter must fit the topic, or
        // under exactly-once the failed send would abort the transaction and the line would come back forever
        int limit = format.maxLineBytes();
        // the line as it was read, with the redaction its span would have had: no topic the application writes keeps a credential
        KStream<byte[], byte[]> deadLetters = branches.get("parsed-rejected")
                .mapValues(line -> {
                    byte[] redacted = redaction.redactLine(line.raw());
                    return redacted.length > limit ? Arrays.copyOf(redacted, limit) : redacted;
                }, Named.as("rejected-line"));
        KStream<byte[], AccessEvent> requests = branches.get("parsed-access")
                .mapValues(line -> ((ParseOutcome.Parsed) line.outcome()).event(), Named.as("access-event"));
        return new ParsedLines(requests, deadLetters);
    }

    /** A line with what the parser made of it. */
    record ParsedLine(ParseOutcome outcome, byte[] raw) {
    }

    private static final class LineParser implements FixedKeyProcessor<byte[], byte[], ParsedLine> {
        private final CaddyLogParser parser;
        private final long maxClockSkewMs;
        private FixedKeyProcessorContext<byte[], ParsedLine> context;
        private Sensor accepted;
        private Sensor skipped;
        private final Map<DeadLetterReason, Sensor> deadLettered = new EnumMap<>(DeadLetterReason.class);

        LineParser(CaddyLogParser parser, Duration maxClockSkew) {
            this.parser = parser;
            this.maxClockSkewMs = maxClockSkew.toMillis();
        }

        @Override
        public void init(FixedKeyProcessorContext<byte[], ParsedLine> context) {
            this.context = context;
            var metrics = context.metrics();
            accepted = metrics.addRateTotalSensor(METRICS_SCOPE, "parse", "lines-accepted", Sensor.RecordingLevel.INFO);
            skipped = metrics.addRateTotalSensor(METRICS_SCOPE, "parse", "lines-skipped", Sensor.RecordingLevel.INFO);

        }

        @Override
        public void process(FixedKeyRecord<byte[], byte[]> record) {
            ParseOutcome outcome;
            try {
                outcome = inTime(parser.parse(record.value()));
            } catch (Throwable t) {
                throw RecordFailure.of("parse", t);
            }
            if (outcome instanceof ParseOutcome.Parsed parsed) {
                accepted.record();
                // windows are assigned by when Caddy logged the request, whatever time the shipper gave the record
                context.forward(record.withValue(new ParsedLine(outcome, null)).withTimestamp(parsed.event().endEpochMillis()));
            } else if (outcome instanceof ParseOutcome.NotAccess) {
                skipped.record();
            } else {
                ParseOutcome.Rejected rejected = (ParseOutcome.Rejected) outcome;
                // one sensor per reason, made when first needed: the metric's caddy-lightstep-id tag says why
                deadLettered.computeIfAbsent(rejected.reason(), reason -> context.metrics().addRateTotalSensor(
                        METRICS_SCOPE, reason.code(), "lines-dead-lettered", Sensor.RecordingLevel.INFO)).record();
                RecordMetadata source = context.recordMetadata().orElse(null);
                var headers = DeadLetterHeaders.of(rejected.reason().code(), "parse", rejected.detail(),
                        source == null ? null : source.topic(),
                        source == null ? -1 : source.partition(),
                        source == null ? -1 : source.offset());
                if (record.value() != null && record.value().length > parser.maxLineBytes()) {
                    DeadLetterHeaders.add(headers, DeadLetterHeaders.ORIGINAL_BYTES, Integer.toString(record.value().length));
                }
                context.forward(record.withValue(new ParsedLine(rejected, record.value())).withHeaders(headers));
            }
        }

        /**
         * A request logged later than this instance's clock allows is refused here: its time would become the record
         * time of its span and windows, which the broker refuses an hour ahead of its own clock, and which would close
         * the windows of every real line after it.
         */
        private ParseOutcome inTime(ParseOutcome outcome) {
            if (!(outcome instanceof ParseOutcome.Parsed parsed)) {
                return outcome;
            }
            long now = context.currentSystemTimeMs();
            long ahead = parsed.event().endEpochMillis() - now;
            if (ahead <= maxClockSkewMs) {
                return outcome;
            }
            return new ParseOutcome.Rejected(DeadLetterReason.FUTURE, "logged at " + Instant.ofEpochMilli(parsed.event().endEpochMillis())
                    + ", " + Duration.ofMillis(ahead).toSeconds() + " s ahead of this instance's clock (" + Instant.ofEpochMilli(now)
                    + "); caddy.log.max-clock-skew is " + Duration.ofMillis(maxClockSkewMs).toSeconds() + " s");
        }
    }
}
