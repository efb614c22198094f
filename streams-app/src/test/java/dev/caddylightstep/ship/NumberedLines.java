package dev.caddylightstep.ship;

import dev.caddylightstep.testing.capture.CaddyCapture;
import java.util.ArrayList;
import java.util.List;

/**
 * Real Caddy 2.6.2 lines (access.log, then bulk.log, round and round), each made unique by giving its request
 * its own client port, as Caddy would for requests on separate connections: a test can then tell a repeated
 * line from a line that came twice.
 */
public final class NumberedLines {
    private NumberedLines() {
    }

    /** {@code count} lines whose remote_port is {@code first}, {@code first + 1}, ... */
    public static List<String> of(int count, int first) {
        List<String> captured = new ArrayList<>(CaddyCapture.lines("access.log"));
        captured.addAll(CaddyCapture.lines("bulk.log"));
        List<String> lines = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            lines.add(CaddyCapture.withRequestField(captured.get(i % captured.size()), "remote_port", Integer.toString(first + i)));
        }
        return lines;
    }
}
