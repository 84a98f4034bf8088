/** The {@code hydra} command line: parses, delegates to the library, prints. */
package ai.hydra.cli;
