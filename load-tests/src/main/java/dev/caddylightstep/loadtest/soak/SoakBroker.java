package dev.caddylightstep.loadtest.soak;

import dev.caddylightstep.broker.EmbeddedKafka;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The soak's broker in a process of its own: the product's one-node KRaft broker ({@link EmbeddedKafka}) on a data
 * directory that outlives the process, so that a restart resumes its log. Stops cleanly on SIGTERM.
 * Arguments: DATA_DIR PORT.
 */
public final class SoakBroker {
    static final String READY = "soak broker ready";

    private SoakBroker() {
    }

    public static void main(String[] args) throws InterruptedException {
        EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(Path.of(args[0])).port(Integer.parseInt(args[1])).build().start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            kafka.stop();
            stopped.countDown();
        }, "broker-shutdown"));
        System.out.println(READY + " at " + kafka.bootstrapServers());
        stopped.await();
    }
}
