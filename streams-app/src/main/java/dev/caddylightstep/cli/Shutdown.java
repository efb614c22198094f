package dev.caddylightstep.cli;

import sun.misc.Signal;

/**
 * SIGTERM and SIGINT as a request to stop cleanly. A shutdown hook would run the same code, but the JVM
 * then exits 143 whatever happens; handling the signal lets the command close everything and exit 0.
 */
final class Shutdown {
    private Shutdown() {
    }

    @SuppressWarnings("restriction")
    static void onSignal(Runnable stop) {
        Signal.handle(new Signal("TERM"), signal -> stop.run());
        Signal.handle(new Signal("INT"), signal -> stop.run());
    }
}
