package ai.hydra.reproduce.run;

import ai.djl.ndarray.NDManager;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.translate.TranslateException;
import ai.hydra.data.ImageData;
import ai.hydra.experiment.ExperimentConfig;
import ai.hydra.experiment.ExperimentData;
import ai.hydra.experiment.PreparedTraining;
import ai.hydra.experiment.TrainingProgress;
import ai.hydra.experiment.TrainingResult;
import ai.hydra.experiment.TrainingRun;
import ai.hydra.gradient.ParameterSpace;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.listener.HydraListener;
import ai.hydra.listener.SnapshotRecorder;
import ai.hydra.listener.TrajectoryRecorder;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.train.HydraSgd;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * One training run of a reproduction with the listeners its attribution methods need (the HYDRA
 * listener, TracIn-CP's snapshots, experiment-specific ones), and what it produced: the trained
 * model, the data (with the clean held-out samples when asked for), the initial weights (so that a
 * retraining can check it starts from the same point) and the training time.
 *
 * <p>Close it to free the model, the hypergradients and the snapshots.
 */
public final class TrainedRun implements AutoCloseable {

    private final ExperimentConfig config;
    private final ExperimentData data;
    private final ImageData heldOut;
    private final TrainingResult training;
    private final HydraListener hydra;
    private final HydraListener aware;
    private final SnapshotRecorder snapshots;
    private final TrajectoryRecorder trajectory;
    private final HydraSgd optimizer;
    private final float[] initialWeights;
    private final double trainSeconds;

    private TrainedRun(
            Builder builder,
            ExperimentData data,
            ImageData heldOut,
            TrainingResult training,
            Parts parts,
            float[] initialWeights,
            double trainSeconds) {
        this.config = builder.config;
        this.data = data;
        this.heldOut = heldOut;
        this.training = training;
        this.hydra = parts.hydra();
        this.aware = parts.aware();
        this.snapshots = parts.snapshots();
        this.trajectory = parts.trajectory();
        this.optimizer = parts.optimizer();
        this.initialWeights = initialWeights;
        this.trainSeconds = trainSeconds;
    }

    /**
     * Creates a builder.
     *
     * @param config the training configuration
     * @return the builder
     */
    public static Builder builder(ExperimentConfig config) {
        return new Builder(config);
    }

    /** What listener factories can use: the run's optimizer, data and standard listeners. */
    public record Parts(
            HydraSgd optimizer,
            ExperimentData data,
            HydraListener hydra,
            HydraListener aware,
            SnapshotRecorder snapshots,
            TrajectoryRecorder trajectory) {}

    /** Creates an extra listener once the run's optimizer and standard listeners exist. */
    @FunctionalInterface
    public interface ListenerFactory {

        /**
         * Creates the listener.
         *
         * @param parts the run's parts
         * @return the listener, added after the standard ones
         */
        TrainingListener create(Parts parts);
    }

    /**
     * Returns the configuration trained.
     *
     * @return the config
     */
    public ExperimentConfig config() {
        return config;
    }

    /**
     * Returns the training and test data (training labels after label noise).
     *
     * @return the data
     */
    public ExperimentData data() {
        return data;
    }

    /**
     * Returns the clean held-out samples, if asked for.
     *
     * @return the samples, or null
     */
    public ImageData heldOut() {
        return heldOut;
    }

    /**
     * Returns the training result, with the trained model.
     *
     * @return the result
     */
    public TrainingResult training() {
        return training;
    }

    /**
     * Returns the HYDRA listener, if one was attached.
     *
     * @return the listener, or null
     */
    public HydraListener hydra() {
        return hydra;
    }

    /**
     * Returns the second HYDRA listener, which runs the Hessian-aware recurrence on a few samples,
     * if one was attached.
     *
     * @return the listener, or null
     */
    public HydraListener aware() {
        return aware;
    }

    /**
     * Returns the snapshot recorder, if one was attached.
     *
     * @return the recorder, or null
     */
    public SnapshotRecorder snapshots() {
        return snapshots;
    }

    /**
     * Returns the recorded trajectory (for the exact reverse-mode replay), if one was asked for.
     *
     * @return the recorder, or null
     */
    public TrajectoryRecorder trajectory() {
        return trajectory;
    }

    /**
     * Returns the optimizer that trained.
     *
     * @return the optimizer
     */
    public HydraSgd optimizer() {
        return optimizer;
    }

    /**
     * Returns the trainable weights before the first step, flat.
     *
     * @return a copy
     */
    public float[] initialWeights() {
        return initialWeights.clone();
    }

    /**
     * Returns the wall time of the training with its listeners, data loading excluded.
     *
     * @return seconds
     */
    public double trainSeconds() {
        return trainSeconds;
    }

    /**
     * Returns a functional view of the trained model with the training loss.
     *
     * @return a new shadow model
     */
    public ShadowModel shadow() {
        return new ShadowModel(training.model().getBlock(), Loss.softmaxCrossEntropyLoss());
    }

    /**
     * Returns a manager of the trained model, for arrays that live as long as the run.
     *
     * @return the model's manager
     */
    public NDManager manager() {
        return training.model().getNDManager();
    }

    /** Frees the model, the hypergradients and the snapshots. */
    @Override
    public void close() {
        for (AutoCloseable listener : new AutoCloseable[] {hydra, aware, snapshots, trajectory}) {
            closeQuietly(listener);
        }
        training.close();
    }

    private static void closeQuietly(AutoCloseable resource) {
        if (resource == null) {
            return;
        }
        try {
            resource.close();
        } catch (Exception e) {
            throw new IllegalStateException("cannot free " + resource, e);
        }
    }

    /** Builds and trains a {@link TrainedRun}. */
    public static final class Builder {

        private final ExperimentConfig config;
        private ExperimentData data;
        private int heldOut;
        private HydraMode mode;
        private int[] tracked;
        private int[] exactSubset;
        private boolean snapshots;
        private boolean trajectory;
        private final List<ListenerFactory> extra = new ArrayList<>();
        private TrainingProgress progress = TrainingProgress.NONE;

        Builder(ExperimentConfig config) {
            this.config = config;
        }

        /**
         * Trains on this data instead of loading the config's (e.g. a cleaned subset).
         *
         * @param data the data
         * @return this builder
         */
        public Builder optData(ExperimentData data) {
            this.data = data;
            return this;
        }

        /**
         * Loads clean held-out samples after the training samples ({@link ExperimentData#heldOut}).
         *
         * @param count how many (0 for none)
         * @return this builder
         */
        public Builder optHeldOut(int count) {
            this.heldOut = count;
            return this;
        }

        /**
         * Attaches a HYDRA listener.
         *
         * @param mode the recurrences to run
         * @param tracked the tracked dataset indices, or null for every training sample
         * @return this builder
         */
        public Builder optHydra(HydraMode mode, int[] tracked) {
            this.mode = mode;
            this.tracked = tracked == null ? null : tracked.clone();
            return this;
        }

        /**
         * Attaches a second HYDRA listener running the Hessian-aware recurrence (exact
         * hypergradients) on a few samples.
         *
         * @param samples their dataset indices
         * @return this builder
         */
        public Builder optExactSubset(int[] samples) {
            this.exactSubset = samples.clone();
            return this;
        }

        /**
         * Attaches a {@link TrajectoryRecorder}, so that the exact contributions of every training
         * sample can be computed afterwards by the reverse-mode replay.
         *
         * @return this builder
         */
        public Builder optTrajectory() {
            this.trajectory = true;
            return this;
        }

        /**
         * Attaches a {@link SnapshotRecorder} (one weight snapshot per epoch, for TracIn-CP).
         *
         * @return this builder
         */
        public Builder optSnapshots() {
            this.snapshots = true;
            return this;
        }

        /**
         * Adds an experiment-specific listener.
         *
         * @param factory creates it from the run's parts
         * @return this builder
         */
        public Builder addListener(ListenerFactory factory) {
            extra.add(factory);
            return this;
        }

        /**
         * Sets the receiver of progress events.
         *
         * @param progress the receiver
         * @return this builder
         */
        public Builder optProgress(TrainingProgress progress) {
            this.progress = progress;
            return this;
        }

        /**
         * Loads the data and trains.
         *
         * @return the trained run; close it
         * @throws IOException if the data cannot be read
         * @throws TranslateException if a batch cannot be processed
         */
        public TrainedRun fit() throws IOException, TranslateException {
            ExperimentData loaded =
                    data != null ? data : ExperimentData.load(config.data(), config.source());
            ImageData held =
                    heldOut > 0
                            ? ExperimentData.heldOut(config.data(), config.source(), heldOut)
                            : null;
            TrainingRun run = TrainingRun.builder().setConfig(config).optProgress(progress).build();
            try (PreparedTraining prepared = run.prepare(loaded)) {
                HydraSgd sgd = prepared.optimizer();
                int n = loaded.train().size();
                HydraListener hydra = mode == null ? null : hydraListener(sgd, n, mode, tracked);
                HydraListener aware =
                        exactSubset == null
                                ? null
                                : hydraListener(sgd, n, HydraMode.HESSIAN_AWARE, exactSubset);
                SnapshotRecorder recorder =
                        snapshots ? SnapshotRecorder.builder(sgd).build() : null;
                TrajectoryRecorder path =
                        trajectory ? TrajectoryRecorder.builder(sgd, n).build() : null;
                Parts parts = new Parts(sgd, loaded, hydra, aware, recorder, path);
                List<TrainingListener> listeners = new ArrayList<>();
                for (TrainingListener listener :
                        new TrainingListener[] {hydra, aware, recorder, path}) {
                    if (listener != null) {
                        listeners.add(listener);
                    }
                }
                for (ListenerFactory factory : extra) {
                    listeners.add(factory.create(parts));
                }
                float[][] initial = new float[1][];
                long start = System.nanoTime();
                try {
                    TrainingResult result =
                            prepared.fit(
                                    trainer ->
                                            initial[0] = flatWeights(trainer.getModel().getBlock()),
                                    listeners.toArray(new TrainingListener[0]));
                    double seconds = (System.nanoTime() - start) / 1e9;
                    return new TrainedRun(this, loaded, held, result, parts, initial[0], seconds);
                } catch (IOException | TranslateException | RuntimeException e) {
                    for (AutoCloseable listener :
                            new AutoCloseable[] {hydra, aware, recorder, path}) {
                        closeQuietly(listener);
                    }
                    throw e;
                }
            }
        }

        private HydraListener hydraListener(HydraSgd sgd, int n, HydraMode mode, int[] tracked) {
            HydraListener.Builder builder =
                    HydraListener.builder(sgd, n)
                            .optMode(mode)
                            .optStorePlanner(config.hydra().planner())
                            .optHessianStep(config.hydra().hessianStep());
            int[] indices = tracked;
            if (indices == null && config.hydra().trackLimit() != null) {
                indices = IntStream.range(0, Math.min(n, config.hydra().trackLimit())).toArray();
            }
            if (indices != null) {
                builder.optTrackedSamples(indices);
            }
            return builder.build();
        }

        private static float[] flatWeights(ai.djl.nn.Block block) {
            try (NDManager scope = NDManager.newBaseManager()) {
                return ParameterSpace.of(block)
                        .values(scope, ai.djl.ndarray.types.DataType.FLOAT32)
                        .toFloatArray();
            }
        }
    }
}
