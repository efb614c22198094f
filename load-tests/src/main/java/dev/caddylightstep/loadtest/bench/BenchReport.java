package dev.caddylightstep.loadtest.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The figures of one bench run: the table on stdout, and JSON and an SVG chart in the run's directory. */
final class BenchReport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Instant when;
    private final Machine machine;
    private final Map<String, Object> settings;
    private final RunFigures passThrough;
    private final RunFigures pipeline;

    BenchReport(Instant when, Machine machine, Map<String, Object> settings, RunFigures passThrough, RunFigures pipeline) {
        this.when = when;
        this.machine = machine;
        this.settings = settings;
        this.passThrough = passThrough;
        this.pipeline = pipeline;
    }

    /** Pipeline lines/s over pass-through lines/s, each taken over the middle of its drain. */
    double ratio() {
        return pipeline.linesPerSecond() / passThrough.linesPerSecond();
    }

    /** Pass-through CPU per line over pipeline CPU per line: the ratio of costs, less sensitive to a busy machine. */
    double cpuRatio() {
        return passThrough.cpuMicrosPerLine() / pipeline.cpuMicrosPerLine();
    }

    void printTable(PrintStream out) {
        out.printf(Locale.ROOT, "%-13s %10s %8s %12s %13s %6s %13s %15s %11s %11s%n",
                "run", "lines/s", "MB/s", "CPU µs/line", "work µs/line", "JIT %", "peak heap MB", "commit wait ms", "e2e p50 ms", "e2e p99 ms");
        for (RunFigures r : List.of(passThrough, pipeline)) {
            out.printf(Locale.ROOT, "%-13s %,10.0f %8.1f %12.1f %13.1f %6.1f %,13.0f %,15.0f %11d %11d%n", r.run(), r.linesPerSecond(),
                    r.megabytesPerSecond(), r.cpuMicrosPerLine(), r.workMicrosPerLine(), r.jitCompilerShare() * 100, r.peakHeapBytes() / 1e6,
                    r.commitWaitSeconds() * 1e3, r.latency().p50Ms(), r.latency().p99Ms());
        }
    }

    /** Writes bench.json and bench.svg into the directory; returns the JSON file. */
    Path write(Path directory) throws IOException {
        Files.createDirectories(directory);
        Path json = directory.resolve("bench.json");
        JSON.writeValue(json.toFile(), toJson());
        Files.writeString(directory.resolve("bench.svg"), svg(), StandardCharsets.UTF_8);
        return json;
    }

    private Map<String, Object> toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("time", when.toString());
        root.put("machine", machine.toMap());
        root.put("settings", settings);
        root.put("runs", List.of(figures(passThrough), figures(pipeline)));
        root.put("ratio", round(ratio(), 3));
        root.put("cpu_ratio", round(cpuRatio(), 3));
        return root;
    }

    private static Map<String, Object> figures(RunFigures r) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("run", r.run());
        f.put("lines", r.lines());
        f.put("input_bytes", r.bytes());
        f.put("seconds", round(r.drainSeconds(), 3));
        f.put("commit_wait_seconds", round(r.commitWaitSeconds(), 3));
        f.put("measured_from_drained", DrainWindow.FROM);
        f.put("measured_to_drained", DrainWindow.TO);
        f.put("measured_lines", Math.round(r.measuredLines()));
        f.put("measured_seconds", round(r.measuredSeconds(), 3));
        f.put("lines_per_second", round(r.linesPerSecond(), 0));
        f.put("megabytes_per_second", round(r.megabytesPerSecond(), 2));
        f.put("cpu_seconds", round(r.cpuSeconds(), 3));
        f.put("cpu_microseconds_per_line", round(r.cpuMicrosPerLine(), 2));
        f.put("cpu_microseconds_per_line_without_jit_compiler",
                round((r.cpuSeconds() - r.jitCompilerSeconds()) * 1e6 / r.measuredLines(), 2));
        f.put("work_cpu_microseconds_per_line", round(r.workMicrosPerLine(), 2));
        f.put("jit_compiler_cpu_share", round(r.jitCompilerShare(), 3));
        f.put("gc_seconds", round(r.gcSeconds(), 3));
        f.put("peak_heap_bytes", r.peakHeapBytes());
        f.put("load_average_at_end", r.loadAverage());
        f.put("jit_quiet_after_seconds", r.jitQuietSeconds());
        Map<String, Object> latency = new LinkedHashMap<>();
        latency.put("probe_lines_per_second", r.latency().probeLinesPerSecond());
        latency.put("samples", r.latency().samples());
        latency.put("p50_ms", r.latency().p50Ms());
        latency.put("p99_ms", r.latency().p99Ms());
        latency.put("max_ms", r.latency().maxMs());
        f.put("end_to_end_latency", latency);
        Map<String, Object> threads = new LinkedHashMap<>();
        r.cpuByThread().forEach((kind, seconds) -> {
            if (seconds >= 0.01) {
                threads.put(kind, round(seconds, 2));
            }
        });
        f.put("cpu_seconds_by_thread", threads);
        f.put("outputs", r.outputs());
        Map<String, Object> topics = new LinkedHashMap<>();
        r.topics().byTopic().forEach((name, v) -> topics.put(name, Map.of("end_offsets", v.endOffsets(), "bytes", v.bytes())));
        f.put("topics", topics);
        return f;
    }

    private static double round(double value, int decimals) {
        double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }

    /** Two bar charts side by side: lines/s and CPU µs per line, pass-through against pipeline. */
    String svg() {
        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"340\" font-family=\"sans-serif\" font-size=\"13\">\n");
        s.append("<rect width=\"640\" height=\"340\" fill=\"white\"/>\n");
        s.append(String.format(Locale.ROOT, "<text x=\"320\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">caddy-lightstep bench, %,d lines: ratio %.3f</text>%n",
                pipeline.lines(), ratio()));
        panel(s, 20, "lines/s", passThrough.linesPerSecond(), pipeline.linesPerSecond(), "%,.0f");
        panel(s, 340, "CPU µs per line", passThrough.cpuMicrosPerLine(), pipeline.cpuMicrosPerLine(), "%.1f");
        s.append(String.format(Locale.ROOT, "<text x=\"320\" y=\"330\" text-anchor=\"middle\" font-size=\"11\" fill=\"#555\">%s, %s</text>%n",
                escape(machine.describe()), when));
        s.append("</svg>\n");
        return s.toString();
    }

    private static void panel(StringBuilder s, int left, String title, double passThrough, double pipeline, String format) {
        int top = 50;
        int height = 220;
        int barWidth = 90;
        double max = Math.max(passThrough, pipeline);
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", left + 140, top, escape(title)));
        double[] values = {passThrough, pipeline};
        String[] names = {"pass-through", "pipeline"};
        String[] colours = {"#8c8c8c", "#2b6cb0"};
        for (int i = 0; i < 2; i++) {
            int x = left + 40 + i * (barWidth + 40);
            int h = max <= 0 ? 0 : (int) Math.round(values[i] / max * height);
            int y = top + 20 + height - h;
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>%n", x, y, barWidth, h, colours[i]));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x + barWidth / 2, y - 5,
                    String.format(Locale.ROOT, format, values[i])));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x + barWidth / 2,
                    top + height + 38, names[i]));
        }
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
