package dev.caddylightstep.loadtest.soak;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Carries out a {@link FaultSchedule} on a {@link SoakCluster}, on a thread of its own, step by step at their times
 * from the start of the input; says each step on the console as it is done and keeps the list for the report.
 */
final class FaultTimeline implements Runnable {
    private final List<Step> steps = new ArrayList<>();
    private final PrintStream console;
    private final List<String> done = new ArrayList<>();
    private final List<String> failed = new ArrayList<>();
    private final List<Begun> begun = new ArrayList<>();
    private final long startNanos;

    /** @param begins the fault's name when this step starts it (its stall is measured from here), else null */
    private record Step(Duration at, String what, String begins, Action action) {
    }

    /** A fault as it was carried out: when it began, from the start of the input. */
    record Begun(Duration at, String fault) {
    }

    @FunctionalInterface
    private interface Action {
        void run() throws InterruptedException;
    }

    FaultTimeline(FaultSchedule schedule, SoakCluster cluster, PrintStream console, long startNanos) {
        this.console = console;
        this.startNanos = startNanos;
        for (FaultSchedule.Fault fault : schedule.faults()) {
            if (fault instanceof FaultSchedule.InstanceKill kill) {
                String instance = "instance-" + (kill.instance() + 1);
                steps.add(new Step(kill.at(), instance + " killed (SIGKILL) and started again", instance + " kill",
                        () -> cluster.killAndRestartInstance(kill.instance())));
            } else if (fault instanceof FaultSchedule.BrokerRestart restart) {
                steps.add(new Step(restart.at(), "broker stopped (SIGTERM), started again " + restart.down().toSeconds() + " s later",
                        "broker restart", () -> cluster.restartBroker(restart.down())));
            } else if (fault instanceof FaultSchedule.ReceiverOutage outage) {
                steps.add(new Step(outage.at(), "receiver killed (SIGKILL)", "receiver outage", cluster::stopReceiver));
                steps.add(new Step(outage.at().plus(outage.down()), "receiver started again", null, cluster::startReceiver));
            }
        }
        steps.sort(Comparator.comparing(Step::at));
    }

    @Override
    public void run() {
        try {
            for (Step step : steps) {
                long wait = step.at().toNanos() - (System.nanoTime() - startNanos);
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                Duration began = Duration.ofNanos(System.nanoTime() - startNanos);
                String when = clock(began);
                if (step.begins() != null) {
                    synchronized (done) {
                        begun.add(new Begun(began, step.begins()));
                    }
                }
                try {
                    step.action().run();
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
                String line = when + " " + step.what() + (end.equals(when) ? "" : ", up at " + end);
                console.println("soak: " + line);
                synchronized (done) {
                    done.add(line);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    List<String> done() {
        synchronized (done) {
            return List.copyOf(done);
        }
    }

    /** Each fault, when it began. */
    List<Begun> begun() {
        synchronized (done) {
            return List.copyOf(begun);
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
