/**
 * Experiments: YAML configs ({@link ai.hydra.experiment.ExperimentConfig}), training runs ({@link
 * ai.hydra.experiment.TrainingRun}, prepared then fitted) and attribution runs ({@link
 * ai.hydra.experiment.AttributionRun}).
 */
package ai.hydra.experiment;
