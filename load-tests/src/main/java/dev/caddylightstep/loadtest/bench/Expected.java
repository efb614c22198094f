package dev.caddylightstep.loadtest.bench;

import dev.caddylightstep.loadtest.GeneratedCounts;

/**
 * What a run must deliver for its input: every line copied (pass-through), or a span per access line, a dead
 * letter per malformed line and every request counted in a window (pipeline). Lines of Caddy's other loggers
 * are skipped by the pipeline and leave nothing behind.
 */
record Expected(long lines, long bytes, long requests, long deadLetters) {

    static Expected of(GeneratedCounts counts, long bytes) {
        return new Expected(counts.lines(), bytes, counts.accessLines(), counts.malformedLines());
    }

    Expected plus(Expected other) {
        return new Expected(lines + other.lines, bytes + other.bytes, requests + other.requests, deadLetters + other.deadLetters);
    }
}
