package dev.caddylightstep.loadtest.soak;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The broker faults of a cluster's soak, on its {@link SoakKafka}: the SIGKILL of the broker a {@link FaultSchedule.Target}
 * names at that moment, and a rolling restart. Each returns once the brokers it took away serve again and every
 * partition has all its replicas in sync, so that the next broker fault starts from a whole cluster; each says what
 * it did, with the times from the start of the input.
 */
final class BrokerFaults {
    /** A broker back from a kill has a log to recover and replicas to catch up: at 2,000 lines/s, seconds. */
    private static final Duration IN_SYNC_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration POLL = Duration.ofSeconds(1);

    private final SoakKafka kafka;
    private final ClusterQueries queries;
    private final String accessTopic;
    private final String applicationId;
    private final long startNanos;
    private final RollingRestart roll;

    BrokerFaults(SoakKafka kafka, ClusterQueries queries, String accessTopic, String applicationId, long startNanos) {
        this.kafka = kafka;
        this.queries = queries;
        this.accessTopic = accessTopic;
        this.applicationId = applicationId;
        this.startNanos = startNanos;
        this.roll = new RollingRestart(new ProcessBrokers(), IN_SYNC_TIMEOUT, POLL, System::nanoTime);
    }

    /** The brokers as processes, as a rolling restart sees them. */
    private final class ProcessBrokers implements RollingRestart.Brokers {
        @Override
        public String name(int broker) {
            return kafka.name(broker);
        }

        @Override
        public void stop(int broker) {
            kafka.stop(broker);
        }

        @Override
        public void start(int broker) {
            kafka.start(broker);
        }

        @Override
        public int underReplicatedPartitions() throws InterruptedException {
            try {
                return queries.underReplicatedPartitions();
            } catch (IllegalStateException e) {
                // a broker starting, or the controller moving a leadership: ask again
                return -1;
            }
        }
    }

    /** The broker {@code target} names killed, {@code down} without it, started again; {@code begins} hears of the kill. */
    String kill(FaultSchedule.Target target, Duration down, Consumer<String> begins) throws InterruptedException {
        BrokerChoice choice = choose(target);
        int broker = kafka.brokerOfNode(choice.nodeId());
        String name = kafka.name(broker);
        begins.accept(label(target) + " " + name);
        kafka.kill(broker);
        Thread.sleep(down.toMillis());
        kafka.start(broker);
        String serving = now();
        awaitInSync(name + " started again");
        return String.format(Locale.ROOT, "%s killed (SIGKILL), %s; started again %d s later, serving at %s, in sync at %s",
                name, choice.reason(), down.toSeconds(), serving, now());
    }

    /** The first broker stopped cleanly, {@code down} without it, started again and caught up. */
    String restartFirst(Duration down) throws InterruptedException {
        kafka.stop(0);
        Thread.sleep(down.toMillis());
        kafka.start(0);
        String serving = now();
        awaitInSync(kafka.name(0) + " started again");
        return String.format(Locale.ROOT, "%s stopped (SIGTERM), started again %d s later, serving at %s, in sync at %s",
                kafka.name(0), down.toSeconds(), serving, now());
    }

    /** Every broker in turn ({@link RollingRestart}); {@code begins} hears of each stop. */
    String rollingRestart(Consumer<String> begins) throws InterruptedException {
        List<RollingRestart.Restarted> restarted = roll.run(kafka.brokerCount(), broker -> begins.accept("rolling restart " + kafka.name(broker)));
        return "rolling restart: " + restarted.stream().map(r -> String.format(Locale.ROOT,
                "%s stopped (SIGTERM) at %s, ended at %s, serving at %s, in sync at %s", kafka.name(r.broker()), clock(r.stoppingNanos()),
                clock(r.stoppedNanos()), clock(r.upNanos()), clock(r.inSyncNanos()))).collect(Collectors.joining("; "));
    }

    private BrokerChoice choose(FaultSchedule.Target target) throws InterruptedException {
        if (target == FaultSchedule.Target.ACCESS_LEADER) {
            return BrokerChoice.leaderOfMost(accessTopic, queries.leaders(accessTopic))
                    .orElseThrow(() -> new IllegalStateException("no partition of " + accessTopic + " has a leader"));
        }
        OptionalInt group = queries.groupCoordinator(applicationId);
        return BrokerChoice.transactionCoordinator(queries.transactionCoordinators(applicationId), group)
                .orElseThrow(() -> new IllegalStateException("no transaction or group coordinator found for " + applicationId));
    }

    private static String label(FaultSchedule.Target target) {
        return target == FaultSchedule.Target.ACCESS_LEADER ? "access leader kill" : "transaction coordinator kill";
    }

    private void awaitInSync(String when) throws InterruptedException {
        roll.awaitInSync("after " + when);
    }

    private String now() {
        return clock(System.nanoTime());
    }

    private String clock(long nanos) {
        return FaultTimeline.clock(Duration.ofNanos(nanos - startNanos));
    }
}
