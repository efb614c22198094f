package dev.caddylightstep.testing.otlp;

import io.grpc.Status;

/**
 * The receiver's answer to one export request, as an HTTP status; gRPC answers with the equivalent code.
 *
 * @param httpStatus 200 when the spans were accepted, otherwise the 4xx or 5xx the client was sent
 * @param reason     why the request was refused, empty when accepted
 */
public record ExportVerdict(int httpStatus, String reason) {
    static final ExportVerdict ACCEPTED = new ExportVerdict(200, "");

    static ExportVerdict refused(int httpStatus, String reason) {
        return new ExportVerdict(httpStatus, reason);
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
