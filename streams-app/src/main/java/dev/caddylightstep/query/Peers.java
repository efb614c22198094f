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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.IntConsumer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
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

    /**
     * Every partition of {@code store}, each answered by the instance the metadata says holds it now: this one's by
     * {@code local}, given the partitions, and every other one's by asking it for {@code path} with its own partitions
     * ({@link QueryScope}), all at once. Each instance answers only for partitions it holds, else unavailable: an
     * answer put together from what each holds, without asking for the partitions, was short and complete-looking
     * while a rebalance moved a task, held by neither instance for that time.
     */
    public List<ArrayNode> everyPartition(String store, String path, Function<SortedSet<Integer>, ArrayNode> local) {
        Map<HostInfo, SortedSet<Integer>> holders = holders(store);
        SortedSet<Integer> own = holders.remove(self);
        long deadline = System.nanoTime() + ANSWER_TIMEOUT.toNanos();
        Map<HostInfo, CompletableFuture<HttpResponse<String>>> answers = new LinkedHashMap<>();
        holders.forEach((host, partitions) -> answers.put(host, send(host, path + "?" + QueryScope.localQuery(partitions))));
        List<ArrayNode> arrays = new ArrayList<>();
        try {
            if (own != null) {
                arrays.add(local.apply(own));
            }
            answers.forEach((host, answer) -> arrays.add(arrayOf(host, answer, deadline)));
        } finally {
            answers.values().forEach(answer -> answer.cancel(true));
        }
        return arrays;
    }

    /**
     * The partitions of {@code store} by the instance the metadata says holds each, found one partition at a time (the
     * partitioner is told how many there are); unavailable when the metadata names none for one, as in a rebalance.
     */
    private Map<HostInfo, SortedSet<Integer>> holders(String store) {
        int[] count = {0};
        Map<HostInfo, SortedSet<Integer>> holders = new LinkedHashMap<>();
        holders.computeIfAbsent(holder(store, 0, partitions -> count[0] = partitions), host -> new TreeSet<>()).add(0);
        for (int partition = 1; partition < count[0]; partition++) {
            holders.computeIfAbsent(holder(store, partition, partitions -> { }), host -> new TreeSet<>()).add(partition);
        }
        return holders;
    }

    private HostInfo holder(String store, int partition, IntConsumer partitions) {
        KeyQueryMetadata metadata = streams.queryMetadataForKey(store, "", (topic, key, value, count) -> {
            partitions.accept(count);
            return Optional.of(Set.of(partition));
        });
        if (metadata == null || metadata.partition() < 0 || metadata.activeHost() == null
                || metadata.activeHost().equals(HostInfo.unavailable())) {
            throw new UnavailableException("no instance holds partition " + partition + " of " + store + " now");
        }
        return metadata.activeHost();
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
