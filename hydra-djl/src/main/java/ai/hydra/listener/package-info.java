/**
 * The DJL lifecycle: {@link ai.hydra.listener.HydraListener}, the training listener that runs the
 * hypergradient recurrences while an unchanged DJL training loop runs.
 */
package ai.hydra.listener;
