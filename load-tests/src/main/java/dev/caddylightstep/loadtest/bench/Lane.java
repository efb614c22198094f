package dev.caddylightstep.loadtest.bench;

/**
 * One way through the broker that the benchmark measures: its topics, when it has done its work, how it starts,
 * pauses and resumes.
 */
interface Lane extends AutoCloseable {
    String name();

    String inputTopic();

    /** The prefix of every topic the lane reads or writes, internal ones included. */
    String topicPrefix();

    /** Opens a reader of the lane's outputs (not yet started). */
    OutputWatch watch();

    /** True once the outputs hold everything the input asks for, committed. */
    boolean isComplete(OutputWatch.Tally tally, Expected expected);

    /**
     * The outputs read so far that show how far through its input the lane is: about one per line (copies; requests
     * with spans, counted in the records of spans that hold many, and dead letters), where a window's aggregate stands
     * for many.
     */
    long outputs(OutputWatch.Tally tally);

    /** The outputs, counted as {@link #outputs(OutputWatch.Tally)} counts them, that the input asks for. */
    long outputs(Expected expected);

    /** The input records the lane's consumers have returned since it started. */
    ConsumedInput consumedInput();

    /** Starts consuming the input topic from its beginning. */
    void start();

    /**
     * Stops processing input until {@link #resume}, keeping the lane's clients, state and compiled code; once this
     * returns, input produced from then on waits for the resume.
     */
    void pause() throws InterruptedException;

    void resume();

    @Override
    void close();
}
