package dev.caddylightstep.ship;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

/** The shipper's meters under their Prometheus names. */
class ShipMetricsTest {
    @Test
    void prometheusSeesTheDocumentedNames() {
        ShipMetrics metrics = new ShipMetrics();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metrics.bindTo(registry);
        metrics.delivered(700);
        metrics.delivered(300);
        metrics.deadLettered();
        metrics.lag(() -> 4096);
        metrics.connectionRefused();
        metrics.connectionRefused();
        metrics.connectionTimedOut();
        metrics.truncated(0);
        metrics.truncated(512);

        String scrape = registry.scrape();
        assertThat(scrape).contains("caddy_ship_lines_total 2.0", "caddy_ship_bytes_total 1000.0", "caddy_ship_dead_letters_total 1.0",
                "caddy_ship_lag_bytes 4096.0", "caddy_ship_connections_refused_total{reason=\"max-connections\"} 2.0",
                "caddy_ship_connections_refused_total{reason=\"idle-timeout\"} 1.0", "caddy_ship_truncations_total 2.0",
                "caddy_ship_lost_bytes_total 512.0");
    }
}
