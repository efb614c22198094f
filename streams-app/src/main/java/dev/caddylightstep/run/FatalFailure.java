package dev.caddylightstep.run;

/**
 * What the process does when a part it cannot do without has failed for good (the forwarder, the streams): it ends,
 * so that its orchestrator starts it again, rather than running on with the part dead and its probes green.
 */
@FunctionalInterface
public interface FatalFailure {
    /**
     * Called once, from the thread that failed or saw the failure.
     *
     * @param reason one line for the operator, naming the part and the failure, with no secret
     */
    void occurred(String reason, Throwable cause);

    /** A failure as one line: the kind of exception and its message, line breaks and all on one line. */
    static String oneLine(Throwable failure) {
        String message = failure.getMessage() == null ? "" : ": " + failure.getMessage().strip().replaceAll("\\s+", " ");
        return failure.getClass().getSimpleName() + message;
    }
}
