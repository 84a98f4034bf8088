package ai.hydra.experiment;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.training.listener.TrainingListener;
import ai.djl.translate.TranslateException;
import ai.djl.util.Preconditions;
import java.io.IOException;
import java.util.Objects;

/**
 * Trains the model an {@link ExperimentConfig} describes and measures its test accuracy.
 *
 * <p>The run loads the data, builds the model, a {@link ai.hydra.train.HydraSgd} optimizer with the
 * configured schedule and a trainer, trains for the configured epochs with DJL's {@code
 * EasyTrain.fit} (reporting to a {@link TrainingProgress}) and evaluates. It prints nothing itself.
 * To attach listeners that need the run's optimizer or data, {@link #prepare} the run, build them,
 * then {@link PreparedTraining#fit}.
 *
 * <pre>{@code
 * ExperimentConfig config = ExperimentConfig.load(Path.of("configs/lenet5-mnist.yaml"), List.of());
 * try (TrainingResult result = TrainingRun.builder().setConfig(config).build().run()) {
 *     System.out.println(result.testAccuracy());
 * }
 * }</pre>
 */
public final class TrainingRun {

    private final ExperimentConfig config;
    private final TrainingProgress progress;
    private final int firstEpoch;

    private TrainingRun(Builder builder) {
        this.config = builder.config;
        this.progress = builder.progress;
        this.firstEpoch = builder.firstEpoch;
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs the experiment: loads the data, prepares and fits.
     *
     * @return the metrics and the trained model (close it when done)
     * @throws IOException if the data cannot be read
     * @throws TranslateException if a batch cannot be processed
     * @throws ConfigException if the configuration cannot be run here (e.g. no GPU)
     */
    public TrainingResult run() throws IOException, TranslateException {
        long start = System.nanoTime();
        progress.onStage(describeData());
        ExperimentData data = ExperimentData.load(config.data(), config.source());
        try (PreparedTraining prepared = prepare(data, start)) {
            return prepared.fit();
        }
    }

    /**
     * Builds the model, the optimizer and the datasets on data that was already loaded, ready for
     * {@link PreparedTraining#fit}.
     *
     * @param data the splits to train and test on
     * @return the prepared run; close it (its result owns the model once fitted)
     * @throws ConfigException if the configuration cannot be run here (e.g. no GPU)
     */
    public PreparedTraining prepare(ExperimentData data) {
        return prepare(data, System.nanoTime());
    }

    private PreparedTraining prepare(ExperimentData data, long start) {
        if (firstEpoch > config.train().epochs()) {
            throw new ConfigException(
                    "the checkpoint already covers "
                            + firstEpoch
                            + " epoch(s) but train.epochs is "
                            + config.train().epochs()
                            + ": set train.epochs to at least "
                            + firstEpoch);
        }
        Device device = device();
        Engine engine = Engine.getInstance(); // the one Model.newInstance uses
        String engineName = engine.getEngineName() + " " + engine.getVersion();
        progress.onStage(
                "training "
                        + config.model()
                        + " on "
                        + data.train().size()
                        + " images ("
                        + engineName
                        + ", "
                        + device
                        + ", "
                        + config.train().precision().dataType()
                        + ")");
        return new PreparedTraining(config, data, progress, engineName, device, firstEpoch, start);
    }

    private Device device() {
        Engine engine = Engine.getInstance();
        switch (config.train().device()) {
            case CPU:
                return Device.cpu();
            case GPU:
                if (engine.getGpuCount() == 0) {
                    throw new ConfigException(
                            "train.device is gpu (in "
                                    + config.source()
                                    + ") but "
                                    + engine.getEngineName()
                                    + " sees no GPU; use device: "
                                    + "auto or cpu, or see the README on running on a GPU");
                }
                return Device.gpu();
            default:
                return engine.defaultDevice();
        }
    }

    private String describeData() {
        DataConfig data = config.data();
        String where = data.dir() != null ? " from " + data.dir() : "";
        return "loading " + data.dataset() + where;
    }

    /** Builds a {@link TrainingRun}. */
    public static final class Builder {

        private ExperimentConfig config;
        private TrainingProgress progress = TrainingProgress.NONE;
        private int firstEpoch;

        Builder() {}

        /**
         * Continues an interrupted run: the data order starts at this epoch, and training stops
         * after {@code train.epochs} in all (none is left when the interrupted run had finished
         * training: the fit then only evaluates). Restore the model's state before the first batch
         * ({@link PreparedTraining#fit(PreparedTraining.TrainerSetup, TrainingListener...)}).
         *
         * @param epochs the epochs the interrupted run completed (0 for a fresh run)
         * @return this builder
         */
        public Builder optFirstEpoch(int epochs) {
            Preconditions.checkArgument(epochs >= 0, "epochs must be >= 0, got " + epochs);
            this.firstEpoch = epochs;
            return this;
        }

        /**
         * Sets the experiment to run.
         *
         * @param config the configuration
         * @return this builder
         */
        public Builder setConfig(ExperimentConfig config) {
            this.config = config;
            return this;
        }

        /**
         * Sets the receiver of progress events; none by default.
         *
         * @param progress the listener
         * @return this builder
         */
        public Builder optProgress(TrainingProgress progress) {
            this.progress = Objects.requireNonNull(progress, "progress");
            return this;
        }

        /**
         * Builds the run.
         *
         * @return the run
         * @throws IllegalStateException if no config was set
         */
        public TrainingRun build() {
            if (config == null) {
                throw new IllegalStateException("TrainingRun needs a config: call setConfig()");
            }
            return new TrainingRun(this);
        }
    }
}
