package dev.caddylightstep.forward;

import io.opentelemetry.exporter.internal.FailedExportException;
import io.opentelemetry.sdk.common.export.GrpcResponse;
import io.opentelemetry.sdk.common.export.GrpcStatusCode;
import io.opentelemetry.sdk.common.export.HttpResponse;
import java.util.Locale;

/**
 * What a failed export means for the batch: try again later, split it to find the spans the backend refuses,
 * split it into requests the backend takes, or (throttled) try again later and count it. Read from the backend's
 * answer: the HTTP status or gRPC code the sender got for a span request, or OpenTelemetry's FailedExportException,
 * the metric exporter's only account of it.
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

    static ExportFailure of(HttpResponse response) {
        int status = response.getStatusCode();
        return status == 429 ? THROTTLED
                : status == 400 ? MALFORMED
                : status == 413 ? TOO_LARGE
                : status == 401 || status == 403 ? REFUSED
                : RETRY;
    }

    static ExportFailure of(GrpcResponse response) {
        GrpcStatusCode code = response.getStatusCode();
        return code == GrpcStatusCode.RESOURCE_EXHAUSTED && namesMessageSize(response.getStatusDescription()) ? TOO_LARGE
                : code == GrpcStatusCode.RESOURCE_EXHAUSTED ? THROTTLED
                : code == GrpcStatusCode.INVALID_ARGUMENT ? MALFORMED
                : code == GrpcStatusCode.UNAUTHENTICATED || code == GrpcStatusCode.PERMISSION_DENIED ? REFUSED
                : RETRY;
    }

    static ExportFailure of(Throwable failure) {
        if (failure instanceof FailedExportException.HttpExportException http && http.getResponse() != null) {
            return of(http.getResponse());
        }
        if (failure instanceof FailedExportException.GrpcExportException grpc && grpc.getResponse() != null) {
            return of(grpc.getResponse());
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
    static String describe(HttpResponse response) {
        return "HTTP " + response.getStatusCode() + " " + response.getStatusMessage();
    }

    static String describe(GrpcResponse response) {
        return "gRPC status " + response.getStatusCode().getValue() + " " + response.getStatusDescription();
    }

    static String describe(Throwable failure) {
        if (failure instanceof FailedExportException.HttpExportException http && http.getResponse() != null) {
            return describe(http.getResponse());
        }
        if (failure instanceof FailedExportException.GrpcExportException grpc && grpc.getResponse() != null) {
            return describe(grpc.getResponse());
        }
        return failure == null ? "no answer" : failure.getClass().getSimpleName() + ": " + failure.getMessage();
    }
}
