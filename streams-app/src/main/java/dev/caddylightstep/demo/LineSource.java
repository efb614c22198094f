package dev.caddylightstep.demo;

/** Where the demo's lines come from: the bundled sample replayed, or a Caddy log file followed. */
interface LineSource extends Runnable, AutoCloseable {

    /** Lines read and placed so far (acknowledged by Kafka): on the access topic, or dead-lettered by the shipper. */
    long lines();

    /** True when everything there was to read has been written and the source waits for more. */
    boolean caughtUp();

    /** System.nanoTime() of the last line read, or of the start. */
    long lastLineNanos();

    /** Why the source stopped for good, or null while it works. */
    default String failure() {
        return null;
    }

    /** What the demo prints about the input. */
    String description();

    /**
     * Asks {@link #run()} to return soon, on its own thread: the demo waits for that before it closes the source, so
     * that no Kafka producer is closed while a send is under way or from an interrupted thread.
     */
    void stop();

    @Override
    void close();
}
