package dev.caddylightstep.ship;

import dev.caddylightstep.cli.ShipCommand;
import picocli.CommandLine;

/** {@code ship} as its own JVM, for tests that kill it with SIGKILL. */
public final class ShipperProcess {
    private ShipperProcess() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ShipCommand()).execute(args));
    }
}
