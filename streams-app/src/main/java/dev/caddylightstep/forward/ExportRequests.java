package dev.caddylightstep.forward;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * The forwarder's export requests: those to send (new batches, halves, and retries not before their backoff) and up to
 * caddy.forward.max-in-flight awaiting the backend's answer. Answers come on the sender's threads and are settled on
 * the forwarder's own, the only one to touch the rest.
 */
final class ExportRequests {
    /** OpenTelemetry's senders answer within the exporter's timeout (10 s unless set); this is the last resort. */
    private static final Duration EXPORT_TIMEOUT = Duration.ofSeconds(30);

    private final SpanSender sender;
    private final int maxInFlight;
    private final RateLimit rateLimit;
    private final ExportPolicy policy;
    private final ForwarderMetrics metrics;
    private final AtomicLong acknowledged = new AtomicLong();
    private final BlockingQueue<Answer> answers = new LinkedBlockingQueue<>();
    /** Requests sent and not yet settled, with when each was sent; by identity, since a retry carries the same spans. */
    private final Map<BatchPart, Long> inFlight = new IdentityHashMap<>();
    /** Requests to send: new batches, halves and retries (these not before their backoff). */
    private final Deque<BatchPart> pending = new ArrayDeque<>();

    ExportRequests(SpanSender sender, int maxInFlight, RateLimit rateLimit, ExportPolicy policy, ForwarderMetrics metrics) {
        this.sender = sender;
        this.maxInFlight = maxInFlight;
        this.rateLimit = rateLimit;
        this.policy = policy;
        this.metrics = metrics;
    }

    /** A sealed batch's spans are to be sent; a batch whose records were all dead-lettered has none. */
    void add(ExportBatch batch) {
        if (!batch.parts().isEmpty()) {
            batch.partOpened();
            pending.add(BatchPart.first(batch));
        }
    }

    /** True when nothing waits to be sent and a request more may be in flight: the forwarder may consume. */
    boolean hasRoom() {
        return pending.isEmpty() && inFlight.size() < maxInFlight;
    }

    boolean isEmpty() {
        return pending.isEmpty() && inFlight.isEmpty();
    }

    boolean anyInFlight() {
        return !inFlight.isEmpty();
    }

    /** Spans the backend acknowledged since start. */
    long acknowledgedSpans() {
        return acknowledged.get();
    }

    /** Spans waiting to be sent or for their answer. */
    long unexportedSpans() {
        return pending.stream().mapToLong(BatchPart::spanCount).sum() + inFlight.keySet().stream().mapToLong(BatchPart::spanCount).sum();
    }

    void sendDue() {
        long now = System.nanoTime();
        List<BatchPart> rateLimited = new ArrayList<>();
        for (var it = pending.iterator(); it.hasNext() && inFlight.size() < maxInFlight; ) {
            BatchPart part = it.next();
            if (part.notBefore() - now > 0) {
                continue;
            }
            it.remove();
            // partitions another forwarder took over while this waited are its to export now
            BatchPart sent = part.owned();
            if (sent.parts().isEmpty()) {
                part.batch().partClosed();
                continue;
            }
            if (sent.attempt() == BatchPart.Attempt.FIRST) {
                long wait = rateLimit.reserve(sent.spanCount(), now);
                if (wait > 0) {
                    metrics.rateLimited.increment(wait / 1e9);
                    rateLimited.add(sent.notBefore(now + wait));
                    continue;
                }
            } else if (sent.attempt() == BatchPart.Attempt.RETRY) {
                metrics.retries.increment();
            }
            send(sent);
        }
        // still first in line, in the order they were
        for (int i = rateLimited.size() - 1; i >= 0; i--) {
            pending.addFirst(rateLimited.get(i));
        }
    }

    private void send(BatchPart sent) {
        inFlight.put(sent, System.nanoTime());
        sender.send(sent, answer -> answers.add(new Answer(sent, answer, System.nanoTime())));
    }

    void settleAnswered() {
        for (Answer answer = answers.poll(); answer != null; answer = answers.poll()) {
            settle(answer);
        }
    }

    /** Waits for an answer and settles it, for at most {@code atMostNanos} and no longer than until a retry is due. */
    void awaitAnswer(long atMostNanos) throws InterruptedException {
        Answer answer = answers.poll(untilNextDue(atMostNanos), TimeUnit.NANOSECONDS);
        if (answer != null) {
            settle(answer);
        }
    }

    private long untilNextDue(long atMostNanos) {
        if (inFlight.size() >= maxInFlight) {
            return atMostNanos;
        }
        long now = System.nanoTime();
        long wait = atMostNanos;
        for (BatchPart part : pending) {
            wait = Math.min(wait, part.notBefore() - now);
        }
        return Math.max(0, wait);
    }

    /**
     * Settles answers until no request in flight holds spans of a batch {@code holding} matches, for at most the export
     * timeout; an interrupt ends the wait early.
     */
    void awaitInFlight(Predicate<ExportBatch> holding) {
        long deadline = System.nanoTime() + EXPORT_TIMEOUT.toNanos();
        try {
            while (inFlight.keySet().stream().anyMatch(part -> holding.test(part.batch())) && deadline - System.nanoTime() > 0) {
                Answer answer = answers.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (answer != null) {
                    settle(answer);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An answer given up on already (it came after EXPORT_TIMEOUT) is ignored: its spans were sent again. */
    private void settle(Answer answer) {
        Long sentAt = inFlight.remove(answer.part());
        if (sentAt == null) {
            return;
        }
        metrics.exportLatency.record(answer.answeredAt() - sentAt, TimeUnit.NANOSECONDS);
        ExportAnswer result = answer.result();
        if (result.acknowledged()) {
            int spans = answer.part().spanCount();
            int kept = spans - policy.afterAcknowledgement(spans, result);
            acknowledged.addAndGet(kept);
            metrics.exported.increment(kept);
            answer.part().batch().partClosed();
            return;
        }
        failed(answer.part(), result.failure(), result.why());
    }

    /** The sender's own timeout answers first; a request still unanswered after EXPORT_TIMEOUT is failed here. */
    void expireUnanswered() {
        long now = System.nanoTime();
        List<BatchPart> expired = inFlight.entrySet().stream().filter(e -> now - e.getValue() > EXPORT_TIMEOUT.toNanos()).map(Map.Entry::getKey).toList();
        for (BatchPart part : expired) {
            inFlight.remove(part);
            failed(part, ExportFailure.RETRY, "no answer within " + EXPORT_TIMEOUT.toSeconds() + " s");
        }
    }

    /** The requests the policy puts in a failed one's place go first: they hold the oldest spans. */
    private void failed(BatchPart part, ExportFailure failure, String why) {
        List<BatchPart> next = policy.afterFailure(part, failure, why);
        for (int i = next.size() - 1; i >= 0; i--) {
            pending.addFirst(next.get(i));
        }
    }

    /** After a rebalance, what waits to be sent keeps only the spans still this forwarder's; a part left with none is settled. */
    void keepOwned() {
        List<BatchPart> left = new ArrayList<>(pending);
        pending.clear();
        for (BatchPart part : left) {
            BatchPart owned = part.owned();
            if (owned.parts().isEmpty()) {
                part.batch().partClosed();
            } else {
                pending.add(owned);
            }
        }
    }

    /** The backend's answer to a part, and when it came. */
    private record Answer(BatchPart part, ExportAnswer result, long answeredAt) {
    }
}
