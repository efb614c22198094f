package dev.caddylightstep.aggregate;

import dev.caddylightstep.avro.AvroSerde;
import dev.caddylightstep.schema.LatencyWindowState;
import org.apache.kafka.common.serialization.Serde;

/** The serde of running windows in the window stores and their changelogs (schemas/LatencyWindowState.avsc). */
final class LatencyWindowSerde {
    private LatencyWindowSerde() {
    }

    static Serde<LatencyWindow> create() {
        return new AvroSerde<>(LatencyWindowState.getClassSchema(), LatencyWindow::toState, LatencyWindow::fromState);
    }
}
