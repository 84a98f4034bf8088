package ai.hydra.cli;

import ai.hydra.experiment.TrainingProgress;
import java.io.PrintWriter;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows training progress on the console: a progress bar per epoch on standard error (when enabled)
 * and one summary line per epoch on the output writer.
 */
final class ConsoleProgress implements TrainingProgress {

    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean bar;
    private ProgressBar progressBar;
    private int sweepSteps;

    ConsoleProgress(PrintWriter out, PrintWriter err, boolean bar) {
        this.out = out;
        this.err = err;
        this.bar = bar;
    }

    /** Returns true if standard error looks like an interactive terminal. */
    static boolean interactive() {
        return System.console() != null && !"dumb".equals(System.getenv("TERM"));
    }

    @Override
    public void onStage(String message) {
        err.println(message);
        err.flush();
    }

    @Override
    public void onEpochStart(int epoch, int epochs, int batches) {
        open("epoch " + epoch + "/" + epochs, batches);
    }

    @Override
    public void onBatch(int batch, float loss) {
        if (progressBar != null) {
            progressBar.stepTo(batch);
            progressBar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f", loss));
        }
    }

    @Override
    public void onEpochEnd(EpochStats stats) {
        close();
        out.printf(
                Locale.ROOT,
                "epoch %d/%d  train loss %.4f  lr %.5f  %.1f s%n",
                stats.epoch(),
                stats.epochs(),
                stats.meanLoss(),
                stats.learningRate(),
                stats.seconds());
        out.flush();
    }

    @Override
    public void onEvaluationStart(int batches) {
        close();
        onStage("evaluating on the test set");
    }

    @Override
    public void onSweepStart(int steps) {
        close();
        onStage("exact attribution: sweeping the " + steps + " training steps backwards");
        sweepSteps = steps;
        open("exact sweep", steps);
    }

    @Override
    public void onSweepStep(int done) {
        if (progressBar != null) {
            progressBar.stepTo(done);
        }
        if (done == sweepSteps) {
            close();
        }
    }

    private void open(String task, int max) {
        close();
        if (bar) {
            err.flush();
            progressBar =
                    new ProgressBarBuilder()
                            .setTaskName(task)
                            .setInitialMax(max)
                            .setStyle(ProgressBarStyle.ASCII)
                            .setUpdateIntervalMillis(250)
                            .setConsumer(new ConsoleProgressBarConsumer(System.err))
                            .hideEta()
                            .build();
        }
    }

    private void close() {
        if (progressBar != null) {
            progressBar.close();
            progressBar = null;
        }
    }
}
