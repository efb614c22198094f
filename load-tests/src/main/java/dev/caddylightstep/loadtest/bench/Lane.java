package dev.caddylightstep.loadtest.bench;

/**
 * One way through the broker that the benchmark measures: its topics, when it has done its work, how it starts,
 * pauses and resumes.
 */
interface Lane extends AutoCloseable {
    String name();

    /**
     * Whether a kind of thread (as {@link ThreadCpu} names it) does the lane's own work: the pipeline's stream threads, the
     * pass-through's copying thread. Their CPU per line is issue 27's measure of the pipeline's work, apart from the
     * broker's, the clients' and the compiler's in the same process.
     */
    boolean doesWork(String threadKind);

    String inputTopic();

    /** The prefix of every topic the lane reads or writes, internal ones included. */
    String topicPrefix();

    /** Opens a reader of the lane's outputs (not yet started). */
    OutputWatch watch();

    /** True once the outputs hold everything the input asks for, committed. */
    boolean isComplete(OutputWatch.Tally tally, Expected expected);

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
