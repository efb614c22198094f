package dev.caddylightstep.ship;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Net mode: a TCP server for Caddy's {@code net} log writer, which sends the same newline-terminated JSON it would
 * write to a file. Several Caddy instances may connect at once, up to a limit; each connection has its own thread, and
 * lines cut by the reads are put back together. There is nothing to resume: what Caddy sends while the shipper is down
 * does not reach it (Caddy 2.6.2 reports the failed write on its own stderr).
 *
 * <p>Anyone who reaches the port can connect, so what a connection can take is bounded: at most {@code maxConnections}
 * are served at once (one more is closed as soon as it is accepted), each holds at most a line of {@code maxLineBytes}
 * besides its read buffer, the lines read from all of them and not yet acknowledged by Kafka take at most the
 * producer's buffer.memory (the reads wait for room), and one that stops in the middle of a line for
 * {@code idleTimeout} is closed (its piece goes on, and the pipeline dead-letters it as truncated). A connection idle
 * between lines stays open: Caddy's net writer keeps one connection for as long as it runs, and Caddy 2.6.2 loses the
 * first line it writes after the shipper closed it (and those until 10 s after its last dial). Refusals and closes are
 * counted in {@link ShipMetrics} and logged at most once per {@link #LOG_INTERVAL_SECONDS} seconds each, so that a
 * flood of connections cannot flood the log.
 */
final class NetListener implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(NetListener.class);
    private static final int CHUNK = 64 * 1024;
    static final int LOG_INTERVAL_SECONDS = 10;

    private final LineProducer producer;
    private final int maxLineBytes;
    private final int maxConnections;
    private final Duration idleTimeout;
    private final ShipMetrics metrics;
    private final ServerSocket server;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connectionCount = new AtomicInteger();
    private final ExecutorService threads = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "ship-net-" + connectionCount.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    });
    private final LogBudget refusalLines = new LogBudget(Duration.ofSeconds(LOG_INTERVAL_SECONDS));
    private final LogBudget idleLines = new LogBudget(Duration.ofSeconds(LOG_INTERVAL_SECONDS));
    private final LogBudget waitLines = new LogBudget(Duration.ofSeconds(LOG_INTERVAL_SECONDS));
    /**
     * Bytes of the lines read from every connection that Kafka has not acknowledged yet, as many as the producer's
     * buffer.memory (or one line of maxLineBytes, if more): while Kafka is away the connections' reads wait, and through
     * TCP their senders, rather than their lines piling up in memory to be sent again.
     */
    private final Semaphore unacknowledged;
    private final int maxUnacknowledged;
    private volatile boolean closed;

    /** Binds now, so that a taken port is an error at start, not later. */
    NetListener(InetSocketAddress address, LineProducer producer, int maxLineBytes, int maxConnections, Duration idleTimeout,
                ShipMetrics metrics) throws IOException {
        this.producer = producer;
        this.maxLineBytes = maxLineBytes;
        this.maxConnections = maxConnections;
        this.idleTimeout = idleTimeout;
        this.metrics = metrics;
        this.maxUnacknowledged = (int) Math.min(Integer.MAX_VALUE, Math.max(producer.bufferBytes(), maxLineBytes));
        this.unacknowledged = new Semaphore(maxUnacknowledged);
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        try {
            server.bind(address, 64);
        } catch (IOException e) {
            server.close();
            throw e;
        }
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    int openConnections() {
        return connections.size();
    }

    void start() {
        Thread acceptor = new Thread(this::accept, "ship-net-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void accept() {
        while (!closed) {
            try {
                Socket socket = server.accept();
                // only this thread adds connections: the count cannot grow between the look and the add
                if (connections.size() >= maxConnections) {
                    refuse(socket);
                    continue;
                }
                connections.add(socket);
                threads.execute(() -> serve(socket));
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("accepting on {} failed: {}", address(), e.getMessage());
                }
            }
        }
    }

    private void refuse(Socket socket) {
        String source = source(socket);
        try {
            socket.close();
        } catch (IOException e) {
            // closed either way
        }
        metrics.connectionRefused();
        long unlogged = refusalLines.take();
        if (unlogged >= 0) {
            LOG.warn("refused {}: {} connections are open, as many as --max-connections {} allows; closed it at once{}",
                    source, connections.size(), maxConnections, unloggedSince(unlogged, "refused"));
        }
    }

    private void serve(Socket socket) {
        try {
            read(socket);
        } catch (ClosedWhileWaiting e) {
            LOG.info("{}: the shipper stopped while a line waited for Kafka", source(socket));
        } finally {
            connections.remove(socket);
        }
    }

    private void read(Socket socket) {
        String source = source(socket);
        LOG.info("{} connected", source);
        LineSplitter splitter = new LineSplitter(maxLineBytes, 0);
        LineSplitter.Lines sending = new LineSplitter.Lines() {
            @Override
            public void line(byte[] buffer, int offset, int length, long start, long end) {
                int held = hold(length, source);
                producer.send(Arrays.copyOfRange(buffer, offset, offset + length), source, start, () -> unacknowledged.release(held));
            }

            @Override
            public void tooLong(byte[] buffer, int offset, int prefixLength, long length, long start, long end) {
                int held = hold(prefixLength, source);
                producer.sendTooLong(Arrays.copyOfRange(buffer, offset, offset + prefixLength), length, source, start,
                        () -> unacknowledged.release(held));
            }
        };
        byte[] buffer = new byte[CHUNK];
        try (socket; InputStream in = socket.getInputStream()) {
            socket.setSoTimeout(Math.toIntExact(idleTimeout.toMillis()));
            while (true) {
                int n;
                try {
                    n = in.read(buffer);
                } catch (SocketTimeoutException e) {
                    if (!splitter.midLine()) {
                        continue;
                    }
                    timedOut(source);
                    break;
                }
                if (n <= 0) {
                    LOG.info("{} disconnected after {} bytes", source, splitter.position());
                    break;
                }
                splitter.feed(buffer, 0, n, sending);
            }
            // a sender that went away mid-line: the pipeline dead-letters the piece as truncated
            splitter.finish(sending);
        } catch (SocketException e) {
            if (!closed) {
                LOG.info("{} disconnected after {} bytes: {}", source, splitter.position(), e.getMessage());
                // reset mid-line, as much a sender gone as a close: its piece goes on too
                splitter.finish(sending);
            }
        } catch (IOException e) {
            LOG.warn("reading from {} failed: {}", source, e.getMessage());
        }
    }

    /**
     * Takes room for a line of {@code length} bytes among those Kafka has not acknowledged, waiting while there is none,
     * and returns how much it took (the bound, for a line longer than it: one line always goes).
     */
    private int hold(int length, String source) {
        int bytes = Math.max(1, Math.min(length, maxUnacknowledged));
        if (unacknowledged.tryAcquire(bytes)) {
            return bytes;
        }
        long unlogged = waitLines.take();
        if (unlogged >= 0) {
            LOG.warn("reading from {} waits: the lines Kafka has not acknowledged yet take {} bytes, all the room they have "
                    + "(the producer's buffer.memory){}",
                    source, maxUnacknowledged, unloggedSince(unlogged, "such waits"));
        }
        try {
            while (!unacknowledged.tryAcquire(bytes, 1, TimeUnit.SECONDS)) {
                if (closed) {
                    throw new ClosedWhileWaiting();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClosedWhileWaiting();
        }
        return bytes;
    }

    /** The shipper stopped while a connection's line waited for room: the line is not sent, as lines after a stop are not. */
    private static final class ClosedWhileWaiting extends RuntimeException {
        ClosedWhileWaiting() {
            super(null, null, false, false);
        }
    }

    private void timedOut(String source) {
        metrics.connectionTimedOut();
        long unlogged = idleLines.take();
        if (unlogged >= 0) {
            LOG.info("closing {}: nothing received for {} in the middle of a line (--idle-timeout){}", source, describe(idleTimeout),
                    unloggedSince(unlogged, "closed as idle"));
        }
    }

    /** 10m, 30s, 1500ms: as the option is written. */
    private static String describe(Duration duration) {
        long ms = duration.toMillis();
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    private static String source(Socket socket) {
        return "tcp://" + socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
    }

    private static String unloggedSince(long unlogged, String what) {
        return unlogged == 0 ? "" : " (and " + unlogged + " more " + what + " since the last such line)";
    }

    /** Stops accepting and closes every connection; lines already read are left to the producer to deliver. */
    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket socket : connections) {
            socket.close();
        }
        threads.shutdown();
        try {
            threads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One log line per interval for a kind of event; the events in between are counted, and said in the next line. */
    private static final class LogBudget {
        private final long intervalNanos;
        private long nextNanos = System.nanoTime();
        private long unlogged;

        LogBudget(Duration interval) {
            this.intervalNanos = interval.toNanos();
        }

        /** @return how many events went unlogged before this one, which may be logged; -1 if it may not */
        synchronized long take() {
            long now = System.nanoTime();
            if (now - nextNanos < 0) {
                unlogged++;
                return -1;
            }
            nextNanos = now + intervalNanos;
            long before = unlogged;
            unlogged = 0;
            return before;
        }
    }
}
