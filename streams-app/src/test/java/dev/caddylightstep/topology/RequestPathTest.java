package dev.caddylightstep.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.config.Settings;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.api.Test;

/**
 * The shape of the per-request path: every request of the access topic goes through one processor node, whose children
 * are only what it writes. Each node more costs every request a forward, a timestamp and Streams' sensors.
 */
class RequestPathTest {

    private static TopologyDescription.Subtopology accessSubtopology(Map<String, String> settings) {
        TopologyDescription description = PipelineTopology.build(PipelineConfig.from(Settings.of(settings))).describe();
        return description.subtopologies().stream()
                .filter(sub -> sub.nodes().stream().anyMatch(node -> node instanceof TopologyDescription.Source source
                        && source.topicSet().contains("caddy.access")))
                .findFirst().orElseThrow();
    }

    private static TopologyDescription.Node node(TopologyDescription.Subtopology sub, String name) {
        return sub.nodes().stream().filter(node -> node.name().equals(name)).findFirst().orElseThrow();
    }

    private static Set<String> successors(TopologyDescription.Node node) {
        return node.successors().stream().map(TopologyDescription.Node::name).collect(Collectors.toSet());
    }

    @Test
    void withTheGlobalJoinEveryRequestGoesThroughOneProcessorNodeStraightToItsSinks() {
        TopologyDescription.Subtopology sub = accessSubtopology(Map.of());

        TopologyDescription.Node source = sub.nodes().stream().filter(TopologyDescription.Source.class::isInstance).findFirst().orElseThrow();
        assertThat(successors(source)).containsExactly("requests");
        // the dead letters and spans go to their sinks; the partial windows, once a commit, to their repartition
        assertThat(successors(node(sub, "requests")))
                .containsExactlyInAnyOrder("requests-to-caddy.access.dlq", "span-to-caddy.spans", "latency-windows-repartition-filter");
        List<TopologyDescription.Node> processors = sub.nodes().stream().filter(TopologyDescription.Processor.class::isInstance).toList();
        assertThat(processors).extracting(TopologyDescription.Node::name).containsExactlyInAnyOrder("requests", "latency-windows-repartition-filter");
    }

    @Test
    void withThePartitionedJoinTheRepartitionByIdentityCutsThePathInTwoNodesAroundTheJoin() {
        TopologyDescription.Subtopology sub = accessSubtopology(Map.of("caddy.identity.join", "partitioned"));

        assertThat(successors(node(sub, "parse"))).containsExactlyInAnyOrder("identify", "parse-to-caddy.access.dlq");
        assertThat(successors(node(sub, "requests")))
                .containsExactlyInAnyOrder("requests-to-caddy.access.dlq", "span-to-caddy.spans", "latency-windows-repartition-filter");
    }
}
