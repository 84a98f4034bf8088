/**
 * Crash-safe file output shared by every layer: files replaced atomically ({@link
 * ai.hydra.io.AtomicFiles}), folders a run claims for itself ({@link ai.hydra.io.FolderLock}) and
 * checked for writing before any work starts ({@link ai.hydra.io.Folders}). Knows nothing of HYDRA.
 */
package ai.hydra.io;
