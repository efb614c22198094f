package dev.caddylightstep.cli;

/** A part of a running process failed for good; its message is the one line printed before the process exits 1. */
final class RunFailure extends RuntimeException {
    RunFailure(String message) {
        super(message);
    }
}
