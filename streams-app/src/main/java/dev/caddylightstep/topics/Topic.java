package dev.caddylightstep.topics;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/** A topic with the serdes of its keys and values, so that no stage can pair a topic with the wrong serde. */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {

    public Consumed<K, V> consumed() {
        return Consumed.with(keySerde, valueSerde).withName("from-" + name);
    }

    /** The sink of one stage into this topic; several stages may write the same topic. */
    public Produced<K, V> producedBy(String stage) {
        return Produced.with(keySerde, valueSerde).withName(sinkName(stage));
    }

    /** The name of the sink {@link #producedBy} makes for the stage. */
    public String sinkName(String stage) {
        return stage + "-to-" + name;
    }
}
