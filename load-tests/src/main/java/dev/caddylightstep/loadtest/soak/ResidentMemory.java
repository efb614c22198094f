package dev.caddylightstep.loadtest.soak;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A process's peak resident set size as Linux counts it (VmHWM in /proc/PID/status); 0 where there is no such file. */
final class ResidentMemory {
    private ResidentMemory() {
    }

    static long peakKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.substring("VmHWM:".length()).replace("kB", "").trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            // the process ended between the check and the read, or this is not Linux: no figure
        }
        return 0;
    }
}
