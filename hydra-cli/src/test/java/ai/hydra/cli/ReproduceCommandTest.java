package ai.hydra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Smoke tests of {@code hydra reproduce}: each experiment's {@code tiny} preset on the bundled data
 * (seconds each), its report files, and the errors of bad input.
 */
class ReproduceCommandTest {

    @TempDir Path tmp;

    record Run(int exitCode, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = HydraCommand.commandLine(CommandLine.defaultFactory());
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int code = commandLine.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private Run tiny(String experiment, String... extra) {
        String[] args = new String[5 + extra.length];
        args[0] = "reproduce";
        args[1] = experiment;
        args[2] = "--preset";
        args[3] = "tiny";
        args[4] = "--out=" + tmp.resolve(experiment);
        System.arraycopy(extra, 0, args, 5, extra.length);
        return run(args);
    }

    /** Every experiment's tiny preset through {@code hydra reproduce all}, then resumed. */
    @Test
    void allTinyPresets() throws Exception {
        Run run = tiny("all");
        assertEquals(0, run.exitCode(), run.err());
        Path all = tmp.resolve("all");
        String overall = Files.readString(all.resolve("summary.md"));
        for (String experiment :
                new String[] {"fig2", "fig3-5", "table3", "table4", "speedup", "noisy"}) {
            assertTrue(overall.contains("(" + experiment + "/summary.md)"), overall);
            String summary = Files.readString(all.resolve(experiment).resolve("summary.md"));
            assertTrue(summary.contains("**preset**: tiny"), summary);
            assertTrue(summary.contains("**hardware**"), summary);
            assertTrue(summary.contains("## Run times"), summary);
            assertTrue(run.err().contains("[" + experiment + "]"), "progress on stderr");
        }
        assertFiles(
                all.resolve("fig2"),
                "heatmap-fashion-mnist-hydra-hessian-free.png",
                "interclass-normalized.csv");
        assertFiles(
                all.resolve("fig3-5"),
                "fig3-fashion-mnist.png",
                "fig4-fashion-mnist.png",
                "fig5-fashion-mnist.png",
                "fig3-5.csv");
        assertFiles(all.resolve("table3"), "table3.png", "table3.csv");
        assertFiles(all.resolve("table4"), "table4.png", "table4.csv");
        assertFiles(all.resolve("speedup"), "speedup.png", "speedup.csv");
        assertFiles(
                all.resolve("noisy"),
                "noisy-auc.png",
                "noisy.csv",
                "runs/mnist-logistic-regression-seed1.json");
        assertRows(
                all.resolve("table3"),
                "| fashion-mnist | no-filtering |",
                "| fashion-mnist | hydra-hessian-free |",
                "| fashion-mnist | influence |",
                "| fashion-mnist | random |",
                "Does C(i) predict the change of the held-out loss?",
                "CG damping 0.01");
        String table3 = Files.readString(all.resolve("table3/summary.md"));
        assertTrue(!table3.contains("did NOT start"), "retrainings start from the same weights");
        for (String method : new String[] {"hydra-hessian-free", "influence"}) {
            for (String clustering :
                    new String[] {"sign-kmeans", "zscore-kmeans", "zscore-cosine-agglomerative"}) {
                assertRows(
                        all.resolve("table4"),
                        "| fashion-mnist | " + method + " | " + clustering + " |");
            }
        }
        for (String method :
                new String[] {
                    "hydra-hessian-free | self",
                    "hydra-hessian-free | held-out",
                    "hydra-exact | self",
                    "hydra-exact | held-out",
                    "influence | self",
                    "influence | held-out",
                    "tracin-cp | self",
                    "tracin-cp | held-out",
                    "outlier-gradient | self",
                    "self-loss | self",
                    "random | self"
                }) {
            assertRows(all.resolve("noisy"), "| mnist-logistic-regression | " + method + " |");
        }
        assertRows(
                all.resolve("fig3-5"),
                "| fashion-mnist | sign-error rate | HYDRA (Hessian-free) |");
        assertRows(all.resolve("speedup"), "| lenet5-mnist | 300 of 300");
        // resuming reuses every cached run
        Run resumed = tiny("all", "--resume");
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertTrue(!resumed.err().contains(": starting"), "nothing retrained: " + resumed.err());
        assertTrue(resumed.err().contains("cached result reused"), resumed.err());
    }

    private static void assertFiles(Path dir, String... files) throws Exception {
        for (String file : files) {
            assertTrue(Files.size(dir.resolve(file)) > 0, file + " missing in " + dir);
        }
    }

    private static void assertRows(Path dir, String... rows) throws Exception {
        String summary = Files.readString(dir.resolve("summary.md"));
        for (String row : rows) {
            assertTrue(summary.contains(row), row + " missing in " + summary);
        }
    }

    @Test
    void unknownExperimentIsOneUsageError() {
        Run run = run("reproduce", "table5");
        assertEquals(2, run.exitCode());
        assertTrue(
                run.err().startsWith("error: unknown experiment 'table5'; choose one of fig2"),
                run.err());
        assertTrue(run.err().contains("all"), run.err());
    }

    @Test
    void unknownPresetNamesThePresets() {
        Run run = run("reproduce", "fig2", "--preset", "huge");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("unknown preset 'huge'"), run.err());
        assertTrue(run.err().contains("quick, paper, tiny"), run.err());
    }

    @Test
    void paperPresetOnACpuPrintsItsPlanAndStops() {
        Run run = run("reproduce", "fig2", "--preset", "paper", "--out=" + tmp.resolve("paper"));
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("per seed, hypergradient state"), run.out());
        assertTrue(run.out().contains("meant for a GPU"), run.out());
        assertTrue(!Files.exists(tmp.resolve("paper")), "nothing is run");
    }

    @Test
    void missingDatasetSaysWhereItLookedAndHowToProvideIt() {
        Run run =
                tiny(
                        "fig2",
                        "--set",
                        "data.dataset=mnist",
                        "--set",
                        "data.dir=" + tmp.resolve("nothing-here"));
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("run 'fashion-mnist' reads mnist from data.dir"), run.err());
        assertTrue(run.err().contains("HYDRA_DATA_DIR"), run.err());
    }
}
