package dev.caddylightstep.ship;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The shipper's counters, read by its progress line and, once bound to a registry, by Micrometer. Meter names
 * follow Micrometer's dotted convention; a Prometheus registry exposes them as
 * {@code caddy_ship_lines_total}, {@code caddy_ship_bytes_total}, {@code caddy_ship_dead_letters_total},
 * {@code caddy_ship_lag_bytes}, {@code caddy_ship_truncations_total}, {@code caddy_ship_lost_bytes_total} and
 * {@code caddy_ship_connections_refused_total}. Lines and bytes count what Kafka acknowledged on the access
 * topic; bytes are the lines' own bytes, without the newline.
 */
public final class ShipMetrics {
    public static final String LINES = "caddy.ship.lines";
    public static final String BYTES = "caddy.ship.bytes";
    public static final String DEAD_LETTERS = "caddy.ship.dead.letters";
    public static final String LAG = "caddy.ship.lag";
    /** Net mode, tagged {@code reason}: {@code max-connections} (refused at once) or {@code idle-timeout} (closed when idle). */
    public static final String CONNECTIONS_REFUSED = "caddy.ship.connections.refused";
    /** File mode: the live file truncated in place (logrotate's copytruncate), and what of its old content was not read. */
    public static final String TRUNCATIONS = "caddy.ship.truncations";
    public static final String LOST_BYTES = "caddy.ship.lost.bytes";

    private final LongAdder lines = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final LongAdder deadLetters = new LongAdder();
    private final LongAdder connectionsRefused = new LongAdder();
    private final LongAdder connectionsTimedOut = new LongAdder();
    private final LongAdder truncations = new LongAdder();
    private final LongAdder lostBytes = new LongAdder();
    private volatile LongSupplier lag = () -> 0;
    private volatile String position = "-";
    private volatile LongSupplier connections;
    private long lastLines;
    private long lastNanos = System.nanoTime();

    /** Registers the meters; the counters keep counting whether or not a registry reads them. */
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder(LINES, lines, LongAdder::doubleValue)
                .description("Caddy log lines Kafka acknowledged on the access topic").register(registry);
        FunctionCounter.builder(BYTES, bytes, LongAdder::doubleValue).baseUnit("bytes")
                .description("bytes of those lines").register(registry);
        FunctionCounter.builder(DEAD_LETTERS, deadLetters, LongAdder::doubleValue)
                .description("lines sent to the dead-letter topic instead (longer than --max-line-bytes)").register(registry);
        Gauge.builder(LAG, this, ShipMetrics::lagBytes).baseUnit("bytes")
                .description("bytes of the log not yet acknowledged by Kafka: unread, or read and in flight").register(registry);
        FunctionCounter.builder(TRUNCATIONS, truncations, LongAdder::doubleValue)
                .description("times the live file was truncated in place (copytruncate) and read again from offset 0").register(registry);
        FunctionCounter.builder(LOST_BYTES, lostBytes, LongAdder::doubleValue).baseUnit("bytes")
                .description("bytes of a file's old content not read before it was truncated in place, at least").register(registry);
        String refused = "net mode: connections the shipper closed, as soon as accepted past --max-connections or idle past --idle-timeout";
        FunctionCounter.builder(CONNECTIONS_REFUSED, connectionsRefused, LongAdder::doubleValue).tag("reason", "max-connections")
                .description(refused).register(registry);
        FunctionCounter.builder(CONNECTIONS_REFUSED, connectionsTimedOut, LongAdder::doubleValue).tag("reason", "idle-timeout")
                .description(refused).register(registry);
    }

    public long lines() {
        return lines.sum();
    }

    public long bytes() {
        return bytes.sum();
    }

    public long deadLetters() {
        return deadLetters.sum();
    }

    /** Net mode: connections closed as soon as accepted, because --max-connections were open. */
    public long connectionsRefused() {
        return connectionsRefused.sum();
    }

    /** Net mode: connections closed after sending nothing for --idle-timeout. */
    public long connectionsTimedOut() {
        return connectionsTimedOut.sum();
    }

    /** File mode: how often the live file was truncated in place. */
    public long truncations() {
        return truncations.sum();
    }

    /** File mode: bytes of truncated files' old content that were not read, at least. */
    public long lostBytes() {
        return lostBytes.sum();
    }

    public long lagBytes() {
        return lag.getAsLong();
    }

    void delivered(int lineBytes) {
        lines.increment();
        bytes.add(lineBytes);
    }

    void deadLettered() {
        deadLetters.increment();
    }

    void truncated(long lost) {
        truncations.increment();
        lostBytes.add(lost);
    }

    void connectionRefused() {
        connectionsRefused.increment();
    }

    void connectionTimedOut() {
        connectionsTimedOut.increment();
    }

    void lag(LongSupplier supplier) {
        this.lag = supplier;
    }

    void position(String where) {
        this.position = where;
    }

    void connections(LongSupplier supplier) {
        this.connections = supplier;
    }

    /** {@code ship: lines=N bytes=N lines/s=N position=FILE:OFFSET lag_bytes=N dead_letters=N}; lines/s since the last call. */
    synchronized String progressLine() {
        long now = System.nanoTime();
        long total = lines();
        double seconds = Math.max(1e-3, (now - lastNanos) / 1e9);
        long rate = Math.round((total - lastLines) / seconds);
        lastLines = total;
        lastNanos = now;
        StringBuilder line = new StringBuilder("ship: lines=").append(total)
                .append(" bytes=").append(bytes())
                .append(" lines/s=").append(rate);
        LongSupplier open = connections;
        if (open != null) {
            line.append(" connections=").append(open.getAsLong());
        } else {
            line.append(" position=").append(position).append(" lag_bytes=").append(lagBytes());
        }
        return line.append(" dead_letters=").append(deadLetters()).toString();
    }
}
