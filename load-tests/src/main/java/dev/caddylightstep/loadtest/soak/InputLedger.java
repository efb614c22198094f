package dev.caddylightstep.loadtest.soak;

import dev.caddylightstep.loadtest.InMemoryStages;
import dev.caddylightstep.policy.EnrichedRequest;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * What the soak expects of the lines it wrote: each request's span id (derived from the line, as the pipeline derives
 * it) and log time, and the windows counted again. The generator's own counts give lines, requests, skipped and
 * malformed lines. Written by the one thread that writes the log.
 */
final class InputLedger {
    private final InMemoryStages stages = new InMemoryStages();
    private final WindowRecount recount;
    private long[] spanIds = new long[1 << 16];
    private long[] timesMs = new long[1 << 16];
    private int requests;

    InputLedger(long windowMs) {
        this.recount = new WindowRecount(windowMs);
    }

    /** A line as written; a line the pipeline skips or dead-letters leaves no request. */
    void add(byte[] line) {
        EnrichedRequest request = stages.enrich(line);
        if (request == null) {
            return;
        }
        if (requests == spanIds.length) {
            spanIds = Arrays.copyOf(spanIds, requests * 2);
            timesMs = Arrays.copyOf(timesMs, requests * 2);
        }
        spanIds[requests] = HexFormat.fromHexDigitsToLong(request.event().trace().spanId());
        timesMs[requests] = request.event().endEpochMillis();
        requests++;
        recount.add(request);
    }

    long[] spanIds() {
        return Arrays.copyOf(spanIds, requests);
    }

    long[] timesMs() {
        return Arrays.copyOf(timesMs, requests);
    }

    /** Requests as parsed here; the generator's own count of access lines must agree. */
    long requests() {
        return requests;
    }

    WindowRecount recount() {
        return recount;
    }
}
