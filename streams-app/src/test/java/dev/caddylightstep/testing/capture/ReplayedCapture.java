package dev.caddylightstep.testing.capture;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caddylightstep.identity.Identity;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The capture's access and bulk logs replayed as consecutive minutes of traffic from about an hour ago, with the
 * count of every group's window computed from the lines themselves: the input and the answer of the fault tests.
 */
public final class ReplayedCapture {
    /** Who the capture's users are in these tests. */
    public static final Map<String, String> GROUPS = Map.of("alice", "engineering", "bob", "sales", "carol", "support");

    private final List<String> lines = new ArrayList<>();
    private final Map<String, Long> windows = new TreeMap<>();

    public ReplayedCapture(int minutes) {
        List<String> real = new ArrayList<>(CaddyCapture.lines("access.log"));
        real.addAll(CaddyCapture.lines("bulk.log"));
        // moved by whole minutes, so that every window keeps its lines, to an hour ago: the capture's own times grow
        // older than the aggregate topics' retention (a week), and a broker restarted on its data directory deletes
        // such windows at once, in its log cleaner's first pass
        List<BigDecimal> times = real.stream().map(line -> CaddyCapture.tree(line).get("ts").decimalValue()).toList();
        long earliest = times.stream().mapToLong(BigDecimal::longValue).min().orElseThrow();
        long shift = Math.floorDiv(Instant.now().getEpochSecond() - 3600 - earliest, 60) * 60;
        for (int minute = 0; minute < minutes; minute++) {
            for (int i = 0; i < real.size(); i++) {
                lines.add(CaddyCapture.withField(real.get(i), "ts", times.get(i).add(BigDecimal.valueOf(shift + 60L * minute))));
            }
        }
        for (String line : lines) {
            JsonNode node = CaddyCapture.tree(line);
            String user = node.path("user_id").asText();
            String group = user.isEmpty() ? "anonymous" : GROUPS.getOrDefault(user, "unknown");
            long windowStart = node.get("ts").decimalValue().movePointRight(3).longValue() / 60_000 * 60_000;
            windows.merge(group + "@" + windowStart, 1L, Long::sum);
        }
    }

    public List<String> lines() {
        return lines;
    }

    public List<byte[]> bytes() {
        return lines.stream().map(l -> l.getBytes(StandardCharsets.UTF_8)).toList();
    }

    /** Requests per "group@windowStartMs". */
    public Map<String, Long> expectedWindows() {
        return windows;
    }

    public static List<Identity> identities() {
        return GROUPS.entrySet().stream().map(e -> new Identity(e.getKey(), e.getValue(), null, List.of())).toList();
    }
}
