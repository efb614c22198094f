package dev.caddylightstep.forward;

import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;

/**
 * The backend's answer to one export request.
 *
 * @param failure       what the failure means for the request; {@code null} when the backend acknowledged it
 * @param why           the status or exception, for the log and the dead letters; for an acknowledged request, the
 *                      backend's own message when its answer carried one (a warning, or why it rejected spans)
 * @param rejectedSpans for an acknowledged request, how many of its spans the backend said it dropped (OTLP's partial
 *                      success), as the backend gave it: not checked against the request's spans
 */
record ExportAnswer(ExportFailure failure, String why, long rejectedSpans) {
    static final ExportAnswer ACKNOWLEDGED = new ExportAnswer(null, "", 0);
    /** A backend's message is its own text, of any length: the log keeps this much of it. */
    private static final int MAX_MESSAGE_CHARS = 256;

    ExportAnswer(ExportFailure failure, String why) {
        this(failure, why, 0);
    }

    /**
     * A request the backend acknowledged, with the partial success its answer ({@code ExportTraceServiceResponse}) may
     * carry. OTLP says a backend that keeps only some spans still answers OK and must not be asked again; an answer that
     * is empty, or no such message, is an acknowledgement of every span.
     */
    static ExportAnswer acknowledged(byte[] response) {
        if (response == null || response.length == 0) {
            return ACKNOWLEDGED;
        }
        ExportTracePartialSuccess partial;
        try {
            partial = ExportTraceServiceResponse.parseFrom(response).getPartialSuccess();
        } catch (InvalidProtocolBufferException e) {
            return ACKNOWLEDGED;
        }
        if (partial.getRejectedSpans() == 0 && partial.getErrorMessage().isEmpty()) {
            return ACKNOWLEDGED;
        }
        return new ExportAnswer(null, printable(partial.getErrorMessage()), partial.getRejectedSpans());
    }

    boolean acknowledged() {
        return failure == null;
    }

    /** The backend's text on one line, at most MAX_MESSAGE_CHARS of it: it goes into our log as it is. */
    private static String printable(String message) {
        StringBuilder text = new StringBuilder(Math.min(message.length(), MAX_MESSAGE_CHARS + 1));
        for (int i = 0; i < message.length() && text.length() < MAX_MESSAGE_CHARS; i++) {
            char c = message.charAt(i);
            text.append(Character.isISOControl(c) ? ' ' : c);
        }
        if (message.length() > MAX_MESSAGE_CHARS) {
            text.append('…');
        }
        return text.toString();
    }
}
