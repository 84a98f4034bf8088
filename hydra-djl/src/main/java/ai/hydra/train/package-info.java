/**
 * Training with DJL as HYDRA needs it: {@link ai.hydra.train.HydraSgd} (DJL's Sgd with known
 * hyperparameters), learning-rate schedules, update verification, trainers, and every access to
 * DJL's private state ({@link ai.hydra.train.DjlInternals}).
 */
package ai.hydra.train;
