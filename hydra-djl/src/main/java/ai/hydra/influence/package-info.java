/**
 * Koh and Liang's influence functions as an {@link ai.hydra.attribution.Attributor}, with LiSSA,
 * conjugate-gradient and exact inverse-Hessian solvers.
 */
package ai.hydra.influence;
