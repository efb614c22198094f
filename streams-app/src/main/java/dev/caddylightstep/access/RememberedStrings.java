package dev.caddylightstep.access;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * Short ASCII strings of a line (up to {@link #MAX_LENGTH} bytes) remembered by their bytes, with their String and their
 * {@link FieldName}, so that the same bytes on the next line give the same String without one being made: the bytes
 * are their length and two longs, their first and their last eight, which find and check them (open addressing, up to
 * half full). Strings come from whoever sends the request: bytes ever new (no Caddy writes them where this table is
 * asked, a client may) start the table again rather than fill it. Not thread-safe: one for each scanner.
 */
final class RememberedStrings {
    static final int MAX_LENGTH = 2 * Long.BYTES;
    private static final int SLOT_BITS = 10;
    private static final int SLOTS = 1 << SLOT_BITS;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final long[] heads = new long[SLOTS];
    private final long[] tails = new long[SLOTS];
    /** A string's length plus one: 0 is an empty slot. */
    private final int[] lengths = new int[SLOTS];
    private final String[] strings = new String[SLOTS];
    private final FieldName[] fields = new FieldName[SLOTS];
    private final Map<String, FieldName> fieldNames;
    private int remembered;

    /** @param fieldNames what each string is as a field's name; {@link FieldName#OTHER} for any other */
    RememberedStrings(Map<String, FieldName> fieldNames) {
        this.fieldNames = fieldNames;
    }

    /** The slot of the ASCII bytes from {@code from} to {@code to}, at most {@link #MAX_LENGTH} of them, until the next call. */
    int slot(byte[] bytes, int from, int to) {
        int length = to - from;
        long head = bytesAt(bytes, from, Math.min(length, Long.BYTES));
        long tail = length > Long.BYTES ? bytesAt(bytes, to - Long.BYTES, Long.BYTES) : 0;
        int home = (int) ((head * 0x9e3779b97f4a7c15L + tail * 0xc2b2ae3d27d4eb4fL + length) >>> (Long.SIZE - SLOT_BITS));
        int slot = home;
        for (int known = lengths[slot]; known != 0; known = lengths[slot]) {
            if (known == length + 1 && heads[slot] == head && tails[slot] == tail) {
                return slot;
            }
            slot = (slot + 1) & (SLOTS - 1);
        }
        if (remembered == SLOTS / 2) {
            Arrays.fill(lengths, 0);
            Arrays.fill(strings, null);
            Arrays.fill(fields, null);
            remembered = 0;
            slot = home;
        }
        String string = new String(bytes, from, length, StandardCharsets.ISO_8859_1);
        heads[slot] = head;
        tails[slot] = tail;
        lengths[slot] = length + 1;
        strings[slot] = string;
        fields[slot] = fieldNames.getOrDefault(string, FieldName.OTHER);
        remembered++;
        return slot;
    }

    String string(int slot) {
        return strings[slot];
    }

    FieldName field(int slot) {
        return fields[slot];
    }

    /** Up to eight bytes from {@code from}, the first in the lowest byte of the long. */
    private static long bytesAt(byte[] bytes, int from, int count) {
        if (from + Long.BYTES <= bytes.length) {
            long word = (long) LONGS.get(bytes, from);
            return count == Long.BYTES ? word : word & ((1L << (count * Byte.SIZE)) - 1);
        }
        long word = 0;
        for (int i = count - 1; i >= 0; i--) {
            word = word << Byte.SIZE | (bytes[from + i] & 0xff);
        }
        return word;
    }
}
