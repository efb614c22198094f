package dev.caddylightstep.testing.otlp;

/** One bound server socket of an {@link OtlpReceiver}; a restart binds a new one. */
interface OtlpListener {

    int port();

    /** Closes the listening socket and every open connection, without waiting for clients to finish. */
    void stop();

    /** Closes the listening socket, answers the requests already taken (waiting up to {@code grace}), then closes the rest. */
    void drain(java.time.Duration grace);
}
