package dev.caddylightstep.loadtest.bench;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bench jfr-summary FILE}: where a JFR recording (from {@code bench --profile}) spent its Java samples: by
 * thread, by the component any frame of the stack belongs to, by top frame and by package of the top frame; plus
 * native samples, allocation and the collector's pauses.
 */
@Command(name = "jfr-summary", description = "Summarises a JDK Flight Recorder file: CPU samples by thread, component, method and package.")
public final class JfrSummaryCommand implements Callable<Integer> {
    /** Components, by the prefixes of the classes of their frames; a sample counts for every component on its stack. */
    private static final Map<String, List<String>> COMPONENTS = components();
    private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern NUMBER = Pattern.compile("\\d+");
    private static final Set<String> WAITING = Set.of("sun.nio.ch.EPoll.wait", "sun.nio.ch.Net.accept", "sun.nio.ch.Net.poll",
            "java.lang.Object.wait", "jdk.internal.misc.Unsafe.park", "java.lang.Thread.sleep", "sun.nio.ch.SocketDispatcher.read0");

    @Parameters(paramLabel = "FILE", description = "A .jfr recording.")
    Path file;

    @Option(names = "--top", paramLabel = "N", description = "Rows per table (default: ${DEFAULT-VALUE}).")
    int top = 20;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    private static Map<String, List<String>> components() {
        Map<String, List<String>> c = new LinkedHashMap<>();
        c.put("parse (CaddyLogParser)", List.of("dev.caddylightstep.access.CaddyLogParser"));
        c.put("Jackson JSON", List.of("com.fasterxml.jackson"));
        c.put("AccessEvent serde (repartition)", List.of("dev.caddylightstep.access.AccessEventSerde"));
        c.put("enrich/judge/route", List.of("dev.caddylightstep.identity", "dev.caddylightstep.policy", "dev.caddylightstep.route"));
        c.put("span mapping (SpanMapper)", List.of("dev.caddylightstep.span"));
        c.put("protobuf", List.of("com.google.protobuf"));
        c.put("aggregate (dev.caddylightstep.aggregate)", List.of("dev.caddylightstep.aggregate"));
        c.put("DDSketch", List.of("com.datadoghq.sketch"));
        c.put("Avro", List.of("org.apache.avro"));
        c.put("RocksDB (Java side of JNI)", List.of("org.rocksdb"));
        c.put("Streams state stores and caches", List.of("org.apache.kafka.streams.state"));
        c.put("Streams processing (tasks, nodes, record collector)", List.of("org.apache.kafka.streams.processor"));
        c.put("lz4", List.of("net.jpountz", "org.apache.kafka.common.compress.Lz4"));
        c.put("CRC32C", List.of("org.apache.kafka.common.utils.Crc32C", "java.util.zip.CRC32C"));
        c.put("record batches (read/write)", List.of("org.apache.kafka.common.record"));
        c.put("producer", List.of("org.apache.kafka.clients.producer"));
        c.put("consumer", List.of("org.apache.kafka.clients.consumer"));
        c.put("broker: request handling", List.of("kafka.server", "org.apache.kafka.server", "kafka.network", "org.apache.kafka.network"));
        c.put("broker: log append/read", List.of("kafka.log", "org.apache.kafka.storage"));
        c.put("broker: coordinators (group, transaction)", List.of("org.apache.kafka.coordinator", "kafka.coordinator"));
        c.put("network I/O (NIO)", List.of("sun.nio.ch", "org.apache.kafka.common.network"));
        c.put("Kafka metrics", List.of("org.apache.kafka.common.metrics"));
        c.put("logging", List.of("ch.qos.logback", "org.slf4j"));
        c.put("bench harness (load-tests)", List.of("dev.caddylightstep.loadtest"));
        return c;
    }

    @Override
    public Integer call() throws Exception {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        Map<String, Long> byThread = new HashMap<>();
        Map<String, Long> byComponent = new HashMap<>();
        Map<String, Long> byMethod = new HashMap<>();
        Map<String, Long> byPackage = new HashMap<>();
        Map<String, Long> byProjectFrame = new HashMap<>();
        Map<String, Long> nativeByMethod = new HashMap<>();
        Map<String, Long> allocationByMethod = new HashMap<>();
        long samples = 0;
        long nativeSamples = 0;
        long allocatedBytes = 0;
        long gcCount = 0;
        Duration gcPauses = Duration.ZERO;
        try (RecordingFile recording = new RecordingFile(file)) {
            while (recording.hasMoreEvents()) {
                RecordedEvent event = recording.readEvent();
                String type = event.getEventType().getName();
                switch (type) {
                    case "jdk.ExecutionSample" -> {
                        RecordedStackTrace stack = event.getStackTrace();
                        if (stack == null || stack.getFrames().isEmpty()) {
                            continue;
                        }
                        samples++;
                        RecordedThread thread = event.getThread("sampledThread");
                        byThread.merge(kindOf(thread == null ? "?" : thread.getJavaName()), 1L, Long::sum);
                        RecordedFrame topFrame = stack.getFrames().get(0);
                        byMethod.merge(method(topFrame), 1L, Long::sum);
                        byPackage.merge(packageOf(topFrame), 1L, Long::sum);
                        byProjectFrame.merge(nearestProjectFrame(stack), 1L, Long::sum);
                        for (String component : componentsOn(stack)) {
                            byComponent.merge(component, 1L, Long::sum);
                        }
                    }
                    case "jdk.NativeMethodSample" -> {
                        RecordedStackTrace stack = event.getStackTrace();
                        if (stack == null || stack.getFrames().isEmpty()) {
                            continue;
                        }
                        String method = method(stack.getFrames().get(0));
                        if (!WAITING.contains(method)) {
                            nativeSamples++;
                            nativeByMethod.merge(method, 1L, Long::sum);
                        }
                    }
                    case "jdk.ObjectAllocationSample" -> {
                        RecordedStackTrace stack = event.getStackTrace();
                        long weight = event.getLong("weight");
                        allocatedBytes += weight;
                        if (stack != null && !stack.getFrames().isEmpty()) {
                            allocationByMethod.merge(firstProjectOrLibraryFrame(stack), weight, Long::sum);
                        }
                    }
                    case "jdk.GarbageCollection" -> {
                        gcCount++;
                        gcPauses = gcPauses.plus(event.getDuration("sumOfPauses"));
                    }
                    default -> {
                    }
                }
            }
        }
        out.printf("%s: %,d Java execution samples, %,d native samples (not waiting), %d collections pausing %d ms in all%n",
                file, samples, nativeSamples, gcCount, gcPauses.toMillis());
        print(out, "Java samples by thread", byThread, samples);
        print(out, "Java samples by component on the stack (a sample counts for each)", byComponent, samples);
        print(out, "Java samples by top frame", byMethod, samples);
        print(out, "Java samples by package of the top frame", byPackage, samples);
        print(out, "Java samples by the project's frame nearest the top (else the top frame's package)", byProjectFrame, samples);
        print(out, "native samples by top frame (threads in JNI or the kernel, not waiting)", nativeByMethod, nativeSamples);
        printBytes(out, "allocation (sampled weight) by allocating method", allocationByMethod, allocatedBytes);
        return 0;
    }

    private void print(PrintStream out, String title, Map<String, Long> counts, long total) {
        out.println();
        out.println(title + ":");
        counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
                .forEach(e -> out.printf(Locale.ROOT, "  %6.1f%%  %7d  %s%n", 100.0 * e.getValue() / Math.max(1, total), e.getValue(), e.getKey()));
    }

    private void printBytes(PrintStream out, String title, Map<String, Long> bytes, long total) {
        out.println();
        out.printf(Locale.ROOT, "%s (%,.0f MB sampled):%n", title, total / 1e6);
        bytes.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
                .forEach(e -> out.printf(Locale.ROOT, "  %6.1f%%  %,9.0f MB  %s%n", 100.0 * e.getValue() / Math.max(1, total),
                        e.getValue() / 1e6, e.getKey()));
    }

    private static Set<String> componentsOn(RecordedStackTrace stack) {
        Set<String> found = new HashSet<>();
        for (RecordedFrame frame : stack.getFrames()) {
            String type = frame.getMethod().getType().getName();
            COMPONENTS.forEach((component, prefixes) -> {
                for (String prefix : prefixes) {
                    if (type.startsWith(prefix)) {
                        found.add(component);
                    }
                }
            });
        }
        return found;
    }

    /** The first frame outside java.*, jdk.* and sun.*, where the allocation was asked for. */
    private static String firstProjectOrLibraryFrame(RecordedStackTrace stack) {
        for (RecordedFrame frame : stack.getFrames()) {
            String type = frame.getMethod().getType().getName();
            if (!type.startsWith("java.") && !type.startsWith("jdk.") && !type.startsWith("sun.")) {
                return method(frame);
            }
        }
        return method(stack.getFrames().get(0));
    }

    private static String nearestProjectFrame(RecordedStackTrace stack) {
        for (RecordedFrame frame : stack.getFrames()) {
            if (frame.getMethod().getType().getName().startsWith("dev.caddylightstep.")) {
                return method(frame);
            }
        }
        return "(none) " + packageOf(stack.getFrames().get(0));
    }

    private static String method(RecordedFrame frame) {
        return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
    }

    private static String packageOf(RecordedFrame frame) {
        String type = frame.getMethod().getType().getName();
        int dot = type.lastIndexOf('.');
        return dot < 0 ? "(default)" : type.substring(0, dot);
    }

    private static String kindOf(String threadName) {
        return NUMBER.matcher(UUID.matcher(threadName).replaceAll("*")).replaceAll("#");
    }
}
