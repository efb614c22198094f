package dev.caddylightstep.loadtest.bench;

import java.time.Duration;

/** One way through the broker that the benchmark measures: its topics, when it has done its work, how it starts. */
interface Lane extends AutoCloseable {
    String name();

    String inputTopic();

    /** The prefix of every topic the lane reads or writes, internal ones included. */
    String topicPrefix();

    /** Opens a reader of the lane's outputs (not yet started). */
    OutputWatch watch();

    /** True once the outputs hold everything the input asks for, committed. */
    boolean isComplete(OutputWatch.Tally tally, Expected expected);

    /** Starts consuming the input topic from its beginning. */
    void start();

    /** The clocks when the first input record was consumed. */
    Clocks awaitFirstRecord(Duration timeout) throws InterruptedException;

    @Override
    void close();
}
