package dev.caddylightstep.testing.otlp;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

/** Where both transports hand a decoded export, so that faults and recording behave the same on either wire. */
@FunctionalInterface
interface ExportIntake {

    ExportVerdict receive(ExportTraceServiceRequest request, RequestHeaders headers);
}
