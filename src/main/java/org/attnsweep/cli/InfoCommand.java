package org.attnsweep.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.attnsweep.Version;
import org.attnsweep.engine.Engines;
import picocli.CommandLine.Command;

/** {@code info}: version, JDK, vector species and which engines can run here. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Prints the version, JDK, vector species and available engines.")
public final class InfoCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.println("attnsweep " + Version.get());
        out.println("jdk: " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")");
        out.println("cpu: " + Runtime.getRuntime().availableProcessors() + " cores, "
                + System.getProperty("os.arch"));
        out.println("vector species: float32 " + FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit ("
                + FloatVector.SPECIES_PREFERRED.length() + " lanes), float64 "
                + DoubleVector.SPECIES_PREFERRED.vectorBitSize() + "-bit (" + DoubleVector.SPECIES_PREFERRED.length() + " lanes)");
        out.println("engines:");
        for (String line : Engines.availability()) out.println("  " + line);
        return 0;
    }
}
