package dev.caddylightstep.access;

import static dev.caddylightstep.testing.capture.CaddyCapture.first;
import static dev.caddylightstep.testing.capture.CaddyCapture.lines;
import static dev.caddylightstep.testing.capture.CaddyCapture.request;
import static dev.caddylightstep.testing.capture.CaddyCapture.withField;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

/** A parsed request survives the application's internal topics as it was, its upstream timing and Server-Timing included. */
class AccessEventSerdeTest {
    private static final CaddyLogParser PARSER = new CaddyLogParser(LogFormat.CADDY_DEFAULT, Redaction.defaults(), Set.of(), CapturedHeaders.none());
    private static final Serde<AccessEvent> SERDE = AccessEventSerde.create();

    private static AccessEvent parse(String line) {
        return ((ParseOutcome.Parsed) PARSER.parse(line.getBytes(StandardCharsets.UTF_8))).event();
    }

    private static AccessEvent roundTrip(AccessEvent event) {
        return SERDE.deserializer().deserialize("t", SERDE.serializer().serialize("t", event));
    }

    @Test
    void everyRequestOfTheStagesCaptureComesBackEqual() {
        for (String line : lines("stages.log")) {
            AccessEvent event = parse(line);
            assertThat(roundTrip(event)).isEqualTo(event);
        }
    }

    @Test
    void logAppendsUpstreamAndSkippedEntriesComeBackEqual() {
        String line = withField(withField(first("stages.log", l -> l.path("request").path("uri").asText().contains("extra=render")),
                "upstream_duration_ms", 40.25), "upstream_addr", "10.0.0.2:80");
        AccessEvent event = parse(line);

        assertThat(event.serverTiming().skipped()).isEqualTo(1);
        assertThat(roundTrip(event)).isEqualTo(event);
    }

    @Test
    void aRequestWithoutTimingComesBackWithoutIt() {
        AccessEvent event = roundTrip(parse(first("stages.log", request("GET", "/health", 200))));

        assertThat(event.upstream()).isNull();
        assertThat(event.serverTiming()).isSameAs(ServerTiming.NONE);
    }
}
