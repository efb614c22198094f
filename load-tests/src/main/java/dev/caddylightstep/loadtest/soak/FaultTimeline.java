package dev.caddylightstep.loadtest.soak;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Carries out a {@link FaultSchedule} on a {@link SoakCluster}, on threads of its own, step by step at their times
 * from the start of the input; says each step on the console as it is done and keeps the list for the report.
 */
final class FaultTimeline implements Runnable {
    private final List<Step> steps = new ArrayList<>();
    private final PrintStream console;
    private final List<Done> done = new ArrayList<>();
    private final List<String> failed = new ArrayList<>();
    private final List<Begun> begun = new ArrayList<>();
    private final long startNanos;

    /**
     * @param what what the step does, said as it is done (and, when it fails, with why)
     * @param saysItsEnd whether the action's own account gives its times; if not, the time it ended is added
     */
    private record Step(Duration at, String what, boolean saysItsEnd, boolean stopsABroker, Action action) {
    }

    /** A step carried out, when it began. */
    private record Done(Duration at, String line) {
    }

    /** A fault as it was carried out: when it began, from the start of the input. */
    record Begun(Duration at, String fault) {
    }

    /** A step's work; it calls {@code begins} with the fault's name at the moment the fault begins, and says what it did. */
    @FunctionalInterface
    private interface Action {
        String run(Consumer<String> begins) throws InterruptedException;
    }

    FaultTimeline(FaultSchedule schedule, SoakCluster cluster, BrokerFaults brokers, PrintStream console, long startNanos) {
        this.console = console;
        this.startNanos = startNanos;
        boolean replicated = cluster.kafka().replicas() > 1;
        for (FaultSchedule.Fault fault : schedule.faults()) {
            if (fault instanceof FaultSchedule.InstanceKill kill) {
                String instance = "instance-" + (kill.instance() + 1);
                String what = instance + " killed (SIGKILL) and started again";
                steps.add(new Step(kill.at(), what, false, kill.stopsABroker(), begins -> {
                    begins.accept(instance + " kill");
                    cluster.killAndRestartInstance(kill.instance());
                    return what;
                }));
            } else if (fault instanceof FaultSchedule.BrokerRestart restart && replicated) {
                String broker = cluster.kafka().name(0);
                steps.add(new Step(restart.at(), broker + " stopped (SIGTERM) and started again", true, restart.stopsABroker(), begins -> {
                    begins.accept(broker + " restart");
                    return brokers.restartFirst(restart.down());
                }));
            } else if (fault instanceof FaultSchedule.BrokerRestart restart) {
                String what = "broker stopped (SIGTERM), started again " + restart.down().toSeconds() + " s later";
                steps.add(new Step(restart.at(), what, false, restart.stopsABroker(), begins -> {
                    begins.accept("broker restart");
                    cluster.restartBroker(restart.down());
                    return what;
                }));
            } else if (fault instanceof FaultSchedule.BrokerKill kill) {
                steps.add(new Step(kill.at(), "kill of the " + kill.target().name().toLowerCase(Locale.ROOT).replace('_', ' '), true, kill.stopsABroker(),
                        begins -> brokers.kill(kill.target(), kill.down(), begins)));
            } else if (fault instanceof FaultSchedule.RollingRestart roll) {
                steps.add(new Step(roll.at(), "rolling restart", true, roll.stopsABroker(), brokers::rollingRestart));
            } else if (fault instanceof FaultSchedule.ReceiverOutage outage) {
                steps.add(new Step(outage.at(), "receiver killed (SIGKILL)", false, outage.stopsABroker(), begins -> {
                    begins.accept("receiver outage");
                    cluster.stopReceiver();
                    return "receiver killed (SIGKILL)";
                }));
                steps.add(new Step(outage.at().plus(outage.down()), "receiver started again", false, outage.stopsABroker(), begins -> {
                    cluster.startReceiver();
                    return "receiver started again";
                }));
            }
        }
        steps.sort(Comparator.comparing(Step::at));
    }

    /**
     * Runs the broker faults on a lane of their own, one after the other whatever they take (a broker's restart under load
     * may take a minute, a rolling restart several), and the other steps on theirs at their times.
     */
    @Override
    public void run() {
        Thread brokers = new Thread(() -> runLane(steps.stream().filter(Step::stopsABroker).toList()), "soak-broker-faults");
        brokers.setDaemon(true);
        brokers.start();
        runLane(steps.stream().filter(step -> !step.stopsABroker()).toList());
        try {
            brokers.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void runLane(List<Step> lane) {
        try {
            for (Step step : lane) {
                long wait = step.at().toNanos() - (System.nanoTime() - startNanos);
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                Duration began = Duration.ofNanos(System.nanoTime() - startNanos);
                String when = clock(began);
                String did;
                try {
                    did = step.action().run(this::begin);
                } catch (RuntimeException e) {
                    // the soak goes on, and the report fails on it: the later faults and the figures still say something
                    String line = when + " " + step.what() + " FAILED: " + e.getMessage();
                    console.println("soak: " + line);
                    synchronized (done) {
                        failed.add(line);
                    }
                    continue;
                }
                String end = clock(Duration.ofNanos(System.nanoTime() - startNanos));
                String line = when + " " + did + (step.saysItsEnd() || end.equals(when) ? "" : ", up at " + end);
                console.println("soak: " + line);
                synchronized (done) {
                    done.add(new Done(began, line));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A fault begins now: its stall is measured from here. */
    private void begin(String fault) {
        Duration at = Duration.ofNanos(System.nanoTime() - startNanos);
        synchronized (done) {
            begun.add(new Begun(at, fault));
        }
    }

    /** What was done, one line per step, in the order the steps began. */
    List<String> done() {
        synchronized (done) {
            return done.stream().sorted(Comparator.comparing(Done::at)).map(Done::line).toList();
        }
    }

    /** Each fault, when it began, in that order. */
    List<Begun> begun() {
        synchronized (done) {
            return begun.stream().sorted(Comparator.comparing(Begun::at)).toList();
        }
    }

    /** Steps that could not be carried out, one line each. */
    List<String> failed() {
        synchronized (done) {
            return List.copyOf(failed);
        }
    }

    static String clock(Duration d) {
        return String.format(Locale.ROOT, "%02d:%02d", d.toMinutes(), d.toSecondsPart());
    }
}
