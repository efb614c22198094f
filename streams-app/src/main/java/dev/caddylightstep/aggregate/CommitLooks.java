package dev.caddylightstep.aggregate;

import java.time.Duration;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * The two moments of its task's commits a stage that holds output back needs: the last look before each commit, when
 * what it holds goes out, and the commit itself ({@link BeforeCommit}), when what came after that look is saved in it
 * to a logged store, so that exactly-once neither loses nor repeats it.
 *
 * <p>Kafka Streams punctuates just before it looks whether to commit, and commits once commit.interval.ms has passed
 * since the last commit: a wall-clock punctuation every tenth of that interval that sends once the commit is near puts
 * the output in that commit. Sent on a schedule of its own instead, it waited for the next commit, half an interval on
 * average, and the group's windows a whole one more often than not.
 */
public final class CommitLooks {
    private final Runnable atLastLook;
    private final Runnable atCommit;
    private ProcessorContext<?, ?> context;
    private long commitIntervalMs;
    private long checkIntervalMs;
    /** Wall-clock time of the task's last commit. */
    private long lastCommitMs;
    private Cancellable looks;

    /**
     * @param atLastLook sends what the stage holds
     * @param atCommit saves what it still holds to its logged store, in the commit's transaction
     */
    public CommitLooks(Runnable atLastLook, Runnable atCommit) {
        this.atLastLook = atLastLook;
        this.atCommit = atCommit;
    }

    /** From the init of the processor whose task commits, which is connected to the {@link BeforeCommit} store named. */
    public void start(ProcessorContext<?, ?> context, String beforeCommitStore) {
        this.context = context;
        context.<BeforeCommit>getStateStore(beforeCommitStore).run(this::atCommit);
        commitIntervalMs = Long.parseLong(String.valueOf(context.appConfigs().get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)));
        checkIntervalMs = Math.max(1, commitIntervalMs / 10);
        lastCommitMs = context.currentSystemTimeMs();
        looks = context.schedule(Duration.ofMillis(checkIntervalMs), PunctuationType.WALL_CLOCK_TIME, this::look);
    }

    /** A task keeps its punctuations across a close and a revive: without this, every revive would add one. */
    public void stop() {
        looks.cancel();
    }

    private void atCommit() {
        atCommit.run();
        lastCommitMs = context.currentSystemTimeMs();
    }

    private void look(long now) {
        if (now - lastCommitMs >= commitIntervalMs - checkIntervalMs) {
            atLastLook.run();
        }
    }
}
