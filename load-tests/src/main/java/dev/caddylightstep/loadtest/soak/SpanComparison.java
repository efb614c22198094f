package dev.caddylightstep.loadtest.soak;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * The span of every request the soak wrote against the spans the receiver got, by span id: those missing, those
 * received more than once (allowed: the forwarder exports at least once), and the others (a request's upstream child).
 *
 * @param duplicates spans the receiver got more than once: sent again by the forwarder, or written twice to the topic
 * @param onTopicOfMissing how many of the missing spans are on the spans topic: lost after it, by the forwarder
 * @param duplicatesOnTopic spans the spans topic holds more than once (read committed): written twice by the pipeline,
 *                          which exactly-once forbids, where the other duplicates are the forwarder's to answer for
 * @param missingFirstMs the earliest log time of a missing span (epoch ms), or 0 when none is missing
 */
record SpanComparison(long expected, long received, long duplicates, long missing, long onTopicOfMissing,
                      long missingFirstMs, long missingLastMs, List<String> missingSample, long others, long duplicatesOnTopic) {
    private static final int SAMPLE = 5;

    /**
     * @param expectedIds the span id of each request, in the order written
     * @param expectedTimesMs the log time of each, in the same order
     * @param receivedIds every span id the receiver accepted, repeats included
     * @param topicIds every span id on the spans topic
     */
    static SpanComparison of(long[] expectedIds, long[] expectedTimesMs, long[] receivedIds, long[] topicIds) {
        long[] received = receivedIds.clone();
        Arrays.sort(received);
        long[] topic = topicIds.clone();
        Arrays.sort(topic);
        long distinct = distinct(received);
        long missing = 0;
        long onTopic = 0;
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        List<String> sample = new ArrayList<>();
        for (int i = 0; i < expectedIds.length; i++) {
            if (Arrays.binarySearch(received, expectedIds[i]) >= 0) {
                continue;
            }
            missing++;
            if (Arrays.binarySearch(topic, expectedIds[i]) >= 0) {
                onTopic++;
            }
            first = Math.min(first, expectedTimesMs[i]);
            last = Math.max(last, expectedTimesMs[i]);
            if (sample.size() < SAMPLE) {
                sample.add(HexFormat.of().toHexDigits(expectedIds[i]));
            }
        }
        long[] expected = expectedIds.clone();
        Arrays.sort(expected);
        long others = 0;
        for (int i = 0; i < received.length; i++) {
            boolean firstOfItsId = i == 0 || received[i] != received[i - 1];
            if (firstOfItsId && Arrays.binarySearch(expected, received[i]) < 0) {
                others++;
            }
        }
        return new SpanComparison(expectedIds.length, received.length, received.length - distinct, missing, onTopic,
                missing == 0 ? 0 : first, missing == 0 ? 0 : last, List.copyOf(sample), others, topic.length - distinct(topic));
    }

    private static long distinct(long[] sorted) {
        long distinct = 0;
        for (int i = 0; i < sorted.length; i++) {
            if (i == 0 || sorted[i] != sorted[i - 1]) {
                distinct++;
            }
        }
        return distinct;
    }
}
