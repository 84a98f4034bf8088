package ai.hydra.experiment;

import ai.djl.training.tracker.Tracker;
import ai.hydra.train.LearningRates;
import java.util.Arrays;

/** Turns the epoch-based {@code train.schedule} section into a per-update DJL tracker. */
final class Schedules {

    private Schedules() {}

    static Tracker tracker(TrainConfig train, int stepsPerEpoch) {
        ScheduleConfig schedule = train.schedule();
        float base = (float) train.optimizer().learningRate();
        float factor = (float) schedule.factor();
        int total = train.epochs() * stepsPerEpoch;
        switch (schedule.type()) {
            case STEP:
                return LearningRates.step(
                        base, factor, schedule.everyEpochs() * stepsPerEpoch, total);
            case MULTISTEP:
                int[] updates =
                        Arrays.stream(schedule.milestones())
                                .map(epoch -> epoch * stepsPerEpoch)
                                .toArray();
                return LearningRates.multiStep(base, factor, updates);
            case COSINE:
                return LearningRates.cosine(base, (float) schedule.finalLearningRate(), total);
            default:
                return LearningRates.constant(base);
        }
    }
}
