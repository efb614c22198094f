package dev.caddylightstep.forward;

import io.opentelemetry.exporter.internal.FailedExportException;
import java.util.Locale;

/**
 * What a failed export means for the batch: try again later, split it to find the spans the backend refuses,
 * split it into requests the backend takes, or (throttled) try again later and count it. Reads OpenTelemetry's
 * FailedExportException, the exporter's only account of the HTTP status or gRPC code it got.
 */
enum ExportFailure {
    /** The backend could not take it now: down, overloaded, timed out. */
    RETRY,
    /** 429 or RESOURCE_EXHAUSTED: the backend's rate limit. */
    THROTTLED,
    /** 400 or INVALID_ARGUMENT: something in the batch is malformed. */
    MALFORMED,
    /** 413, or RESOURCE_EXHAUSTED for the message size: the request is over the backend's size limit. */
    TOO_LARGE,
    /** 401, 403 or the gRPC equivalents: the token or the endpoint is wrong; retried, since nothing may be lost. */
    REFUSED;

    private static final int GRPC_INVALID_ARGUMENT = 3;
    private static final int GRPC_PERMISSION_DENIED = 7;
    private static final int GRPC_RESOURCE_EXHAUSTED = 8;
    private static final int GRPC_UNAUTHENTICATED = 16;

    static ExportFailure of(Throwable failure) {
        if (failure instanceof FailedExportException.HttpExportException http && http.getResponse() != null) {
            int status = http.getResponse().getStatusCode();
            return status == 429 ? THROTTLED
                    : status == 400 ? MALFORMED
                    : status == 413 ? TOO_LARGE
                    : status == 401 || status == 403 ? REFUSED
                    : RETRY;
        }
        if (failure instanceof FailedExportException.GrpcExportException grpc && grpc.getResponse() != null) {
            int code = grpc.getResponse().getStatusCode().getValue();
            return code == GRPC_RESOURCE_EXHAUSTED && namesMessageSize(grpc.getResponse().getStatusDescription()) ? TOO_LARGE
                    : code == GRPC_RESOURCE_EXHAUSTED ? THROTTLED
                    : code == GRPC_INVALID_ARGUMENT ? MALFORMED
                    : code == GRPC_UNAUTHENTICATED || code == GRPC_PERMISSION_DENIED ? REFUSED
                    : RETRY;
        }
        return RETRY;
    }

    /**
     * gRPC answers a rate limit and a message over the size limit with the same code; only the description tells
     * them apart: grpc-java says "gRPC message exceeds maximum size", grpc-go (the Collector) "received message
     * larger than max".
     */
    private static boolean namesMessageSize(String description) {
        String d = description == null ? "" : description.toLowerCase(Locale.ROOT);
        return d.contains("exceeds maximum size") || d.contains("larger than max");
    }

    /** A short description for the log and the dead-letter header: status or code, never headers. */
    static String describe(Throwable failure) {
        if (failure instanceof FailedExportException.HttpExportException http && http.getResponse() != null) {
            return "HTTP " + http.getResponse().getStatusCode() + " " + http.getResponse().getStatusMessage();
        }
        if (failure instanceof FailedExportException.GrpcExportException grpc && grpc.getResponse() != null) {
            return "gRPC status " + grpc.getResponse().getStatusCode().getValue() + " " + String.valueOf(grpc.getResponse().getStatusDescription());
        }
        return failure == null ? "no answer" : failure.getClass().getSimpleName() + ": " + failure.getMessage();
    }
}
