package org.attnsweep;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.attnsweep.cli.Main;

/** The command line run in-process through {@link Main#run}, as a user runs it: the tests' one way to call it. */
public final class Cli {
    private Cli() {
    }

    /** The exit code, stdout and stderr of one run. */
    public record Result(int code, String out, String err) {
    }

    public static Result cli(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }
}
