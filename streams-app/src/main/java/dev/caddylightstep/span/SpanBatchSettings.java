package dev.caddylightstep.span;

import dev.caddylightstep.config.Settings;

/**
 * How full a record of the spans topic may get: a batch is written once it holds {@code maxSpans} spans, or before
 * the next request's spans would take it past {@code maxBytes}.
 *
 * @param maxSpans spans in one record (caddy.spans.max-batch); a request's spans, its server span and the client span
 *     of its upstream, are never split, so it is at least 2
 * @param maxBytes bytes in one record: what the application writes in one record, and no more than the forwarder
 *     sends in one export, which would dead-letter a larger record whole, every span in it
 */
public record SpanBatchSettings(int maxSpans, int maxBytes) {
    /** caddy.spans.max-batch, and the smaller of the two byte bounds. */
    public static SpanBatchSettings from(Settings s, int maxBytes) {
        return new SpanBatchSettings(s.integer("caddy.spans.max-batch", 2, 100_000), maxBytes);
    }
}
