package dev.caddylightstep.loadtest.soak;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The outcome of a soak: the four checks (lines reconcile exactly, every span at the receiver, every window equal to
 * its recount, no process or thread died by itself), each failed one as a line of its own, then the figures.
 *
 * @param lines lines written to the log; {@code requests}, {@code skipped} and {@code malformed} are the generator's own counts of them
 * @param shipped records on the access topic
 * @param spannedRequests requests with their SERVER span committed on the spans topic, whose records each hold the spans of many
 * @param deadLetters dead letters committed on the access dead-letter topic
 * @param windowDifferences one line per window that differs from its recount
 * @param processFailures exits nobody asked for and threads that died, one line each
 * @param faults what was done, one line each, with its time from the start of the input
 * @param stalls per fault (its time and name), how long each watched consumer group took to commit on every partition again
 * @param replication every topic's replication at the end, Kafka's and Kafka Streams' own included
 * @param replicas what every topic should have: {@code replicas} replicas and {@code minInsyncReplicas}
 * @param drainSeconds from the end of the input until every check held, or until the drain gave up
 */
record SoakReport(Instant started, Map<String, Object> settings, long lines, long requests, long skipped, long malformed,
                  long shipped, long spannedRequests, long deadLetters, Map<String, Long> deadLettersByReason,
                  SpanComparison spans, int windows, List<String> windowDifferences, List<String> processFailures,
                  Map<String, Long> errorLogLines, Map<String, Long> peakRssKb, List<String> faults,
                  Map<String, Map<String, CommitWatch.Stall>> stalls, List<TopicReplication> replication, int replicas,
                  int minInsyncReplicas, double drainSeconds, boolean drained) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);
    private static final int SHOWN_DIFFERENCES = 1;

    boolean linesReconcile() {
        return lines == spannedRequests + skipped + deadLetters && spannedRequests == requests && deadLetters == malformed;
    }

    /** One line per failed check; empty when the soak passed. */
    List<String> failures() {
        List<String> failures = new ArrayList<>();
        if (!linesReconcile()) {
            failures.add(String.format(Locale.ROOT, "lines in != requests + skipped + dead letters: %,d lines written, %,d requests with spans "
                            + "of %,d requests, %,d skipped, %,d dead letters for %,d malformed lines (%,d records on the access topic)",
                    lines, spannedRequests, requests, skipped, deadLetters, malformed, shipped));
        }
        if (spans.missing() > 0) {
            failures.add(String.format(Locale.ROOT, "spans missing at the receiver: %,d of %,d (%,d of them on the spans topic), "
                            + "logged %s-%s UTC, e.g. span ids %s", spans.missing(), spans.expected(), spans.onTopicOfMissing(),
                    CLOCK.format(Instant.ofEpochMilli(spans.missingFirstMs())), CLOCK.format(Instant.ofEpochMilli(spans.missingLastMs())),
                    String.join(" ", spans.missingSample())));
        }
        if (!windowDifferences.isEmpty()) {
            failures.add(String.format(Locale.ROOT, "windows unequal to their recount: %,d of %,d, first %s", windowDifferences.size(),
                    windows, String.join("; ", windowDifferences.subList(0, Math.min(SHOWN_DIFFERENCES, windowDifferences.size())))));
        }
        for (String failure : processFailures) {
            failures.add("process: " + failure);
        }
        for (String deviation : TopicReplication.deviations(replication, replicas, minInsyncReplicas)) {
            failures.add("replication: " + deviation);
        }
        if (!drained) {
            failures.add(String.format(Locale.ROOT, "outputs still incomplete %.0f s after the input stopped", drainSeconds));
        }
        return failures;
    }

    void print(PrintStream out, Path json) {
        for (String failure : failures()) {
            out.println("FAILED " + failure);
        }
        out.printf(Locale.ROOT, "soak %s: %s%n", failures().isEmpty() ? "passed" : "FAILED", settings.get("summary"));
        out.printf(Locale.ROOT, "  lines in      %,d %s requests %,d + skipped %,d + dead letters %,d%s%n", lines, linesReconcile() ? "=" : "!=",
                spannedRequests, skipped, deadLetters, deadLettersByReason.isEmpty() ? "" : " (" + reasons() + ")");
        out.printf(Locale.ROOT, "  spans         %,d of %,d requests at the receiver, %,d missing, %,d duplicates (%,d of them twice "
                        + "on the spans topic), %,d other spans%n", spans.expected() - spans.missing(), spans.expected(), spans.missing(),
                spans.duplicates(), spans.duplicatesOnTopic(), spans.others());
        out.printf(Locale.ROOT, "  windows       %,d of %,d equal to the recount%n", windows - windowDifferences.size(), windows);
        out.printf(Locale.ROOT, "  processes     %s%n", processFailures.isEmpty() ? "none ended or lost a thread by itself"
                : processFailures.size() + " failures");
        out.printf(Locale.ROOT, "  replication   %d topics (Kafka's and Kafka Streams' own included), %s%n", replication.size(),
                TopicReplication.deviations(replication, replicas, minInsyncReplicas).isEmpty()
                        ? "each " + replicas + " replicas, min.insync.replicas " + minInsyncReplicas
                        : "not all " + replicas + " replicas with min.insync.replicas " + minInsyncReplicas);
        out.printf(Locale.ROOT, "  error lines   %s%n", joined(errorLogLines, v -> String.format(Locale.ROOT, "%,d", v)));
        out.printf(Locale.ROOT, "  peak RSS MB   %s%n", joined(peakRssKb, kb -> String.format(Locale.ROOT, "%,d", Math.round(kb / 1024.0))));
        out.printf(Locale.ROOT, "  faults        %s%n", String.join("; ", faults));
        out.printf(Locale.ROOT, "  stalls        %s%n", stallFigures());
        out.printf(Locale.ROOT, "  drain         %.1f s after the input stopped%n", drainSeconds);
        out.printf(Locale.ROOT, "  json          %s%n", json);
    }

    void write(Path json) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("started", started.toString());
        root.put("settings", settings);
        root.put("passed", failures().isEmpty());
        root.put("failures", failures());
        root.put("lines", lines);
        root.put("requests", requests);
        root.put("skipped", skipped);
        root.put("malformed", malformed);
        root.put("access_records", shipped);
        root.put("spanned_requests", spannedRequests);
        root.put("dead_letters", deadLetters);
        root.put("dead_letters_by_reason", deadLettersByReason);
        root.put("spans", spans);
        root.put("windows", windows);
        root.put("window_differences", windowDifferences);
        root.put("process_failures", processFailures);
        root.put("error_log_lines", errorLogLines);
        root.put("peak_rss_kb", peakRssKb);
        root.put("faults", faults);
        Map<String, Object> stallSeconds = new LinkedHashMap<>();
        stalls.forEach((fault, byGroup) -> {
            Map<String, Object> groups = new LinkedHashMap<>();
            byGroup.forEach((group, stall) -> groups.put(group, Map.of("seconds", stall.length().toMillis() / 1e3,
                    "partition", stall.partition(), "resumed", stall.resumed())));
            stallSeconds.put(fault, groups);
        });
        root.put("stalls", stallSeconds);
        root.put("replication", replication);
        root.put("drain_seconds", drainSeconds);
        JSON.writeValue(json.toFile(), root);
    }

    /** "02:00 instance-1 kill: streams 46.2 s, forwarder 45.0 s; ..."; a group that never committed again says so. */
    private String stallFigures() {
        if (stalls.isEmpty()) {
            return "none measured";
        }
        return stalls.entrySet().stream().map(fault -> fault.getKey() + ": " + fault.getValue().entrySet().stream()
                        .map(g -> String.format(Locale.ROOT, "%s %.1f s%s", g.getKey(), g.getValue().length().toMillis() / 1e3,
                                g.getValue().resumed() ? "" : " (not resumed)"))
                        .collect(Collectors.joining(", ")))
                .collect(Collectors.joining("; "));
    }

    private String reasons() {
        return deadLettersByReason.entrySet().stream().map(e -> e.getKey() + " " + String.format(Locale.ROOT, "%,d", e.getValue()))
                .collect(Collectors.joining(", "));
    }

    private static String joined(Map<String, Long> values, java.util.function.LongFunction<String> format) {
        return values.entrySet().stream().map(e -> e.getKey() + " " + format.apply(e.getValue())).collect(Collectors.joining(", "));
    }
}
