package dev.caddylightstep.forward;

import io.opentelemetry.sdk.common.export.GrpcResponse;
import io.opentelemetry.sdk.common.export.GrpcSender;
import io.opentelemetry.sdk.common.export.GrpcStatusCode;
import io.opentelemetry.sdk.common.export.HttpResponse;
import io.opentelemetry.sdk.common.export.HttpSender;
import io.opentelemetry.sdk.common.export.MessageWriter;
import java.util.function.Consumer;

/**
 * Sends export requests already serialized (span records' bytes joined) to the backend, through the sender
 * OpenTelemetry's OTLP span exporter built from the user's settings ({@link ExportTarget}): the same endpoint,
 * headers and token, compression, TLS, timeouts and retry policy, with none of the exporter's encoding.
 */
public final class SpanSender {
    private final Transport transport;

    private SpanSender(Transport transport) {
        this.transport = transport;
    }

    /** The sender frames each request as a gRPC message, compressing it when configured. */
    static SpanSender grpc(GrpcSender sender) {
        return new SpanSender((body, answer) -> sender.send(body, response -> answer.accept(answerTo(response)),
                failure -> answer.accept(answerTo(failure))));
    }

    /** The sender posts each request as application/x-protobuf, the only body autoconfigure's http/protobuf sends. */
    static SpanSender http(HttpSender sender) {
        return new SpanSender((body, answer) -> sender.send(body, response -> answer.accept(answerTo(response)),
                failure -> answer.accept(answerTo(failure))));
    }


    /** Sends {@code body}; {@code answer} is called once, on one of the sender's threads. */
    void send(MessageWriter body, Consumer<ExportAnswer> answer) {
        transport.send(body, answer);
    }

    private static ExportAnswer answerTo(GrpcResponse response) {
        return response.getStatusCode() == GrpcStatusCode.OK ? ExportAnswer.acknowledged(response.getResponseMessage())
                : new ExportAnswer(ExportFailure.of(response), ExportFailure.describe(response));
    }

    private static ExportAnswer answerTo(HttpResponse response) {
        int status = response.getStatusCode();
        return status >= 200 && status < 300 ? ExportAnswer.acknowledged(response.getResponseBody())
                : new ExportAnswer(ExportFailure.of(response), ExportFailure.describe(response));
    }

    /** No answer came: the connection failed, or the configured timeout passed. */
    private static ExportAnswer answerTo(Throwable failure) {
        return new ExportAnswer(ExportFailure.RETRY, ExportFailure.describe(failure));
    }

    private interface Transport {
        void send(MessageWriter body, Consumer<ExportAnswer> answer);
    }
}
