package ai.hydra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micronaut.configuration.picocli.MicronautFactory;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.Environment;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class HydraCommandTest {

    private static final String BUNDLED = "../configs/lenet5-fashion-bundled.yaml";

    /**
     * Tests tagged so run on both engines (hydra-cli's pom): they pass the engine of the run
     * explicitly, as a user would.
     */
    private static final String ENGINE_NEUTRAL = "engine-neutral";

    /** The engine of this test run, named by the build. */
    private static final String ENGINE = System.getProperty("ai.djl.default_engine", "PyTorch");

    @TempDir Path tmp;

    /** The exit code and captured output of one command line. */
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

    @Test
    void help() {
        Run run = run("--help");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("Usage: hydra"), run.out());
        for (String command : new String[] {"demo", "train", "model-info"}) {
            assertTrue(run.out().contains(command), command + " missing in " + run.out());
        }
    }

    @Test
    void versionThroughMicronaut() {
        StringWriter out = new StringWriter();
        try (ApplicationContext context =
                        ApplicationContext.builder(HydraCommand.class, Environment.CLI).start();
                MicronautFactory factory = new MicronautFactory(context)) {
            CommandLine commandLine = HydraCommand.commandLine(factory);
            commandLine.setOut(new PrintWriter(out, true));
            assertEquals(0, commandLine.execute("--version"));
        }
        assertTrue(out.toString().startsWith("hydra 0.1.0"), out.toString());
        assertTrue(out.toString().contains("Deep Java Library 0.35.1"), out.toString());
    }

    @Test
    void missingCommandIsUsageError() {
        Run run = run();
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("error: missing command"), run.err());
    }

    @Test
    void unknownCommandIsOneErrorLine() {
        Run run = run("atribute", "--config", BUNDLED);
        assertEquals(2, run.exitCode());
        assertEquals(
                "error: unknown command 'atribute'; did you mean 'attribute'?"
                        + " (see hydra --help)\n",
                run.err().replace(System.lineSeparator(), "\n"));
        assertEquals("", run.out());
    }

    @Test
    void badOptionsAreOneErrorLine() {
        String[][] cases = {
            {"--nonsense"},
            {"train", "--bogus", "--config", BUNDLED},
            {"train"},
            {"model-info", "--model"},
            {"train", "--config", BUNDLED, "extra"}
        };
        for (String[] args : cases) {
            Run run = run(args);
            assertEquals(2, run.exitCode(), String.join(" ", args));
            String[] lines = run.err().split("\\R");
            assertEquals(1, lines.length, String.join(" ", args) + ": " + run.err());
            assertTrue(lines[0].startsWith("error: "), run.err());
            assertTrue(lines[0].endsWith(" --help)"), run.err());
        }
        assertTrue(
                run("train").err().startsWith("error: missing required option: '--config=FILE'"));
    }

    @Test
    void modelInfoLeNet5() {
        Run run = run("model-info", "--model", "lenet5");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("lenet5: 61,706 trainable parameters"), run.out());
    }

    @Test
    void modelInfoDenseNet() {
        Run run = run("model-info", "--model", "densenet-bc-40");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("densenet-bc-40: 176,122 trainable parameters"), run.out());
    }

    @Test
    void modelInfoUnknownModel() {
        Run run = run("model-info", "--model", "resnet");
        assertEquals(2, run.exitCode());
        assertTrue(
                run.err()
                        .contains(
                                "error: unknown model 'resnet'; choose one of lenet5, "
                                        + "densenet-bc-40"),
                run.err());
    }

    @Test
    void trainOneEpochOnBundledData() throws Exception {
        Path out = tmp.resolve("run");
        Run run =
                run(
                        "train",
                        "--config",
                        BUNDLED,
                        "--set",
                        "train.epochs=1",
                        "--out",
                        out.toString());
        assertEquals(0, run.exitCode(), run.err());
        Matcher matcher = Pattern.compile("test accuracy: (\\d\\.\\d+)").matcher(run.out());
        assertTrue(matcher.find(), run.out());
        double accuracy = Double.parseDouble(matcher.group(1));
        // 2,000 bundled images, 1 epoch: about 0.69 (chance is 0.1).
        assertTrue(accuracy > 0.5, "accuracy " + accuracy);
        assertTrue(run.out().contains("epoch 1/1"), run.out());
        String summary = Files.readString(out.resolve("summary.yaml"));
        assertTrue(summary.contains("testAccuracy: " + accuracy), summary);
        assertTrue(Files.exists(out.resolve("lenet5-fashion-bundled-0000.params")));
    }

    @Test
    @Tag(ENGINE_NEUTRAL)
    void demoAttributesAndWritesTheReport(@org.junit.jupiter.api.io.TempDir java.nio.file.Path out)
            throws Exception {
        Run run =
                run(
                        "--engine",
                        ENGINE.toLowerCase(Locale.ROOT),
                        "demo",
                        "--set",
                        "train.epochs=1",
                        "--set",
                        "data.trainLimit=300",
                        "--set",
                        "data.testLimit=100",
                        "--out",
                        out.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("lenet5-fashion-bundled: lenet5 on bundled"), run.out());
        assertTrue(run.out().contains("HYDRA hessian-free, engine " + ENGINE), run.out());
        assertTrue(run.out().contains("hypergradients of 300 training samples"), run.out());
        assertTrue(run.out().contains("most helpful:  #"), run.out());
        assertTrue(run.out().contains("most harmful:  #"), run.out());
        for (String file :
                new String[] {
                    "contributions.csv",
                    "contributions.npz",
                    "test-loss-contributions.csv",
                    "top-samples.png",
                    "interclass-heatmap.png",
                    "summary.md"
                }) {
            assertTrue(java.nio.file.Files.isRegularFile(out.resolve(file)), file);
        }
        String summary = Files.readString(out.resolve("summary.md"));
        assertTrue(summary.contains("- **engine**: " + ENGINE + " "), summary);
    }

    /** With hydra.mode=both every mode is printed and reported, each in its own folder. */
    @Test
    void bothModesAreReported(@org.junit.jupiter.api.io.TempDir java.nio.file.Path out)
            throws Exception {
        Run run = smallDemo(out, "hydra.mode=both", "hydra.trackLimit=8");
        assertEquals(0, run.exitCode(), run.err());
        for (String method : new String[] {"hydra-hessian-free", "hydra-hessian-aware"}) {
            assertTrue(run.out().contains(method + ":"), run.out());
            java.nio.file.Path csv = out.resolve(method).resolve("contributions.csv");
            assertEquals(9, java.nio.file.Files.readAllLines(csv).size(), method);
            assertTrue(
                    java.nio.file.Files.readString(out.resolve(method).resolve("summary.md"))
                            .contains("- **method**: " + method));
        }
        assertTrue(
                !java.nio.file.Files.readString(out.resolve("hydra-hessian-free/contributions.csv"))
                        .equals(
                                java.nio.file.Files.readString(
                                        out.resolve("hydra-hessian-aware/contributions.csv"))),
                "the two modes differ");
    }

    /** hydra.mode=exact records the training and reports every training sample's contribution. */
    @Test
    void exactModeReportsEveryTrainingSample(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path out) throws Exception {
        Run run = smallDemo(out, "hydra.mode=exact");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(
                run.out().contains("exact contributions of 128 training samples over 2 steps"),
                run.out());
        assertTrue(run.out().contains("replayed weights bit-identical"), run.out());
        // a header and one line per training sample
        assertEquals(
                129, java.nio.file.Files.readAllLines(out.resolve("contributions.csv")).size());
        assertTrue(
                java.nio.file.Files.readString(out.resolve("summary.md"))
                        .contains("- **method**: hydra-exact"));
    }

    /** Exact mode has no checkpoint to resume: --resume is refused before any work, saying why. */
    @Test
    void exactModeRefusesResume(@org.junit.jupiter.api.io.TempDir java.nio.file.Path out) {
        Run run =
                run(
                        "demo",
                        "--set",
                        "hydra.mode=exact",
                        "--resume",
                        "--no-progress",
                        "--out",
                        out.toString());
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.err().contains("hydra.mode exact cannot resume"), run.err());
    }

    /** The demo on 128 training and 50 test images for one epoch, with extra overrides. */
    private static Run smallDemo(java.nio.file.Path out, String... overrides) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "demo",
                                "--set",
                                "train.epochs=1",
                                "--set",
                                "data.trainLimit=128",
                                "--set",
                                "data.testLimit=50",
                                "--no-progress",
                                "--out",
                                out.toString()));
        for (String override : overrides) {
            args.add("--set");
            args.add(override);
        }
        return run(args.toArray(String[]::new));
    }

    /** An attribution run interrupted after epoch 1 and resumed equals an uninterrupted one. */
    @Test
    @Tag(ENGINE_NEUTRAL)
    void resumedAttributionEqualsUninterrupted(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        String checkpoint = "hydra.checkpointDir=" + dir.resolve("checkpoint");
        String[] small = {
            "--set",
            "data.trainLimit=300",
            "--set",
            "data.testLimit=100",
            "--no-progress",
            "--engine",
            ENGINE
        };
        Run straight =
                run(
                        concat(
                                new String[] {
                                    "demo",
                                    "--set",
                                    "train.epochs=2",
                                    "--out",
                                    dir.resolve("straight").toString()
                                },
                                small));
        assertEquals(0, straight.exitCode(), straight.err());
        Run first =
                run(
                        concat(
                                new String[] {
                                    "demo",
                                    "--set",
                                    "train.epochs=1",
                                    "--set",
                                    checkpoint,
                                    "--out",
                                    dir.resolve("first").toString()
                                },
                                small));
        assertEquals(0, first.exitCode(), first.err());
        Run resumed =
                run(
                        concat(
                                new String[] {
                                    "demo",
                                    "--resume",
                                    "--set",
                                    "train.epochs=2",
                                    "--set",
                                    checkpoint,
                                    "--out",
                                    dir.resolve("resumed").toString()
                                },
                                small));
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertEquals(
                java.nio.file.Files.readString(dir.resolve("straight/contributions.csv")),
                java.nio.file.Files.readString(dir.resolve("resumed/contributions.csv")));
        assertTrue(
                !java.nio.file.Files.readString(dir.resolve("first/contributions.csv"))
                        .equals(
                                java.nio.file.Files.readString(
                                        dir.resolve("resumed/contributions.csv"))));
    }

    /** Issue 10: hydra train with lr 1e4 ended with exit 0 and saved NaN parameters. */
    @Test
    void trainRefusesToSaveDivergedParameters() throws Exception {
        Path out = tmp.resolve("diverged");
        Run run =
                run(
                        "train",
                        "--config",
                        BUNDLED,
                        "--set",
                        "train.epochs=1",
                        "--set",
                        "data.trainLimit=640",
                        "--set",
                        "train.optimizer.learningRate=10000",
                        "--no-progress",
                        "--out",
                        out.toString());
        assertEquals(1, run.exitCode(), run.err());
        assertTrue(run.err().contains("\nerror: Training diverged: the loss of batch"), run.err());
        try (java.util.stream.Stream<Path> files = Files.list(out)) {
            assertEquals(
                    java.util.List.of(OutputFolder.LOCK),
                    files.map(f -> f.getFileName().toString()).toList(),
                    "no parameters, no summary");
        }
    }

    /** Issue 10: an --out that cannot be written was found after the whole run. */
    @Test
    void unwritableOutIsRefusedBeforeTraining() throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        Run run = run("demo", "--set", "data.trainLimit=300", "--out", file.toString());
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(
                run.err().startsWith("error: Cannot write to the output folder (--out) " + file),
                run.err());
        assertTrue(!run.out().contains("epoch 1/"), "no training: " + run.out());
    }

    /** Issue 10: two runs writing into the same --out mixed their reports. */
    @Test
    void anOutInUseByAnotherRunIsRefused() throws Exception {
        Path out = tmp.resolve("busy");
        try (ai.hydra.io.FolderLock other =
                ai.hydra.io.FolderLock.acquire(out.resolve(OutputFolder.LOCK), "test")) {
            Run run = run("demo", "--set", "data.trainLimit=300", "--out", out.toString());
            assertEquals(1, run.exitCode(), run.err());
            assertTrue(
                    run.err().startsWith("error: The output folder (--out) " + out + " is in use"),
                    run.err());
            assertTrue(!run.out().contains("epoch 1/"), "no training: " + run.out());
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** --engine is a global option: before or after the command. */
    @Test
    void unknownEngineIsUsageErrorBeforeOrAfterTheCommand() {
        for (String[] args :
                new String[][] {
                    {"--engine", "tensorflow", "model-info", "--model", "lenet5"},
                    {"model-info", "--model", "lenet5", "--engine", "tensorflow"}
                }) {
            Run run = run(args);
            assertEquals(2, run.exitCode());
            assertEquals(
                    "error: unknown engine 'tensorflow'; choose pytorch or mxnet\n",
                    run.err().replace(System.lineSeparator(), "\n"));
        }
        assertEquals(0, run("model-info", "--engine", "PYTORCH", "--model", "lenet5").exitCode());
    }

    @Test
    void missingConfigFileIsUsageErrorNamingTheFile() {
        Run run = run("train", "--config", "configs/does-not-exist.yaml");
        assertEquals(2, run.exitCode());
        assertTrue(
                run.err().startsWith("error: config file not found: configs/does-not-exist.yaml"),
                run.err());
    }

    @Test
    void badOverrideIsUsageError() {
        Run run = run("train", "--config", BUNDLED, "--set", "train.epochs=0");
        assertEquals(2, run.exitCode());
        assertTrue(
                run.err().contains("error: invalid 'train.epochs' from --set train.epochs=0"),
                run.err());
        assertTrue(run.err().contains("expected an integer from 1 to 100000"), run.err());
    }

    @Test
    void missingDataIsRuntimeErrorWithAdvice() {
        Run run =
                run(
                        "train",
                        "--config",
                        BUNDLED,
                        "--set",
                        "data.dataset=mnist",
                        "--set",
                        "data.dir=" + tmp.resolve("nothing-here"));
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(
                run.err().contains("is not a folder; give the folder holding the mnist files"),
                run.err());
        assertTrue(!run.err().contains("\tat "), "no stack trace without --debug: " + run.err());
    }
}
