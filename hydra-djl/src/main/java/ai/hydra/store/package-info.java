/**
 * Where hypergradient state lives (device, host memory or memory-mapped files) and the budgets that
 * choose ({@link ai.hydra.store.StorePlanner}). Knows nothing of the math.
 */
package ai.hydra.store;
