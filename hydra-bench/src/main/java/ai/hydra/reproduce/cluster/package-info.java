/**
 * Clustering of contribution vectors (the paper's Table 4): {@link
 * ai.hydra.reproduce.cluster.KMeansClusterer} (Apache Commons Math's k-means++) and {@link
 * ai.hydra.reproduce.cluster.AgglomerativeClusterer} (Smile's hierarchical clustering on cosine
 * distances), behind one {@link ai.hydra.reproduce.cluster.Clusterer} interface, and the feature
 * transforms the paper and the authors' script apply first ({@link
 * ai.hydra.reproduce.cluster.Features}: signs, z-scores).
 */
package ai.hydra.reproduce.cluster;
