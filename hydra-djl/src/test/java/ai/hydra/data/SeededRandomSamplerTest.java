package ai.hydra.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.util.RandomUtils;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SeededRandomSamplerTest {

    private static final int N = 103;
    private static final int BATCH = 10;

    /** 103 images whose first pixel is the image's own index, so batches reveal what they hold. */
    private static ImageData indexed() {
        byte[] pixels = new byte[N * 4];
        int[] labels = new int[N];
        for (int i = 0; i < N; i++) {
            pixels[i * 4] = (byte) i;
            labels[i] = i % 3;
        }
        return new ImageData(pixels, labels, 1, 2, 2, List.of("a", "b", "c"));
    }

    /** Runs one epoch; checks each batch's indices against the images it actually holds. */
    private static int[] epoch(ArrayDataset dataset, NDManager manager, List<Integer> sizes)
            throws Exception {
        List<Integer> order = new ArrayList<>();
        for (Batch batch : dataset.getData(manager)) {
            float[] first =
                    batch.getData()
                            .singletonOrThrow()
                            .get(":, 0, 0, 0")
                            .mul(255)
                            .toType(DataType.FLOAT32, false)
                            .toFloatArray();
            float[] labels =
                    batch.getLabels()
                            .singletonOrThrow()
                            .toType(DataType.FLOAT32, false)
                            .toFloatArray();
            List<?> indices = batch.getIndices();
            assertEquals(first.length, indices.size());
            for (int i = 0; i < first.length; i++) {
                int index = ((Long) indices.get(i)).intValue();
                assertEquals(index, Math.round(first[i]));
                assertEquals(index % 3, Math.round(labels[i]));
                order.add(index);
            }
            sizes.add(indices.size());
            batch.close();
        }
        return order.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void assertPermutation(int[] order) {
        int[] sorted = order.clone();
        Arrays.sort(sorted);
        int[] expected = new int[N];
        Arrays.setAll(expected, i -> i);
        assertArrayEquals(expected, sorted);
    }

    @Test
    void shuffledEpochsCoverEveryIndexOnceIncludingTheLastSmallBatch() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset dataset = indexed().toDataset(manager, DataType.FLOAT32, BATCH, true, 42);
            List<Integer> sizes = new ArrayList<>();
            int[] first = epoch(dataset, manager, sizes);
            int[] second = epoch(dataset, manager, new ArrayList<>());
            assertPermutation(first);
            assertPermutation(second);
            assertEquals(List.of(10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3), sizes);
            assertFalse(Arrays.equals(first, second), "epochs must differ");
            int[] identity = new int[N];
            Arrays.setAll(identity, i -> i);
            assertFalse(Arrays.equals(identity, first), "epoch must be shuffled");
            assertArrayEquals(SeededRandomSampler.permutation(42, 0, N), first);
            assertArrayEquals(SeededRandomSampler.permutation(42, 1, N), second);
        }
    }

    @Test
    void sameSeedGivesTheSameOrderWhateverTheGlobalRandomState() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            RandomUtils.RANDOM.setSeed(1);
            ArrayDataset a = indexed().toDataset(manager, DataType.FLOAT32, BATCH, true, 7);
            int[] a0 = epoch(a, manager, new ArrayList<>());
            int[] a1 = epoch(a, manager, new ArrayList<>());
            RandomUtils.RANDOM.setSeed(99);
            manager.randomUniform(0, 1, new ai.djl.ndarray.types.Shape(5)).close();
            ArrayDataset b = indexed().toDataset(manager, DataType.FLOAT64, BATCH, true, 7);
            assertArrayEquals(a0, epoch(b, manager, new ArrayList<>()));
            assertArrayEquals(a1, epoch(b, manager, new ArrayList<>()));
            ArrayDataset c = indexed().toDataset(manager, DataType.FLOAT32, BATCH, true, 8);
            assertFalse(Arrays.equals(a0, epoch(c, manager, new ArrayList<>())));
        }
    }

    @Test
    void unshuffledDatasetIsInOrder() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset dataset = indexed().toDataset(manager, DataType.FLOAT32, BATCH);
            List<Integer> sizes = new ArrayList<>();
            int[] order = epoch(dataset, manager, sizes);
            int[] identity = new int[N];
            Arrays.setAll(identity, i -> i);
            assertArrayEquals(identity, order);
            assertEquals(11, sizes.size());
        }
    }

    @Test
    void permutationIsAPureFunctionOfSeedAndEpoch() {
        SeededRandomSampler sampler = new SeededRandomSampler(5);
        assertEquals(0, sampler.getEpoch());
        assertArrayEquals(
                SeededRandomSampler.permutation(5, 3, 50),
                SeededRandomSampler.permutation(5, 3, 50));
        assertFalse(
                Arrays.equals(
                        SeededRandomSampler.permutation(5, 2, 50),
                        SeededRandomSampler.permutation(5, 3, 50)));
    }
}
