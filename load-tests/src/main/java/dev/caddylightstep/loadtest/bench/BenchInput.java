package dev.caddylightstep.loadtest.bench;

import dev.caddylightstep.loadtest.GeneratorSettings;

/**
 * Lines for a lane's input: the generator's settings and how many. The generator makes the same lines from the same
 * settings, so each lane gets its own copy made as it is produced: held in memory for the whole bench, a warm-up and a
 * backlog of a million lines each were 2 GB of a 4 GB heap, and G1 took 9.6 µs a line of the pipeline's drain.
 */
record BenchInput(GeneratorSettings settings, int lines) {
}
