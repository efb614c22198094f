package dev.caddylightstep.loadtest.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The machine a run came from, as a reader of the figures needs to know it. */
record Machine(int cores, String cpuModel, long memoryBytes, String java, String os, List<String> jvmArguments) {

    static Machine current() {
        return new Machine(Runtime.getRuntime().availableProcessors(), readCpuModel(), readMemoryBytes(),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                ManagementFactory.getRuntimeMXBean().getInputArguments());
    }

    private static String readCpuModel() {
        for (String line : lines("/proc/cpuinfo")) {
            if (line.startsWith("model name")) {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        return "unknown";
    }

    private static long readMemoryBytes() {
        for (String line : lines("/proc/meminfo")) {
            if (line.startsWith("MemTotal:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }

    private static List<String> lines(String file) {
        try {
            return Files.readAllLines(Path.of(file));
        } catch (IOException e) {
            return List.of();
        }
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", cores);
        m.put("cpu_model", cpuModel);
        m.put("memory_bytes", memoryBytes);
        m.put("java", java);
        m.put("os", os);
        m.put("jvm_arguments", jvmArguments);
        return m;
    }

    /** The 1-minute load average (runnable threads of every process on the machine), or -1 where unknown. */
    static double loadAverage() {
        List<String> lines = lines("/proc/loadavg");
        return lines.isEmpty() ? -1 : Double.parseDouble(lines.get(0).split(" ")[0]);
    }

    String describe() {
        return String.format("%d cores, %s, %.1f GB RAM, %s", cores, cpuModel, memoryBytes / 1e9, java);
    }
}
