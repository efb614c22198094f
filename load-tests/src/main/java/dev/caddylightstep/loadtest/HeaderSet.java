package dev.caddylightstep.loadtest;

import java.util.SplittableRandom;

/**
 * The headers of one request or response, written as Caddy logs them: {@code {"Canonical-Name":["value",...]}},
 * in a shuffled order because Go iterates its header map in random order and the capture shows it.
 */
final class HeaderSet {
    private static final int MAX_HEADERS = 16;

    private final byte[][] names = new byte[MAX_HEADERS][];
    private final int[] valueStarts = new int[MAX_HEADERS];
    private final int[] valueEnds = new int[MAX_HEADERS];
    private final int[] order = new int[MAX_HEADERS];
    private final LineBuffer values = new LineBuffer(8 * 1024);
    private int count;

    void clear() {
        count = 0;
        values.clear();
    }

    /** A header Caddy logs as an empty list: credentials (Authorization, Cookie, Set-Cookie) unless log_credentials. */
    void addRedacted(byte[] name) {
        begin(name);
        end();
    }

    /** A header with one value, given as JSON string content (already escaped). */
    void add(byte[] name, byte[] jsonStringContent) {
        begin(name).append('"').append(jsonStringContent).append('"');
        end();
    }

    /** A header whose value list is given whole, as JSON: {@code "Caddy","uvicorn"}; empty for {@code []}. */
    void addList(byte[] name, byte[] jsonListBody) {
        begin(name).append(jsonListBody);
        end();
    }

    /** Starts a header whose value list the caller writes (quoted, comma-separated) before {@link #end()}. */
    LineBuffer begin(byte[] name) {
        names[count] = name;
        valueStarts[count] = values.length();
        return values;
    }

    void end() {
        valueEnds[count] = values.length();
        count++;
    }

    void writeShuffled(LineBuffer out, SplittableRandom random) {
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        for (int i = count - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        out.append('{');
        for (int i = 0; i < count; i++) {
            int h = order[i];
            if (i > 0) {
                out.append(',');
            }
            out.append('"').append(names[h]).append('"').append(':').append('[')
                    .append(values, valueStarts[h], valueEnds[h]).append(']');
        }
        out.append('}');
    }
}
