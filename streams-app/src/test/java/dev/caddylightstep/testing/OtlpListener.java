package dev.caddylightstep.testing;

/** One bound server socket of an {@link OtlpReceiver}; a restart binds a new one. */
interface OtlpListener {

    int port();

    /** Closes the listening socket and every open connection, without waiting for clients to finish. */
    void stop();
}
