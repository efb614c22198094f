package dev.caddylightstep.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** Free ports on 127.0.0.1 for listeners of one session: a broker's, an instance's HTTP server, a shipper's. */
public final class LoopbackPorts {
    private LoopbackPorts() {
    }

    /**
     * {@code count} ports, all different: the sockets stay bound until every port is found, since ports asked for one
     * at a time can come back twice (and a broker refuses two listeners on one port). Another process may still take
     * one before its listener binds it.
     */
    public static List<Integer> free(int count) {
        List<ServerSocket> sockets = new ArrayList<>(count);
        try {
            List<Integer> ports = new ArrayList<>(count);
            while (ports.size() < count) {
                ServerSocket socket = new ServerSocket();
                sockets.add(socket);
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress("127.0.0.1", 0));
                ports.add(socket.getLocalPort());
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find " + count + " free ports on 127.0.0.1", e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException e) {
                    // a socket that cannot be closed leaves its port taken, which no caller relies on either way
                }
            }
        }
    }
}
