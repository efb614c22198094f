package dev.caddylightstep.loadtest.bench;

import dev.caddylightstep.access.StageSettings;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.caddylightstep.access.CapturedHeaders;
import dev.caddylightstep.broker.EmbeddedKafka;
import dev.caddylightstep.config.ConfigKeys;
import dev.caddylightstep.config.Settings;
import dev.caddylightstep.forward.ExportTarget;
import dev.caddylightstep.forward.ForwarderSettings;
import dev.caddylightstep.forward.SpanForwarder;
import dev.caddylightstep.loadtest.CaddyLogGenerator;
import dev.caddylightstep.loadtest.GeneratorSettings;
import dev.caddylightstep.loadtest.InMemoryStages;
import dev.caddylightstep.span.ClientAddressMasking;
import dev.caddylightstep.span.SpanBatches;
import dev.caddylightstep.span.SpanMapper;
import dev.caddylightstep.topology.PipelineConfig;
import dev.caddylightstep.testing.otlp.OtlpReceiver;
import dev.caddylightstep.testing.otlp.OtlpTransport;
import dev.caddylightstep.policy.EnrichedRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * {@code bench forwarder}: the span forwarder alone, from a spans topic already full into a local OTLP receiver
 * that decodes every request, over gRPC and over HTTP/protobuf, through the senders of OpenTelemetry's own exporters.
 */
@Command(name = "forwarder", sortOptions = false, defaultValueProvider = ForwarderBenchCommand.ProductDefaults.class,
        description = {"Measures the span forwarder alone: spans/s from a full spans topic on an embedded broker into a local OTLP "
                + "receiver that decodes them, until the receiver acknowledged every span. Spans are the pipeline's own, made "
                + "from generated Caddy lines by its span mapper and gathered into records as its span stage gathers them."})
public final class ForwarderBenchCommand implements Callable<Integer> {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--spans", paramLabel = "N", description = "Spans on the topic, at least (default: ${DEFAULT-VALUE}).")
    int spans = 300_000;

    @Option(names = "--protocol", paramLabel = "P", split = ",",
            description = "grpc, http/protobuf, or both comma-separated (default: ${DEFAULT-VALUE}).")
    List<String> protocols = new ArrayList<>(List.of("grpc", "http/protobuf"));

    @Option(names = "--warmup-spans", paramLabel = "N",
            description = "Spans through each protocol first, on their own topic and not measured; the measured run then waits, "
                    + "up to a minute, for the JIT compiler to fall quiet (default: ${DEFAULT-VALUE}).")
    int warmupSpans = 300_000;

    @Option(names = "--batch-size", paramLabel = "N", description = "caddy.forward.batch-size (default: ${DEFAULT-VALUE}, the product's).")
    int batchSize;

    @Option(names = "--max-in-flight", paramLabel = "N",
            description = "caddy.forward.max-in-flight (default: ${DEFAULT-VALUE}, the product's).")
    int maxInFlight;

    /**
     * Full batches, as the pipeline writes them under load: at its lowest rate in the bench, 60,000 lines/s a task and a
     * commit every 500 ms, a task fills some fifty batches of 256 spans for each of two partitions between two commits.
     */
    @Option(names = "--max-batch", paramLabel = "N",
            description = "caddy.spans.max-batch: spans in a record of the topic, each record full (default: ${DEFAULT-VALUE}, the product's).")
    int maxBatch;

    /** The options named for a forwarder setting default to the product's default of that setting, read where it is kept. */
    static final class ProductDefaults implements IDefaultValueProvider {
        private static final Map<String, String> SETTINGS = Map.of(
                "--batch-size", "caddy.forward.batch-size",
                "--max-in-flight", "caddy.forward.max-in-flight",
                "--max-batch", "caddy.spans.max-batch");

        @Override
        public String defaultValue(ArgSpec argument) {
            String setting = argument instanceof OptionSpec option ? SETTINGS.get(option.longestName()) : null;
            return setting == null ? null : ConfigKeys.defaultOf(setting);
        }
    }

    @Option(names = "--partitions", paramLabel = "P", description = "Partitions of the spans topic (default: ${DEFAULT-VALUE}).")
    int partitions = 2;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the generated lines (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = {"--out", "--results"}, paramLabel = "DIR",
            description = "Where forwarder.json goes (default: load-tests/target/forwarder-TIME/, TIME the start in UTC).")
    Path directory;

    /**
     * One protocol's figures.
     *
     * @param cpuByThread CPU seconds by kind of thread: the forwarder's, the exporter's, the receiver's and the broker's all
     *                    run in this process, and only the first two are the forwarder's cost
     */
    record Figures(String protocol, long spans, double seconds, double cpuSeconds, long received, Map<String, Double> cpuByThread) {
        double spansPerSecond() {
            return spans / seconds;
        }

        double cpuMicrosPerSpan() {
            return cpuSeconds * 1e6 / spans;
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        PrintStream log = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        Instant now = Instant.now();
        Machine machine = Machine.current();
        log.println("forwarder bench on " + machine.describe());
        SpanTopic topic = spanRecords(spans);
        SpanTopic warmup = spanRecords(warmupSpans);
        List<Figures> figures = new ArrayList<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().build().start()) {
            for (String protocol : protocols) {
                if (warmupSpans > 0) {
                    run(kafka, "warmup", protocol, warmup, log);
                    // as in the pipeline bench: a backlog of C2 compilations would be measured as the forwarder's CPU
                    log.printf(Locale.ROOT, "JIT compiler quiet after %.1f s%n", JitQuiet.await(Duration.ofMinutes(1)).toMillis() / 1e3);
                }
                figures.add(run(kafka, "bench", protocol, topic, log));
            }
        }
        out.printf(Locale.ROOT, "%-14s %8s %10s %13s%n", "protocol", "spans", "spans/s", "CPU µs/span");
        for (Figures f : figures) {
            out.printf(Locale.ROOT, "%-14s %,8d %,10.0f %13.1f%n", f.protocol(), f.spans(), f.spansPerSecond(), f.cpuMicrosPerSpan());
        }
        write(now, machine, figures, log);
        return 0;
    }

    /** The pipeline's span records for generated lines, in batches as its span stage writes them, at least {@code count} spans. */
    private SpanTopic spanRecords(int count) {
        InMemoryStages stages = new InMemoryStages();
        SpanMapper mapper = new SpanMapper(Map.of("service.name", "caddy"), ClientAddressMasking.KEEP, CapturedHeaders.none(), StageSettings.DEFAULTS);
        SpanBatches batches = new SpanBatches(partitions, PipelineConfig.from(Settings.of(Map.of(
                "bootstrap.servers", "unused:9092", "caddy.spans.max-batch", Integer.toString(maxBatch)))).spanBatches());
        CaddyLogGenerator generator = new CaddyLogGenerator(GeneratorSettings.defaults().withSeed(seed).withShares(0, 0)
                .withStart(Instant.now().minus(Duration.ofHours(1))));
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
        long[] gathered = new long[1];
        Consumer<SpanBatches.Batch> send = batch -> {
            records.add(new ProducerRecord<>("", batch.key(), batch.record()));
            gathered[0] += batch.spans();
        };
        while (gathered[0] < count) {
            EnrichedRequest request = stages.enrich(generator.nextLine());
            if (request != null) {
                batches.add(request.event().trace().traceId(), mapper.spans(request, request.event().trace().traceState()), send);
            }
        }
        batches.drain(send);
        return new SpanTopic(records, gathered[0]);
    }

    /** Records for the spans topic, and how many spans they hold. */
    private record SpanTopic(List<ProducerRecord<String, byte[]>> records, long spans) {
    }

    private Figures run(EmbeddedKafka kafka, String round, String protocol, SpanTopic topic, PrintStream log) throws InterruptedException {
        String name = round + "-" + protocol.replace('/', '-');
        String spansTopic = "forwarder." + name + ".spans";
        String deadLetters = spansTopic + ".dlq";
        kafka.createTopics(List.of(new NewTopic(spansTopic, partitions, (short) 1), new NewTopic(deadLetters, 1, (short) 1)));
        produce(kafka.bootstrapServers(), spansTopic, topic.records());

        OtlpTransport transport = switch (protocol) {
            case "grpc" -> OtlpTransport.GRPC;
            case "http/protobuf" -> OtlpTransport.HTTP_PROTOBUF;
            default -> throw new IllegalArgumentException("--protocol: '" + protocol + "' is not grpc or http/protobuf");
        };
        try (OtlpReceiver receiver = new OtlpReceiver(transport).keepingNoSpans().start()) {
            Settings settings = Settings.load(null,
                    Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint(), "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", protocol),
                    Map.of("bootstrap.servers", kafka.bootstrapServers(), "caddy.forward.group-id", "forwarder-bench-" + name,
                            "caddy.forward.batch-size", Integer.toString(batchSize),
                            "caddy.forward.max-in-flight", Integer.toString(maxInFlight)));
            ForwarderSettings forwarding = ForwarderSettings.from(settings);
            try (ExportTarget target = ExportTarget.from(settings, forwarding).orElseThrow()) {
                HeapPeak.reset();
                SpanForwarder forwarder = new SpanForwarder(forwarding, settings.kafka(), target.spanSender(), spansTopic, deadLetters,
                        new SimpleMeterRegistry());
                Thread thread = new Thread(forwarder, "forwarder-" + name);
                thread.start();
                try {
                    // measured from the first acknowledged batch, so the consumer group's join is not counted
                    awaitAcknowledged(forwarder, 1, Duration.ofMinutes(1));
                    Clocks first = Clocks.now();
                    ThreadCpu threadsAtFirst = ThreadCpu.snapshot();
                    long before = forwarder.acknowledgedSpans();
                    awaitAcknowledged(forwarder, topic.spans(), Duration.ofMinutes(10));
                    Clocks done = Clocks.now();
                    ThreadCpu threadsAtDone = ThreadCpu.snapshot();
                    long counted = forwarder.acknowledgedSpans() - before;
                    Figures f = new Figures(protocol, counted, done.secondsSince(first), done.cpuSecondsSince(first), receiver.acceptedSpans(),
                            threadsAtDone.secondsByKindSince(threadsAtFirst));
                    log.printf("%s %s: %,d spans acknowledged in %.2f s after the first batch; the receiver decoded %,d spans%n", round,
                            protocol, counted, f.seconds(), f.received());
                    log.printf("%s %s: CPU µs/span by thread: %s; load average %.2f%n", round, protocol, perSpan(f), Machine.loadAverage());
                    return f;
                } finally {
                    forwarder.close();
                    thread.join(30_000);
                }
            }
        }
    }

    /** The threads that took at least 0.1 µs per span, most first. */
    private static String perSpan(Figures f) {
        List<String> parts = new ArrayList<>();
        f.cpuByThread().forEach((kind, seconds) -> {
            double micros = seconds * 1e6 / f.spans();
            if (micros >= 0.1) {
                parts.add(String.format(Locale.ROOT, "%s %.1f", kind, micros));
            }
        });
        return String.join(", ", parts);
    }

    private static void awaitAcknowledged(SpanForwarder forwarder, long count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (forwarder.acknowledgedSpans() < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + forwarder.acknowledgedSpans() + " of " + count + " spans acknowledged within "
                        + timeout.toSeconds() + " s");
            }
            Thread.sleep(1);
        }
    }

    private static void produce(String bootstrapServers, String topic, List<ProducerRecord<String, byte[]>> records) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
            for (ProducerRecord<String, byte[]> r : records) {
                producer.send(new ProducerRecord<>(topic, r.key(), r.value()));
            }
            producer.flush();
        }
    }

    private void write(Instant now, Machine machine, List<Figures> figures, PrintStream log) throws Exception {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("time", now.toString());
        root.put("machine", machine.toMap());
        root.put("settings", Map.of("spans", spans, "warmup_spans", warmupSpans, "batch_size", batchSize, "max_in_flight", maxInFlight,
                "max_batch", maxBatch, "partitions", partitions, "seed", seed));
        List<Map<String, Object>> runs = new ArrayList<>();
        for (Figures f : figures) {
            Map<String, Object> run = new LinkedHashMap<>();
            run.put("protocol", f.protocol());
            run.put("spans", f.spans());
            run.put("seconds", Math.round(f.seconds() * 1000) / 1000.0);
            run.put("spans_per_second", Math.round(f.spansPerSecond()));
            run.put("cpu_microseconds_per_span", Math.round(f.cpuMicrosPerSpan() * 10) / 10.0);
            run.put("spans_decoded_by_receiver", f.received());
            Map<String, Object> threads = new LinkedHashMap<>();
            f.cpuByThread().forEach((kind, seconds) -> {
                if (seconds >= 0.01) {
                    threads.put(kind, Math.round(seconds * 100) / 100.0);
                }
            });
            run.put("cpu_seconds_by_thread", threads);
            runs.add(run);
        }
        root.put("runs", runs);
        Path runDirectory = BenchCommand.outputDirectory(directory, "forwarder", now);
        Files.createDirectories(runDirectory);
        Path json = runDirectory.resolve("forwarder.json");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), root);
        log.println("figures written to " + json);
    }
}
