package dev.caddylightstep.ship;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Net mode: a TCP server for Caddy's {@code net} log writer, which sends the same newline-terminated JSON it
 * would write to a file. Any number of Caddy instances may connect at once; each connection has its own
 * thread, and lines cut by the reads are put back together. There is nothing to resume: what Caddy sends
 * while the shipper is down does not reach it (Caddy 2.6.2 reports the failed write on its own stderr).
 */
final class NetListener implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(NetListener.class);
    private static final int CHUNK = 64 * 1024;

    private final LineProducer producer;
    private final int maxLineBytes;
    private final ServerSocket server;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connectionCount = new AtomicInteger();
    private final ExecutorService threads = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "ship-net-" + connectionCount.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    });
    private volatile boolean closed;

    /** Binds now, so that a taken port is an error at start, not later. */
    NetListener(InetSocketAddress address, LineProducer producer, int maxLineBytes) throws IOException {
        this.producer = producer;
        this.maxLineBytes = maxLineBytes;
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
                connections.add(socket);
                threads.execute(() -> serve(socket));
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("accepting on {} failed: {}", address(), e.getMessage());
                }
            }
        }
    }

    private void serve(Socket socket) {
        String source = "tcp://" + socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
        LOG.info("{} connected", source);
        LineSplitter splitter = new LineSplitter(maxLineBytes, 0);
        LineSplitter.Lines sending = new LineSplitter.Lines() {
            @Override
            public void line(byte[] buffer, int offset, int length, long start, long end) {
                producer.send(Arrays.copyOfRange(buffer, offset, offset + length), source, start, () -> { });
            }

            @Override
            public void tooLong(byte[] buffer, int offset, int prefixLength, long length, long start, long end) {
                producer.sendTooLong(Arrays.copyOfRange(buffer, offset, offset + prefixLength), length, source, start, () -> { });
            }
        };
        byte[] buffer = new byte[CHUNK];
        try (socket; InputStream in = socket.getInputStream()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                splitter.feed(buffer, 0, n, sending);
            }
            // a sender that went away mid-line: the pipeline dead-letters the piece as truncated
            splitter.finish(sending);
            LOG.info("{} disconnected after {} bytes", source, splitter.position());
        } catch (SocketException e) {
            if (!closed) {
                LOG.info("{} disconnected: {}", source, e.getMessage());
            }
        } catch (IOException e) {
            LOG.warn("reading from {} failed: {}", source, e.getMessage());
        } finally {
            connections.remove(socket);
        }
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
}
