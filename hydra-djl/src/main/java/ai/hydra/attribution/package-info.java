/**
 * Training-data attribution behind one interface: {@link ai.hydra.attribution.Attributor} (every
 * method reports C(i, J) = -(1/N) dJ/deps_i, positive = helpful), the result types {@link
 * ai.hydra.attribution.Contributions} and {@link ai.hydra.attribution.ContributionMatrix}, the test
 * losses {@link ai.hydra.attribution.TestFunctionals}, HYDRA's contributions from stored
 * hypergradients ({@link ai.hydra.attribution.HydraAttributor}), and the two halves every
 * gradient-based method shares ({@link ai.hydra.attribution.LossGradients}, {@link
 * ai.hydra.attribution.RowProducts}).
 */
package ai.hydra.attribution;
