package dev.caddylightstep.aggregate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caddylightstep.deadletter.DeadLetterHeaders;
import dev.caddylightstep.deadletter.DeadLetterReason;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Marks the observations that come after their window closed, by the same rule as the windowed aggregation
 * (window end + grace at or before stream time), so that they are dead-lettered with a reason instead of
 * being dropped by the aggregation without a trace. Stream time is kept in a store, so that after a restart
 * the filter is at least as strict as the window store it guards.
 */
final class LateLineFilter implements FixedKeyProcessor<String, LatencyObservation, LateLineFilter.Checked> {
    private static final String STREAM_TIME = "stream-time";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String storeName;
    private final long sizeMs;
    private final long graceMs;
    private final String aggregate;
    private FixedKeyProcessorContext<String, Checked> context;
    private KeyValueStore<String, Long> store;
    private long streamTime = Long.MIN_VALUE;
    private long saved = Long.MIN_VALUE;

    LateLineFilter(String storeName, WindowSettings windows, String aggregate) {
        this.storeName = storeName;
        this.sizeMs = windows.size().toMillis();
        this.graceMs = windows.grace().toMillis();
        this.aggregate = aggregate;
    }

    /** An observation, and whether its window had already closed. */
    record Checked(LatencyObservation observation, long timestampMs, boolean late) {
    }

    @Override
    public void init(FixedKeyProcessorContext<String, Checked> context) {
        this.context = context;
        this.store = context.getStateStore(storeName);
        Long stored = store.get(STREAM_TIME);
        if (stored != null) {
            streamTime = stored;
            saved = stored;
        }
    }

    @Override
    public void process(FixedKeyRecord<String, LatencyObservation> record) {
        long timestamp = record.timestamp();
        if (timestamp > streamTime) {
            streamTime = timestamp;
            // lateness only changes when another window closes: saving then, not on every request, keeps the
            // same decisions after a restart for a store write per window instead of one per request
            if (lastClosedWindow(streamTime) != lastClosedWindow(saved)) {
                store.put(STREAM_TIME, streamTime);
                saved = streamTime;
            }
        }
        long windowStart = timestamp - Math.floorMod(timestamp, sizeMs);
        long windowEnd = windowStart + sizeMs;
        if (windowEnd + graceMs > streamTime) {
            context.forward(record.withValue(new Checked(record.value(), timestamp, false)));
            return;
        }
        String detail = "logged at " + timestamp + " for window [" + windowStart + ", " + windowEnd + ") of " + aggregate
                + ", which closed when stream time reached " + (windowEnd + graceMs) + " (now " + streamTime + ")";
        var source = context.recordMetadata().orElse(null);
        var headers = DeadLetterHeaders.of(DeadLetterReason.LATE.code(), "aggregate", detail,
                source == null ? null : source.topic(), source == null ? -1 : source.partition(), source == null ? -1 : source.offset());
        context.forward(record.withValue(new Checked(record.value(), timestamp, true)).withHeaders(headers));
    }

    /** The number of the last window closed at this stream time (window end + grace at or before it). */
    private long lastClosedWindow(long time) {
        return time == Long.MIN_VALUE ? Long.MIN_VALUE : Math.floorDiv(time - graceMs, sizeMs);
    }

    /** The dead letter of a late request: what it was, enough to find its span. */
    static byte[] describe(Checked checked) {
        LatencyObservation o = checked.observation();
        long timestamp = checked.timestampMs();
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("group", o.group());
        fields.put("route", o.route());
        fields.put("ts_ms", timestamp);
        fields.put("status", o.status());
        fields.put("duration_ms", o.durationMillis());
        fields.put("trace_id", o.traceId());
        fields.put("span_id", o.spanId());
        try {
            return JSON.writeValueAsBytes(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings and numbers is always JSON", e);
        }
    }
}
