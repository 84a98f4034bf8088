/** Performance benchmarks of hydra-djl (figures in docs/benchmarks.md). */
package ai.hydra.bench;
