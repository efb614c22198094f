package dev.caddylightstep.testing.otlp;

import io.grpc.Status;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;

/**
 * The receiver's answer to one export request, as an HTTP status; gRPC answers with the equivalent code.
 *
 * @param httpStatus 200 when the spans were accepted, otherwise the 4xx or 5xx the client was sent
 * @param reason     why the request was refused, empty when accepted; when accepted with spans dropped, why those were
 * @param dropped    spans of an accepted request the receiver did not keep, which its answer's partial success counts
 */
public record ExportVerdict(int httpStatus, String reason, int dropped) {
    static final ExportVerdict ACCEPTED = new ExportVerdict(200, "", 0);

    static ExportVerdict refused(int httpStatus, String reason) {
        return new ExportVerdict(httpStatus, reason, 0);
    }

    /** Accepted, but {@code dropped} of its spans not kept: OTLP's partial success. */
    static ExportVerdict partlyAccepted(int dropped, String reason) {
        return new ExportVerdict(200, reason, dropped);
    }

    /** What an accepted trace export is answered with: empty, or the partial success of the spans dropped. */
    ExportTraceServiceResponse traceResponse() {
        if (dropped == 0) {
            return ExportTraceServiceResponse.getDefaultInstance();
        }
        return ExportTraceServiceResponse.newBuilder()
                .setPartialSuccess(ExportTracePartialSuccess.newBuilder().setRejectedSpans(dropped).setErrorMessage(reason)).build();
    }

    public boolean accepted() {
        return httpStatus == 200;
    }

    /**
     * The gRPC code a collector would answer with, from google.rpc.Code's own HTTP mapping plus 502 as
     * UNAVAILABLE. Codes OTLP/gRPC retries (ABORTED, CANCELLED) are left out, so that exactly the statuses
     * OTLP/HTTP retries (429, 502, 503, 504) map to retryable codes and a test means the same on both wires.
     */
    Status.Code grpcCode() {
        return switch (httpStatus) {
            case 200 -> Status.Code.OK;
            case 400 -> Status.Code.INVALID_ARGUMENT;
            case 401 -> Status.Code.UNAUTHENTICATED;
            case 403 -> Status.Code.PERMISSION_DENIED;
            case 404 -> Status.Code.NOT_FOUND;
            case 429 -> Status.Code.RESOURCE_EXHAUSTED;
            case 501 -> Status.Code.UNIMPLEMENTED;
            case 502, 503 -> Status.Code.UNAVAILABLE;
            case 504 -> Status.Code.DEADLINE_EXCEEDED;
            default -> httpStatus < 500 ? Status.Code.FAILED_PRECONDITION : Status.Code.INTERNAL;
        };
    }
}
