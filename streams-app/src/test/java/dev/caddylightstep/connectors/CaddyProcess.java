package dev.caddylightstep.connectors;

import dev.caddylightstep.broker.LoopbackPorts;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/** A real Caddy (`caddy run`) on loopback, for tests; Debian's package is Caddy 2.6.2. */
public final class CaddyProcess implements AutoCloseable {
    /** What a test adds to a recipe's global options: no admin endpoint, nothing on other interfaces, no certificates. */
    private static final String TEST_OPTIONS = "\tadmin off\n\tauto_https off\n\tdefault_bind 127.0.0.1\n\tgrace_period 1s\n";

    private static final int MAX_ATTEMPTS = 3;
    /** What Caddy (Go's net package) says when another socket holds a port it listens on. */
    private static final String ADDRESS_IN_USE = "address already in use";

    private final Process process;
    private final Path output;
    private final List<Integer> ports;

    private CaddyProcess(Process process, Path output, List<Integer> ports) {
        this.process = process;
        this.output = output;
        this.ports = ports;
    }

    public static boolean installed() {
        return executable() != null;
    }

    /** "2.6.2" for Debian's package; "v2.7.6 h1:..." for upstream builds. */
    public static String version() throws IOException, InterruptedException {
        Process version = new ProcessBuilder(executable().toString(), "version").redirectErrorStream(true).start();
        String text = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        version.waitFor(10, TimeUnit.SECONDS);
        return text;
    }

    /** A recipe with the test's global options merged into its own global options block, or in a new one. */
    public static String withTestOptions(String caddyfile) {
        String[] lines = caddyfile.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.equals("{")) {
                lines[i] = lines[i] + "\n" + TEST_OPTIONS.stripTrailing();
                return String.join("\n", lines);
            }
            break;
        }
        return "{\n" + TEST_OPTIONS + "}\n\n" + caddyfile;
    }

    /**
     * Runs Caddy with this Caddyfile on {@code portCount} free loopback ports, given to it through the environment this
     * makes of them (its {$...} placeholders), and waits until it serves its configuration and accepts connections on
     * each. A port found free may be bound by another fork's test before this Caddy binds it, and Caddy then exits: it
     * is started again on other ports, up to three times.
     */
    public static CaddyProcess start(Path dir, String caddyfile, int portCount, Function<List<Integer>, Map<String, String>> environment)
            throws IOException, InterruptedException {
        return start(dir, caddyfile, environment, () -> LoopbackPorts.free(portCount));
    }

    /** The same, on the ports {@code ports} gives for each attempt. */
    static CaddyProcess start(Path dir, String caddyfile, Function<List<Integer>, Map<String, String>> environment,
                              Supplier<List<Integer>> ports) throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            List<Integer> chosen = ports.get();
            CaddyProcess caddy = startOn(dir, caddyfile, environment.apply(chosen), chosen);
            try {
                caddy.awaitServing();
                for (int port : chosen) {
                    caddy.awaitPort(port);
                }
                return caddy;
            } catch (AssertionError e) {
                caddy.close();
                if (attempt == MAX_ATTEMPTS || !caddy.output().contains(ADDRESS_IN_USE)) {
                    throw e;
                }
            }
        }
    }

    /** The ports this Caddy serves, in the order the environment was made with. */
    public List<Integer> ports() {
        return ports;
    }

    private static CaddyProcess startOn(Path dir, String caddyfile, Map<String, String> environment, List<Integer> ports) throws IOException {
        Files.createDirectories(dir);
        Path config = dir.resolve("Caddyfile");
        Files.writeString(config, caddyfile, StandardCharsets.UTF_8);
        Path output = dir.resolve("caddy.out");
        ProcessBuilder builder = new ProcessBuilder(executable().toString(), "run", "--config", config.toString(), "--adapter", "caddyfile")
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().putAll(environment);
        // Caddy keeps its autosave and storage under HOME / XDG dirs: keep them in the test's directory
        builder.environment().put("HOME", dir.toString());
        builder.environment().put("XDG_CONFIG_HOME", dir.resolve("config").toString());
        builder.environment().put("XDG_DATA_HOME", dir.resolve("data").toString());
        return new CaddyProcess(builder.start(), output, List.copyOf(ports));
    }

    public String output() {
        try {
            return Files.readString(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    /** Until Caddy logs that it serves its configuration, which it does once every listener is bound. */
    private void awaitServing() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (output().contains("\"serving initial configuration\"")) {
                return;
            }
            if (!process.isAlive()) {
                throw new AssertionError("caddy exited with " + process.exitValue() + " (a port taken by another process?):\n" + output());
            }
            Thread.sleep(50);
        }
        throw new AssertionError("caddy did not serve its configuration within 20 s:\n" + output());
    }

    private void awaitPort(int port) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("caddy exited with " + process.exitValue() + ":\n" + output());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        throw new AssertionError("caddy did not listen on " + port + " within 20 s:\n" + output());
    }

    /** SIGTERM: Caddy shuts down gracefully, flushing its logs. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static Path executable() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, "caddy");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
