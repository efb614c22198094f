package dev.caddylightstep.loadtest.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class OutputDirectoryTest {

    @Test
    void aRunWritesUnderLoadTestsTargetNamedForItsStart() throws Exception {
        Path directory = BenchCommand.outputDirectory(null, "bench", Instant.parse("2026-12-03T09:22:01.684Z"));

        assertThat(directory.getFileName()).hasToString("bench-20261203T092201Z");
        assertThat(directory.getParent().getFileName()).hasToString("target");
        assertThat(directory.getParent().getParent().getFileName()).hasToString("load-tests");
    }

    @Test
    void outNamesTheDirectoryInstead() throws Exception {
        Path out = Path.of("/tmp/figures");

        assertThat(BenchCommand.outputDirectory(out, "forwarder", Instant.EPOCH)).isEqualTo(out);
    }

    @Test
    void resultsStillNamesTheBenchDirectory() {
        BenchCommand withOut = new BenchCommand();
        BenchCommand withResults = new BenchCommand();

        new CommandLine(withOut).parseArgs("--out", "/tmp/a");
        new CommandLine(withResults).parseArgs("--results", "/tmp/a");

        assertThat(withOut.directory).isEqualTo(Path.of("/tmp/a"));
        assertThat(withResults.directory).isEqualTo(Path.of("/tmp/a"));
    }

    @Test
    void resultsStillNamesTheForwarderDirectory() {
        ForwarderBenchCommand withOut = new ForwarderBenchCommand();
        ForwarderBenchCommand withResults = new ForwarderBenchCommand();

        new CommandLine(withOut).parseArgs("--out", "/tmp/b");
        new CommandLine(withResults).parseArgs("--results", "/tmp/b");

        assertThat(withOut.directory).isEqualTo(Path.of("/tmp/b"));
        assertThat(withResults.directory).isEqualTo(Path.of("/tmp/b"));
    }
}
