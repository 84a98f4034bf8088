/**
 * Datasets: MNIST, Fashion-MNIST and CIFAR-10 loaders, the bundled Fashion-MNIST subset, label
 * noise, seeded shuffling, and {@link ai.hydra.data.SampleSet}, the arrays every attribution method
 * takes. Knows nothing of attribution.
 */
package ai.hydra.data;
