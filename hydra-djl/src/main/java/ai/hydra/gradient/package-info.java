/**
 * The parameter space as one flat vector, shadow forward passes for per-sample gradients that leave
 * training untouched, and Hessian-vector products: the primitives every method shares.
 */
package ai.hydra.gradient;
