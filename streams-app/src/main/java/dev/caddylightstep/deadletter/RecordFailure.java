package dev.caddylightstep.deadletter;

import java.util.function.Supplier;
import org.apache.kafka.streams.errors.StreamsException;

/**
 * What one record made a stage throw, in the form Kafka Streams' processing handler takes: that handler sees only
 * a RuntimeException, and a ClassCastException or any Error ends the stream thread instead, whose replacement reads
 * the same record again, forever. Wrapped, the record becomes a dead letter with reason {@code exception} and its
 * stage ({@link DeadLetterHandlers.Processing}), and the partition moves on.
 *
 * <p>A StackOverflowError is one record's failure: the stack unwinds with it. Errors that leave the process unusable
 * (OutOfMemoryError and the JVM's other VirtualMachineErrors, a class that cannot be loaded) are thrown on, to stop
 * the instance.
 */
public final class RecordFailure extends RuntimeException {
    private final String stage;

    private RecordFailure(String stage, Throwable cause) {
        super(DeadLetterHeaders.abbreviate(cause.toString()), cause, false, false);
        this.stage = stage;
    }

    /** The stage the record failed in: parse, judge, span, aggregate... */
    public String stage() {
        return stage;
    }

    /**
     * The failure to throw for what the record caused in the stage; rethrows what must stop the instance. Kafka Streams'
     * own failures go on as they are: a stage that sends (a full batch of spans, a dead letter) meets there the send its
     * producer gave up on before, which is no fault of the record in hand ({@link DeadLetterHandlers.Processing}).
     */
    public static RuntimeException of(String stage, Throwable cause) {
        if (cause instanceof RecordFailure failure) {
            return failure;
        }
        if (cause instanceof StreamsException streams) {
            return streams;
        }
        if (cause instanceof VirtualMachineError error && !(cause instanceof StackOverflowError)) {
            throw error;
        }
        if (cause instanceof LinkageError error) {
            throw error;
        }
        return new RecordFailure(stage, cause);
    }

    /** Runs one record's work in the stage, with whatever it throws turned into the stage's record failure. */
    public static <T> T guard(String stage, Supplier<T> work) {
        try {
            return work.get();
        } catch (Throwable t) {
            throw of(stage, t);
        }
    }
}
