package dev.caddylightstep.loadtest.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * CPU time per thread, so that a run's CPU can be split between the broker, the stream threads, the clients'
 * network threads, the JIT compiler and the garbage collector. Java threads are read through the JVM (full
 * names); the JVM's own threads, which it does not list, from /proc on Linux (in ticks of 10 ms).
 */
final class ThreadCpu {
    /** The kind that {@link #secondsByKindSince} gives the JIT compiler's threads. */
    static final String JIT_COMPILER = "jvm: JIT compiler";

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern NUMBER = Pattern.compile("\\d+");

    private static final Path TASKS = Path.of("/proc/self/task");
    private static final long NANOS_PER_TICK = 10_000_000L;

    private final Map<Long, String> names;
    private final Map<Long, Long> cpuNanos;
    private final Map<String, String> vmNames;
    private final Map<String, Long> vmCpuNanos;

    private ThreadCpu(Map<Long, String> names, Map<Long, Long> cpuNanos, Map<String, String> vmNames, Map<String, Long> vmCpuNanos) {
        this.names = names;
        this.cpuNanos = cpuNanos;
        this.vmNames = vmNames;
        this.vmCpuNanos = vmCpuNanos;
    }

    static ThreadCpu snapshot() {
        Map<Long, String> names = new HashMap<>();
        Map<Long, Long> cpu = new HashMap<>();
        long[] ids = THREADS.getAllThreadIds();
        ThreadInfo[] infos = THREADS.getThreadInfo(ids);
        for (int i = 0; i < ids.length; i++) {
            long nanos = THREADS.getThreadCpuTime(ids[i]);
            if (infos[i] != null && nanos >= 0) {
                names.put(ids[i], infos[i].getThreadName());
                cpu.put(ids[i], nanos);
            }
        }
        Map<String, String> vmNames = new HashMap<>();
        Map<String, Long> vmCpu = new HashMap<>();
        readVmThreads(vmNames, vmCpu);
        return new ThreadCpu(names, cpu, vmNames, vmCpu);
    }

    /** The JVM's compiler, collector and VM threads, by their Linux thread name; nothing where there is no /proc. */
    private static void readVmThreads(Map<String, String> names, Map<String, Long> cpu) {
        try (Stream<Path> tasks = Files.list(TASKS)) {
            tasks.forEach(task -> {
                try {
                    String kind = vmKindOf(Files.readString(task.resolve("comm")).trim());
                    if (kind == null) {
                        return;
                    }
                    String stat = Files.readString(task.resolve("stat"));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    // after the name, index 0 is field 3 of stat (state): utime (field 14) and stime (15) are at 11 and 12
                    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                    String tid = task.getFileName().toString();
                    names.put(tid, kind);
                    cpu.put(tid, ticks * NANOS_PER_TICK);
                } catch (IOException | RuntimeException e) {
                    // the thread ended while being read
                }
            });
        } catch (IOException e) {
            // not Linux
        }
    }

    private static String vmKindOf(String comm) {
        if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
            return JIT_COMPILER;
        }
        if (comm.startsWith("GC Thread#") || comm.startsWith("G1 ")) {
            return "jvm: garbage collector";
        }
        if (comm.startsWith("VM Thread") || comm.startsWith("VM Periodic")) {
            return "jvm: VM thread";
        }
        return null;
    }

    /** CPU seconds since {@code before} by kind of thread (numbers and ids in names folded), most first. */
    Map<String, Double> secondsByKindSince(ThreadCpu before) {
        Map<String, Double> byKind = new HashMap<>();
        cpuNanos.forEach((id, nanos) -> {
            long delta = nanos - before.cpuNanos.getOrDefault(id, 0L);
            if (delta > 0) {
                byKind.merge(kindOf(names.get(id)), delta / 1e9, Double::sum);
            }
        });
        vmCpuNanos.forEach((tid, nanos) -> {
            long delta = nanos - before.vmCpuNanos.getOrDefault(tid, 0L);
            if (delta > 0) {
                byKind.merge(vmNames.get(tid), delta / 1e9, Double::sum);
            }
        });
        Map<String, Double> sorted = new LinkedHashMap<>();
        byKind.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    private static String kindOf(String threadName) {
        String folded = UUID.matcher(threadName).replaceAll("*");
        return NUMBER.matcher(folded).replaceAll("#");
    }
}
