package dev.caddylightstep.loadtest.micro;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code bench jmh ARGS}: JMH's own command line over the micro-benchmarks compiled into this jar. */
@Command(name = "jmh",
        description = {"Runs the JMH micro-benchmarks of the hot paths; every argument goes to JMH (org.openjdk.jmh.Main).",
            "Example: bench jmh -f 1 -wi 2 -i 3 -prof gc   ('bench jmh -h' lists JMH's options, 'bench jmh -l' the benchmarks)"})
public final class JmhCommand implements Callable<Integer> {
    @Unmatched
    List<String> arguments = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        org.openjdk.jmh.Main.main(arguments.toArray(String[]::new));
        return 0;
    }
}
