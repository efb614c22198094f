package dev.caddylightstep.aggregate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.caddylightstep.schema.LatencyAggregateRecord;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Interactive queries over the latency windows of every instance of the application: a group's windows
 * live in the instance that owns the group's partition, found through the streams metadata and fetched
 * from it over HTTP when it is not this one (all of them at once, when every group is asked for).
 */
public final class WindowQueries {
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(5);

    private final KafkaStreams streams;
    private final HostInfo self;
    private final WindowSettings windows;
    /** The Authorization header the other instances require (CADDY_HTTP_TOKEN), or null. */
    private final String authorization;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    public WindowQueries(KafkaStreams streams, HostInfo self, WindowSettings windows, String authorization) {
        this.streams = streams;
        this.self = self;
        this.windows = windows;
        this.authorization = authorization;
    }

    /** The windows of every group, newest first per group. */
    public ArrayNode allGroups(boolean localOnly) {
        ArrayNode out = AggregateJson.JSON.createArrayNode();
        local(AggregateStage.BY_GROUP_STORE, null).forEach(r -> out.add(AggregateJson.of(r)));
        if (localOnly) {
            return out;
        }
        Set<HostInfo> others = new LinkedHashSet<>();
        for (StreamsMetadata metadata : streams.metadataForAllStreamsClients()) {
            if (!metadata.hostInfo().equals(self) && metadata.stateStoreNames().contains(AggregateStage.BY_GROUP_STORE)) {
                others.add(metadata.hostInfo());
            }
        }
        List<CompletableFuture<HttpResponse<String>>> answers = others.stream().map(host -> ask(host, "/api/windows?scope=local")).toList();
        int i = 0;
        for (HostInfo host : others) {
            windowsOf(host, answers.get(i++)).forEach(out::add);
        }
        return out;
    }

    /** The windows of one group. */
    public ArrayNode group(String group, boolean localOnly) {
        return ofGroup(AggregateStage.BY_GROUP_STORE, group, localOnly, "/api/windows/" + encode(group));
    }

    /** The windows of each route of one group. */
    public ArrayNode routes(String group, boolean localOnly) {
        return ofGroup(AggregateStage.BY_ROUTE_STORE, group, localOnly, "/api/windows/" + encode(group) + "/routes");
    }

    private ArrayNode ofGroup(String store, String group, boolean localOnly, String path) {
        // every window of a group, its routes' too, lives in the partition of the group
        KeyQueryMetadata owner = streams.queryMetadataForKey(store, WindowKey.ofGroup(group, 0).encode(), new WindowKey.ByGroup<>());
        if (!localOnly && isRemote(owner)) {
            return remote(owner.activeHost(), path + "?scope=local");
        }
        ArrayNode out = AggregateJson.JSON.createArrayNode();
        local(store, group).forEach(r -> out.add(AggregateJson.of(r)));
        return out;
    }

    /** This instance's windows of a store, of one group or (group null) of all, by group, route and newest first. */
    private List<LatencyAggregateRecord> local(String storeName, String group) {
        ReadOnlyKeyValueStore<String, LatencyWindow> store = streams.store(
                StoreQueryParameters.fromNameAndType(storeName, QueryableStoreTypes.<String, LatencyWindow>keyValueStore()));
        List<LatencyAggregateRecord> records = new ArrayList<>();
        long sizeMs = windows.size().toMillis();
        try (KeyValueIterator<String, LatencyWindow> iterator = group == null ? store.all()
                : store.prefixScan(WindowKey.prefixOf(group), new StringSerializer())) {
            while (iterator.hasNext()) {
                KeyValue<String, LatencyWindow> entry = iterator.next();
                WindowKey key = WindowKey.decode(entry.key);
                if (group == null || key.group().equals(group)) {
                    records.add(AggregateStage.toTopic(key, entry.value, sizeMs).value);
                }
            }
        }
        records.sort(Comparator.comparing(LatencyAggregateRecord::getGroup)
                .thenComparing(r -> r.getRoute() == null ? "" : r.getRoute())
                .thenComparing(Comparator.comparingLong(LatencyAggregateRecord::getWindowStartMs).reversed()));
        return records;
    }

    private boolean isRemote(KeyQueryMetadata owner) {
        return owner != null && owner.activeHost() != null && !owner.activeHost().equals(self)
                && !owner.activeHost().equals(HostInfo.unavailable());
    }

    private ArrayNode remote(HostInfo host, String path) {
        return windowsOf(host, ask(host, path));
    }

    private CompletableFuture<HttpResponse<String>> ask(HostInfo host, String path) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + host.host() + ":" + host.port() + path))
                .timeout(ANSWER_TIMEOUT).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static ArrayNode windowsOf(HostInfo host, CompletableFuture<HttpResponse<String>> answer) {
        try {
            HttpResponse<String> response = answer.get();
            if (response.statusCode() != 200) {
                throw new UnavailableException("instance " + host.host() + ":" + host.port() + " answered " + response.statusCode());
            }
            return (ArrayNode) AggregateJson.JSON.readTree(response.body());
        } catch (ExecutionException | IOException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new UnavailableException("instance " + host.host() + ":" + host.port() + " did not answer: " + cause.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnavailableException("interrupted asking " + host.host() + ":" + host.port());
        }
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Windows that cannot be read now (a rebalance moves them, or the owner does not answer). */
    public static final class UnavailableException extends RuntimeException {
        public UnavailableException(String message) {
            super(message);
        }
    }
}
