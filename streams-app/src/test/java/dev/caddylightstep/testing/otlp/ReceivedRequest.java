package dev.caddylightstep.testing.otlp;

/**
 * One export request that reached the trace service, accepted or refused.
 *
 * @param spanCount how many spans it carried, also when it was refused and none of them were kept
 */
public record ReceivedRequest(RequestHeaders headers, int spanCount, ExportVerdict verdict) {

    public boolean accepted() {
        return verdict.accepted();
    }
}
