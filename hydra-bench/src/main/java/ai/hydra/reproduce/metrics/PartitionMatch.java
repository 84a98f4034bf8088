package ai.hydra.reproduce.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The overlap of a clustering with a ground-truth partition (the paper's Table 4), measured by the
 * Jaccard index of each truth group with the cluster matched to it.
 *
 * <p><b>Matching.</b> Clusters carry arbitrary labels, so the clusters are matched one-to-one to
 * the truth groups by the assignment that maximizes the mean Jaccard index over the groups (all
 * {@code k!} assignments are tried; for Table 4's two clusters per class that is the better of the
 * two). Ties go to the first assignment in lexicographic order (cluster 0 to group 0 first). The
 * Jaccard index of two empty sets is defined as 1.
 *
 * <pre>{@code
 * // per class: truth 0 = correct label, 1 = random label
 * PartitionMatch match = PartitionMatch.best(clusterLabels, truthGroups, 2);
 * double correct = match.jaccard(0), random = match.jaccard(1);
 * }</pre>
 *
 * @param clusterOfGroup for each truth group, the cluster label matched to it
 * @param jaccardOfGroup for each truth group, its Jaccard index with the matched cluster
 */
public record PartitionMatch(int[] clusterOfGroup, double[] jaccardOfGroup) {

    /** The largest number of groups accepted ({@code 8! = 40,320} assignments). */
    public static final int MAX_GROUPS = 8;

    /**
     * Finds the best one-to-one matching of clusters to truth groups.
     *
     * @param clusters a cluster label in [0, k) per sample
     * @param groups a truth group in [0, k) per sample
     * @param k the number of clusters and of groups, 1 to {@value #MAX_GROUPS}
     * @return the matching and the Jaccard index of every group
     * @throws IllegalArgumentException if the lengths differ or a label is outside [0, k)
     */
    public static PartitionMatch best(int[] clusters, int[] groups, int k) {
        int n = Inputs.sameLength("PartitionMatch", clusters.length, groups.length);
        if (k < 1 || k > MAX_GROUPS) {
            throw new IllegalArgumentException(
                    "PartitionMatch: k must be 1 to " + MAX_GROUPS + ", got " + k);
        }
        checkLabels("cluster", clusters, k);
        checkLabels("truth group", groups, k);
        // jaccard[c][g] for every pair, from the contingency table
        long[][] both = new long[k][k];
        long[] clusterSize = new long[k];
        long[] groupSize = new long[k];
        for (int i = 0; i < n; i++) {
            both[clusters[i]][groups[i]]++;
            clusterSize[clusters[i]]++;
            groupSize[groups[i]]++;
        }
        double[][] jaccard = new double[k][k];
        for (int c = 0; c < k; c++) {
            for (int g = 0; g < k; g++) {
                long union = clusterSize[c] + groupSize[g] - both[c][g];
                jaccard[c][g] = union == 0 ? 1 : (double) both[c][g] / union;
            }
        }
        int[] best = null;
        double bestSum = Double.NEGATIVE_INFINITY;
        for (int[] assignment : permutations(k)) {
            double sum = 0;
            for (int g = 0; g < k; g++) {
                sum += jaccard[assignment[g]][g];
            }
            if (sum > bestSum) {
                bestSum = sum;
                best = assignment;
            }
        }
        double[] result = new double[k];
        for (int g = 0; g < k; g++) {
            result[g] = jaccard[best[g]][g];
        }
        return new PartitionMatch(best, result);
    }

    /**
     * Returns the Jaccard index {@code |a & b| / |a | b|} of two sets given as membership flags.
     *
     * @param a the first set
     * @param b the second set
     * @return the index in [0, 1]; 1 if both are empty
     * @throws IllegalArgumentException if the lengths differ
     */
    public static double jaccard(boolean[] a, boolean[] b) {
        Inputs.sameLength("jaccard", a.length, b.length);
        int intersection = 0;
        int union = 0;
        for (int i = 0; i < a.length; i++) {
            intersection += a[i] && b[i] ? 1 : 0;
            union += a[i] || b[i] ? 1 : 0;
        }
        return union == 0 ? 1 : (double) intersection / union;
    }

    /**
     * Averages the Jaccard index of each group over several matchings (Table 4: over classes).
     *
     * @param matches matchings with the same number of groups
     * @return per group, the mean of its Jaccard indices
     * @throws IllegalArgumentException if the list is empty or the group counts differ
     */
    public static double[] meanPerGroup(List<PartitionMatch> matches) {
        if (matches.isEmpty()) {
            throw new IllegalArgumentException("meanPerGroup: no matchings given");
        }
        int k = matches.get(0).groups();
        double[] mean = new double[k];
        for (PartitionMatch match : matches) {
            if (match.groups() != k) {
                throw new IllegalArgumentException(
                        "meanPerGroup: matchings with " + k + " and " + match.groups() + " groups");
            }
            for (int g = 0; g < k; g++) {
                mean[g] += match.jaccardOfGroup[g] / matches.size();
            }
        }
        return mean;
    }

    /**
     * Returns the number of truth groups.
     *
     * @return k
     */
    public int groups() {
        return jaccardOfGroup.length;
    }

    /**
     * Returns the Jaccard index of one truth group with its matched cluster.
     *
     * @param group the group
     * @return the index in [0, 1]
     */
    public double jaccard(int group) {
        return jaccardOfGroup[group];
    }

    /**
     * Returns the mean Jaccard index over the groups (what the matching maximizes).
     *
     * @return the mean in [0, 1]
     */
    public double mean() {
        return Arrays.stream(jaccardOfGroup).average().orElseThrow();
    }

    private static void checkLabels(String what, int[] labels, int k) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= k) {
                throw new IllegalArgumentException(
                        "PartitionMatch: "
                                + what
                                + " label "
                                + labels[i]
                                + " at index "
                                + i
                                + " is outside [0, "
                                + k
                                + ")");
            }
        }
    }

    /** All permutations of 0..k-1 in lexicographic order, the identity first. */
    private static List<int[]> permutations(int k) {
        List<int[]> result = new ArrayList<>();
        int[] current = new int[k];
        boolean[] used = new boolean[k];
        extend(current, used, 0, result);
        return result;
    }

    private static void extend(int[] current, boolean[] used, int position, List<int[]> out) {
        if (position == current.length) {
            out.add(current.clone());
            return;
        }
        for (int value = 0; value < current.length; value++) {
            if (!used[value]) {
                used[value] = true;
                current[position] = value;
                extend(current, used, position + 1, out);
                used[value] = false;
            }
        }
    }
}
