package dev.caddylightstep.access;

import dev.caddylightstep.deadletter.DeadLetterReason;

/** What one line of Caddy's log turned out to be: a request, a line of another logger, or a line to dead-letter. */
public sealed interface ParseOutcome {

    /** An access-log entry: one request. */
    record Parsed(AccessEvent event) implements ParseOutcome {
    }

    /** A well-formed line of one of Caddy's other loggers (start-up, errors, TLS): not a request. */
    record NotAccess(String logger) implements ParseOutcome {
    }

    /** A line that is not a well-formed access entry, and why. */
    record Rejected(DeadLetterReason reason, String detail) implements ParseOutcome {
    }
}
