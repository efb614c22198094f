package dev.caddylightstep.loadtest.bench;

import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.topics.TopicSpec;
import dev.caddylightstep.identity.Identity;
import dev.caddylightstep.load.TableLoader;
import dev.caddylightstep.loadtest.SiteTables;
import dev.caddylightstep.policy.Policy;
import dev.caddylightstep.run.PipelineStreams;
import dev.caddylightstep.topics.TopicLayout;
import dev.caddylightstep.topology.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The whole pipeline as the product runs it ({@link PipelineStreams} with its own Streams properties:
 * exactly_once_v2, a commit a second, lz4), with the site's identities and policies loaded into their tables.
 * Done when every access line has its span, every malformed line its dead letter, and the latest aggregates of
 * both window topics add up to the requests, all read back committed.
 */
final class PipelineLane implements Lane {
    private final String bootstrapServers;
    private final String prefix;
    private final PipelineConfig config;
    private final Topics topics;
    private final Path stateDir;
    private final ConsumedInput consumedInput = new ConsumedInput();
    private PipelineStreams streams;

    /**
     * @param overrides settings over the bench's own, keyed as in the application's properties file: Kafka
     *                  Streams and client properties, or caddy.* keys
     */
    PipelineLane(EmbeddedKafka kafka, String prefix, int partitions, int streamThreads, Map<String, String> overrides) {
        this.bootstrapServers = kafka.bootstrapServers();
        this.prefix = prefix;
        try {
            this.stateDir = Files.createTempDirectory("caddy-lightstep-bench-streams");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> raw = new LinkedHashMap<>();
        for (TopicSpec topic : TopicSpec.values()) {
            raw.put(topic.configKey(), prefix + topic.defaultName());
        }
        raw.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        raw.put(StreamsConfig.APPLICATION_ID_CONFIG, prefix + "caddy-lightstep");
        raw.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        raw.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.toString(streamThreads));
        raw.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG), InputCountInterceptor.class.getName());
        // generated lines are in log-time order but spread over partitions, and the input is a backlog that
        // stream threads read a poll at a time: a grace of minutes keeps every line in its window
        raw.put("caddy.window.grace", "10m");
        raw.put("caddy.window.retention", "1h");
        raw.putAll(overrides);
        this.config = PipelineConfig.from(Settings.of(raw));
        this.topics = Topics.of(config.topics());
        kafka.createTopics(TopicLayout.topics(config.topics(), partitions, (short) 1));
        TableLoader.load(config.kafka(), topics.identities(), SiteTables.identities(), Identity::id);
        TableLoader.load(config.kafka(), topics.policies(), SiteTables.policies(), Policy::group);
    }

    @Override
    public String name() {
        return "pipeline";
    }

    @Override
    public boolean doesWork(String threadKind) {
        // the stream threads themselves, not their producers' network threads ("...-StreamThread-#-producer")
        return threadKind.endsWith("-StreamThread-#");
    }

    @Override
    public String topicPrefix() {
        return prefix;
    }

    @Override
    public String inputTopic() {
        return topics.access().name();
    }

    PipelineConfig config() {
        return config;
    }

    @Override
    public OutputWatch watch() {
        String byGroup = topics.latencyByGroup().name();
        String byRoute = topics.latencyByRoute().name();
        return new OutputWatch(bootstrapServers, List.of(topics.spans().name(), topics.accessDeadLetters().name(), byGroup, byRoute),
                topics.spans().name(), topics.spans().name(), Set.of(byGroup, byRoute), topics.latencyByGroup().valueSerde().deserializer());
    }

    @Override
    public boolean isComplete(OutputWatch.Tally tally, Expected expected) {
        return tally.count(topics.spans().name()) >= expected.requests()
                && tally.count(topics.accessDeadLetters().name()) >= expected.deadLetters()
                && tally.aggregateSum(topics.latencyByGroup().name()) >= expected.requests()
                && tally.aggregateSum(topics.latencyByRoute().name()) >= expected.requests();
    }

    @Override
    public ConsumedInput consumedInput() {
        return consumedInput;
    }

    @Override
    public void start() {
        InputCountInterceptor.countInto(inputTopic(), consumedInput);
        streams = new PipelineStreams(config).start();
    }

    /**
     * Kafka Streams' own pause: a stream thread checks it before it processes a task's records, and keeps polling,
     * so the group, the tasks and their stores stay as they are.
     */
    @Override
    public void pause() {
        streams.streams().pause();
    }

    @Override
    public void resume() {
        streams.streams().resume();
    }

    @Override
    public void close() {
        if (streams != null) {
            streams.close();
        }
        try (Stream<Path> paths = Files.walk(stateDir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
