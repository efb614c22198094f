package dev.caddylightstep.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caddylightstep.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * One command line run in the test's JVM: its exit code and what it printed on stdout and stderr.
 *
 * @param err stderr without the lines of the fuzz tests' agent (Jazzer), which notes on System.err each class it
 *            instruments as the class first loads: after a fuzz test has run, a command that loads classes no test
 *            loaded before prints them, in whatever order the test classes run
 */
public record CommandRun(int exitCode, String out, String err) {
    private static final Pattern AGENT_LINES = Pattern.compile("(?m)^INFO: Instrumented \\S+ .*\\R?");

    public static CommandRun of(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
            int code = Main.execute(args);
            return new CommandRun(code, stdout.toString(StandardCharsets.UTF_8),
                    AGENT_LINES.matcher(stderr.toString(StandardCharsets.UTF_8)).replaceAll(""));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** Failed with one line on stderr that starts "error: ", names each fragment and has no stack trace. */
    public void isAOneLineError(String... fragments) {
        assertThat(exitCode).isNotZero();
        assertThat(err.strip().lines()).hasSize(1);
        assertThat(err).startsWith("error: ").contains(fragments).doesNotContain("Exception", "\tat ");
    }
}
