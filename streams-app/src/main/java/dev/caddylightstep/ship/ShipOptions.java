package dev.caddylightstep.ship;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * What a {@link Shipper} ships, from where, to which topics: a log file followed (file mode) or Caddy's net writer taken on
 * an address (net mode), exactly one of the two.
 *
 * @param kafka          Kafka client properties of the producer
 * @param file           file mode: the live log file, or null
 * @param listen         net mode: the address to listen on, or null
 * @param checkpoint     file mode: where the position is kept, or null for the file's default
 * @param keyField       the JSON field whose value is the record key (a dotted path), or null for none
 * @param fromBeginning  file mode, first start: from the live file's first line rather than its end
 * @param progressEvery  between progress lines on stderr; zero for none
 * @param maxClockSkew   a line's ts further ahead of the shipper's clock is not the record's time
 */
public record ShipOptions(Map<String, Object> kafka, String accessTopic, String deadLetterTopic, Path file, InetSocketAddress listen,
                          Path checkpoint, String keyField, int maxLineBytes, boolean fromBeginning, int maxPendingLines,
                          int maxConnections, Duration idleTimeout, Duration progressEvery, Duration maxClockSkew) {
    /** --max-line-bytes: a line longer than this is dead-lettered by the shipper, with its place in the file. */
    public static final int DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
    /** --max-pending-lines: lines sent and not yet covered by the checkpoint, at most; a restart repeats at most this many. */
    public static final int DEFAULT_MAX_PENDING_LINES = 10_000;
    /** Where a port alone listens: whoever connects can send lines, so other hosts are let in only by naming an address they reach. */
    private static final String LOOPBACK = "127.0.0.1";

    public ShipOptions {
        kafka = Map.copyOf(kafka);
        if ((file == null) == (listen == null)) {
            throw new ShipException("give exactly one of --file PATH or --listen HOST:PORT");
        }
    }

    /** {@code HOST:PORT}, {@code [IPV6]:PORT}, or the port alone ({@code 5140}, {@code :5140}) for 127.0.0.1. */
    public static InetSocketAddress listenAddress(String value) {
        int colon = value.lastIndexOf(':');
        String host = colon < 0 ? "" : value.substring(0, colon);
        String portText = value.substring(colon + 1);
        if (portText.isEmpty()) {
            throw new ShipException("--listen " + value + " is not [HOST:]PORT");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            int port = Integer.parseInt(portText);
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(host.isEmpty() ? LOOPBACK : host, port);
        } catch (NumberFormatException e) {
            throw new ShipException("--listen " + value + ": the port is not a number from 0 to 65535");
        }
    }
}
