/** The models of the paper's experiments: LeNet-5 and DenseNet-BC. */
package ai.hydra.model;
