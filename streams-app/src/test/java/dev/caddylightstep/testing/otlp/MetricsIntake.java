package dev.caddylightstep.testing.otlp;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

/** Where both transports hand a decoded metrics export. */
@FunctionalInterface
interface MetricsIntake {

    ExportVerdict receive(ExportMetricsServiceRequest request, RequestHeaders headers);
}
