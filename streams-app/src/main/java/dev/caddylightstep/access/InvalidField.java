package dev.caddylightstep.access;

import dev.caddylightstep.deadletter.DeadLetterReason;

/** A field that makes the line unusable; unchecked so that the field readers stay plain. */
final class InvalidField extends RuntimeException {
    final DeadLetterReason reason;

    InvalidField(DeadLetterReason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    static InvalidField duplicate(String path) {
        return new InvalidField(DeadLetterReason.DUPLICATE_FIELD, "Duplicate field '" + path + "'");
    }
}
