package dev.caddylightstep.slo;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * A group's history in its store and changelog: internal to the application, so a fixed layout with a version byte.
 * Only the slots that hold requests are written: a group busy every minute of six hours and three days writes about
 * 430 slots, a quiet one a few.
 */
final class SloHistorySerde {
    private static final byte VERSION = 1;

    private SloHistorySerde() {
    }

    static Serde<SloHistory> create() {
        return Serdes.serdeFrom((topic, h) -> h == null ? null : write(h), (topic, data) -> data == null ? null : read(topic, data));
    }

    static byte[] write(SloHistory h) {
        int slots = filled(h.fine) + filled(h.hourly);
        ByteBuffer out = ByteBuffer.allocate(1 + 8 + 4 + 8 + 8 * (2 + 2 * 5 + 2) + 1 + 8 * 8 + 8 + slots * 32);
        out.put(VERSION);
        out.putLong(h.slotMs);
        out.putInt(h.firing);
        out.putLong(h.evaluatedAtMs);
        for (int slo = 0; slo < h.targets.length; slo++) {
            out.putDouble(h.targets[slo]);
            for (double rate : h.burnRates[slo]) {
                out.putDouble(rate);
            }
            out.putDouble(h.budgetRemaining[slo]);
        }
        SloHistory.LatestWindow latest = h.latest;
        out.put((byte) (latest == null ? 0 : 1));
        if (latest != null) {
            out.putLong(latest.windowEndMs()).putLong(latest.requests()).putLong(latest.errors()).putLong(latest.denied())
                    .putLong(latest.misfires()).putDouble(latest.p50()).putDouble(latest.p90()).putDouble(latest.p99());
        }
        writeSlots(out, h.fine);
        writeSlots(out, h.hourly);
        return Arrays.copyOf(out.array(), out.position());
    }

    private static int filled(SloHistory.Slots slots) {
        int filled = 0;
        for (long index : slots.index) {
            if (index != Long.MIN_VALUE) {
                filled++;
            }
        }
        return filled;
    }

    private static void writeSlots(ByteBuffer out, SloHistory.Slots slots) {
        out.putInt(filled(slots));
        for (int i = 0; i < slots.index.length; i++) {
            if (slots.index[i] != Long.MIN_VALUE) {
                out.putLong(slots.index[i]).putLong(slots.requests[i]).putLong(slots.slow[i]).putLong(slots.errors[i]);
            }
        }
    }

    static SloHistory read(String topic, byte[] data) {
        try {
            ByteBuffer in = ByteBuffer.wrap(data);
            byte version = in.get();
            if (version != VERSION) {
                throw new SerializationException("an SLO history in " + topic + " has state version " + version + ", this build reads " + VERSION);
            }
            SloHistory h = new SloHistory(in.getLong());
            h.firing = in.getInt();
            h.evaluatedAtMs = in.getLong();
            for (int slo = 0; slo < h.targets.length; slo++) {
                h.targets[slo] = in.getDouble();
                for (int p = 0; p < h.burnRates[slo].length; p++) {
                    h.burnRates[slo][p] = in.getDouble();
                }
                h.budgetRemaining[slo] = in.getDouble();
            }
            if (in.get() == 1) {
                h.latest = new SloHistory.LatestWindow(in.getLong(), in.getLong(), in.getLong(), in.getLong(), in.getLong(),
                        in.getDouble(), in.getDouble(), in.getDouble());
            }
            readSlots(in, h.fine);
            readSlots(in, h.hourly);
            return h;
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new SerializationException("an SLO history in " + topic + " is not one: " + e, e);
        }
    }

    private static void readSlots(ByteBuffer in, SloHistory.Slots slots) {
        int filled = in.getInt();
        for (int i = 0; i < filled; i++) {
            long index = in.getLong();
            slots.add(index, in.getLong(), in.getLong(), in.getLong());
        }
    }
}
