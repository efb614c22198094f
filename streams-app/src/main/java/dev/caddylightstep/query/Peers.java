package dev.caddylightstep.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;

/**
 * The other instances of the application, as the streams metadata knows them, and their answers over HTTP to the
 * interactive queries: each instance answers for the stores it holds, and one that does not answer makes the whole
 * answer unavailable rather than silently short.
 */
public final class Peers {
    /**
     * How long an instance has to answer, all of it. The request's own timeout is not that: in JDK 17's client it ends
     * once the answer's headers are in (JDK-8208693), and a peer that stops half way through its body would hold the
     * query, and one of the few threads queries have, for as long as its connection stays open.
     */
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KafkaStreams streams;
    private final HostInfo self;
    /** The Authorization header the other instances require (CADDY_HTTP_TOKEN), or null. */
    private final String authorization;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    public Peers(KafkaStreams streams, HostInfo self, String authorization) {
        this.streams = streams;
        this.self = self;
        this.authorization = authorization;
    }

    /** Whether a key's owner, as the metadata names it, is another instance and a known one (not unavailable in a rebalance). */
    public boolean isOther(HostInfo host) {
        return host != null && !host.equals(self) && !host.equals(HostInfo.unavailable());
    }

    /** The JSON array every other instance that holds {@code store} answers to {@code path}, all asked at once. */
    public List<ArrayNode> askAll(String store, String path) {
        Set<HostInfo> others = new LinkedHashSet<>();
        for (StreamsMetadata metadata : streams.metadataForAllStreamsClients()) {
            if (!metadata.hostInfo().equals(self) && metadata.stateStoreNames().contains(store)) {
                others.add(metadata.hostInfo());
            }
        }
        long deadline = System.nanoTime() + ANSWER_TIMEOUT.toNanos();
        List<CompletableFuture<HttpResponse<String>>> answers = others.stream().map(host -> send(host, path)).toList();
        List<ArrayNode> arrays = new ArrayList<>();
        int i = 0;
        for (HostInfo host : others) {
            arrays.add(arrayOf(host, answers.get(i++), deadline));
        }
        return arrays;
    }

    /** The JSON array one other instance answers to {@code path}. */
    public ArrayNode ask(HostInfo host, String path) {
        return arrayOf(host, send(host, path), System.nanoTime() + ANSWER_TIMEOUT.toNanos());
    }

    private CompletableFuture<HttpResponse<String>> send(HostInfo host, String path) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + host.host() + ":" + host.port() + path))
                .timeout(ANSWER_TIMEOUT).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The answer, whole by {@code deadline} (System.nanoTime()), or the exchange given up on. */
    private static ArrayNode arrayOf(HostInfo host, CompletableFuture<HttpResponse<String>> answer, long deadline) {
        String name = "instance " + host.host() + ":" + host.port();
        try {
            HttpResponse<String> response = answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (response.statusCode() != 200) {
                throw new UnavailableException(name + " answered " + response.statusCode());
            }
            JsonNode body = JSON.readTree(response.body());
            if (!body.isArray()) {
                throw new UnavailableException(name + " answered something other than a JSON array");
            }
            return (ArrayNode) body;
        } catch (ExecutionException | IOException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new UnavailableException(name + " did not answer: " + cause.getMessage());
        } catch (TimeoutException e) {
            answer.cancel(true);
            throw new UnavailableException(name + " did not answer within " + ANSWER_TIMEOUT.toSeconds() + " s");
        } catch (InterruptedException e) {
            answer.cancel(true);
            Thread.currentThread().interrupt();
            throw new UnavailableException("interrupted asking " + host.host() + ":" + host.port());
        }
    }

    /** An answer that cannot be given now (a rebalance moves a store, or an instance does not answer). */
    public static final class UnavailableException extends RuntimeException {
        public UnavailableException(String message) {
            super(message);
        }
    }
}
