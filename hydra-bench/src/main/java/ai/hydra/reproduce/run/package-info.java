/**
 * The training runs of the reproduction experiments with the listeners their attribution methods
 * need ({@link ai.hydra.reproduce.run.TrainedRun}), and the methods themselves built on them.
 */
package ai.hydra.reproduce.run;
