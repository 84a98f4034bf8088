/**
 * The hypergradient recurrences (Hessian-free, Hessian-aware) that carry d = dw/deps_i through
 * SGD's updates, and their result, {@link ai.hydra.recurrence.Hypergradients}. Math only: it never
 * sees the DJL training lifecycle.
 */
package ai.hydra.recurrence;
