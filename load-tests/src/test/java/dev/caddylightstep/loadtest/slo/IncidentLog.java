package dev.caddylightstep.loadtest.slo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.load.PoliciesFile;
import dev.caddylightstep.loadtest.GenerateLogCommand;
import dev.caddylightstep.loadtest.SiteTables;
import dev.caddylightstep.policy.Policy;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import picocli.CommandLine;

/**
 * The incident of issue 25 as the load generator writes it: some hours of the generated site ({@link #ISSUE_SHAPE}: two),
 * then {@link #SLOW_MINUTES} minutes in which every request of {@link #SLOW_GROUP} is slower than its objective, then
 * some minutes more (an hour); its log times end a few minutes before now, as a log just shipped would. With it, the demo's identities
 * (every generated user in the group the benchmarks give it) and policies (the bundled demo's, targets 0.99 and
 * 0.999), and the alerts the workbook's rules raise on it, computed from the lines alone.
 */
final class IncidentLog {
    static final String SLOW_GROUP = "engineering";
    static final long SLOW_MINUTES = 20;
    static final long WINDOW_MS = 60_000;

    /**
     * The shape the issue gives the page's timing for: two hours before the onset, an hour after it, four lines a
     * second.
     */
    record Shape(long hoursBefore, long minutesAfter, double linesPerSecond) {
    }

    static final Shape ISSUE_SHAPE = new Shape(2, 60, 4);
    private static final ObjectMapper JSON = new ObjectMapper();

    final Path log;
    final Path identities;
    final Path policies;
    final Instant start;
    final Instant onset;
    final Instant recovery;
    final Instant end;
    final List<String> lines;

    private IncidentLog(Path dir, Shape shape) throws IOException {
        long minutes = shape.hoursBefore() * 60 + SLOW_MINUTES + shape.minutesAfter();
        // a few minutes of margin: the pipeline dead-letters lines logged in its future
        start = Instant.now().minus(Duration.ofMinutes(minutes + 5)).truncatedTo(ChronoUnit.MINUTES);
        onset = start.plus(Duration.ofHours(shape.hoursBefore()));
        recovery = onset.plus(Duration.ofMinutes(SLOW_MINUTES));
        end = start.plus(Duration.ofMinutes(minutes));
        log = dir.resolve("access.log");
        int exit = new CommandLine(new GenerateLogCommand()).execute("--start", start.toString(), "--minutes", Long.toString(minutes),
                "--log-rate", Double.toString(shape.linesPerSecond()), "--malformed-share", "0", "--server-error-share", "0.0002",
                "--slow-group", SLOW_GROUP, "--slow-from", Long.toString(shape.hoursBefore() * 60), "--slow-minutes", Long.toString(SLOW_MINUTES),
                "--slow-ms", "2000", "--auth-warm", "--out", log.toString());
        if (exit != 0) {
            throw new IllegalStateException("generate-caddy-log ended with " + exit);
        }
        lines = Files.readAllLines(log);
        identities = Files.writeString(dir.resolve("identities.yaml"), SiteTables.identities().stream()
                .map(i -> "- {id: " + i.id() + ", group: " + i.group() + "}\n").collect(Collectors.joining()));
        policies = dir.resolve("policies.yaml");
        try (InputStream bundled = IncidentLog.class.getResourceAsStream("/demo/policies.yaml")) {
            Files.copy(bundled, policies);
        }
    }

    static IncidentLog writeTo(Path dir, Shape shape) {
        try {
            return new IncidentLog(dir, shape);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An alert as the --alerts-out lines and the alerts topic have it, without the figures. */
    record Alert(String group, String slo, String severity, String state, long atMs) {
        static Alert of(JsonNode line) {
            return new Alert(line.get("group").asText(), line.get("slo").asText(), line.get("severity").asText(), line.get("state").asText(),
                    line.get("at_ms").asLong());
        }

        long minutesAfter(Instant t) {
            return Duration.between(t, Instant.ofEpochMilli(atMs)).toMinutes();
        }

        @Override
        public String toString() {
            return group + " " + slo + " " + severity + " " + state + " at " + Instant.ofEpochMilli(atMs);
        }
    }

    /**
     * The alerts of every group's objectives, evaluated as the workbook says at the end of each minute window the
     * group has, up to the window ending at {@code horizon}: the burn rate over a period is the bad share of the
     * requests in the windows of that period over the error budget (1 - target); a page while 1 h and 5 min both
     * burn faster than 14.4 or 6 h and 30 min faster than 6, a ticket while 3 d and 6 h both burn faster than 1.
     */
    List<Alert> expectedAlerts(Instant horizon) {
        Map<String, Policy> policyOf = policyOf();
        List<Alert> alerts = new ArrayList<>();
        windows(policyOf).forEach((group, byStart) -> {
            Policy policy = policyOf.get(group);
            alerts.addAll(alertsOf(group, "latency", 1, policy.latencyTarget(), byStart, horizon));
            alerts.addAll(alertsOf(group, "availability", 2, policy.availabilityTarget(), byStart, horizon));
        });
        alerts.sort(java.util.Comparator.comparingLong(Alert::atMs).thenComparing(Alert::group).thenComparing(Alert::slo)
                .thenComparing(Alert::severity));
        return alerts;
    }

    /**
     * The burn rates of a group's objective (latency or availability) over the periods that end at {@code endMs}, from
     * the lines, keyed as an alert's burn_rates: 5m, 30m, 1h and 6h (3d is summed by the hour in the pipeline).
     */
    Map<String, Double> burnRates(String group, String slo, long endMs) {
        Map<String, Policy> policyOf = policyOf();
        Policy policy = policyOf.get(group);
        boolean latency = slo.equals("latency");
        TreeMap<Long, long[]> byStart = windows(policyOf).get(group);
        Map<String, Double> rates = new java.util.LinkedHashMap<>();
        Map.of("5m", Duration.ofMinutes(5), "30m", Duration.ofMinutes(30), "1h", Duration.ofHours(1), "6h", Duration.ofHours(6))
                .forEach((code, period) -> rates.put(code, burnRate(byStart, endMs, period, latency ? 1 : 2,
                        latency ? policy.latencyTarget() : policy.availabilityTarget())));
        return rates;
    }

    private Map<String, Policy> policyOf() {
        return PoliciesFile.read(policies).stream().collect(Collectors.toMap(Policy::group, p -> p));
    }

    /** By group with a policy, by window start: the requests, the slower than the objective, the 5xx. */
    private Map<String, TreeMap<Long, long[]>> windows(Map<String, Policy> policyOf) {
        Map<String, String> groupOf = SiteTables.identities().stream().collect(Collectors.toMap(Identity::id, Identity::group));
        Map<String, TreeMap<Long, long[]>> windows = new TreeMap<>();
        for (String line : lines) {
            JsonNode node = tree(line);
            if (node == null || !node.path("logger").asText().startsWith("http.log.access") || !node.has("request")) {
                continue;
            }
            String user = node.path("user_id").asText();
            String group = user.isEmpty() ? Identity.ANONYMOUS_GROUP : groupOf.getOrDefault(user, Identity.UNKNOWN_GROUP);
            Policy policy = policyOf.get(group);
            if (policy == null) {
                continue;
            }
            long tsMs = node.get("ts").decimalValue().movePointRight(3).setScale(0, java.math.RoundingMode.FLOOR).longValueExact();
            long durationNanos = node.get("duration").decimalValue().movePointRight(9).longValue();
            long[] w = windows.computeIfAbsent(group, g -> new TreeMap<>()).computeIfAbsent(tsMs - Math.floorMod(tsMs, WINDOW_MS), s -> new long[3]);
            w[0]++;
            if (durationNanos > policy.latencySloMs() * 1_000_000L) {
                w[1]++;
            }
            if (node.get("status").asInt() >= 500) {
                w[2]++;
            }
        }
        return windows;
    }

    private static List<Alert> alertsOf(String group, String slo, int bad, double target, TreeMap<Long, long[]> byStart, Instant horizon) {
        List<Alert> alerts = new ArrayList<>();
        boolean page = false;
        boolean ticket = false;
        for (long windowStart : byStart.keySet()) {
            long endMs = windowStart + WINDOW_MS;
            if (endMs > horizon.toEpochMilli()) {
                break;
            }
            double fiveMinutes = burnRate(byStart, endMs, Duration.ofMinutes(5), bad, target);
            double thirtyMinutes = burnRate(byStart, endMs, Duration.ofMinutes(30), bad, target);
            double hour = burnRate(byStart, endMs, Duration.ofHours(1), bad, target);
            double sixHours = burnRate(byStart, endMs, Duration.ofHours(6), bad, target);
            double threeDays = burnRate(byStart, endMs, Duration.ofDays(3), bad, target);
            boolean pages = hour > 14.4 && fiveMinutes > 14.4 || sixHours > 6 && thirtyMinutes > 6;
            boolean tickets = threeDays > 1 && sixHours > 1;
            if (pages != page) {
                page = pages;
                alerts.add(new Alert(group, slo, "page", pages ? "firing" : "resolved", endMs));
            }
            if (tickets != ticket) {
                ticket = tickets;
                alerts.add(new Alert(group, slo, "ticket", tickets ? "firing" : "resolved", endMs));
            }
        }
        return alerts;
    }

    /** Over the windows that start in [end - period, end). */
    private static double burnRate(TreeMap<Long, long[]> byStart, long endMs, Duration period, int bad, double target) {
        long requests = 0;
        long badOnes = 0;
        for (long[] w : byStart.subMap(endMs - period.toMillis(), true, endMs, false).values()) {
            requests += w[0];
            badOnes += w[bad];
        }
        return requests == 0 ? 0.0 : (double) badOnes / requests / (1.0 - target);
    }

    private static JsonNode tree(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            return null;
        }
    }
}
