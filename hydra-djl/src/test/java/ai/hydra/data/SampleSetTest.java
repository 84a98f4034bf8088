package ai.hydra.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Sample sets carry the training scaling and dataset indices, from any source. */
class SampleSetTest {

    private final ImageData images =
            new ImageData(
                    new byte[] {0, (byte) 255, 51, 102, (byte) 204, 1},
                    new int[] {0, 1, 1},
                    1,
                    1,
                    2,
                    List.of("a", "b"));

    @Test
    void imageDataScalesLikeItsTrainingDataset() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            SampleSet set = images.toSampleSet(manager, DataType.FLOAT32);
            assertArrayEquals(
                    new float[] {0f, 1f, 0.2f, 0.4f, 0.8f, 1f / 255},
                    set.inputs().head().toFloatArray());
            ArrayDataset dataset = images.toDataset(manager, DataType.FLOAT32, 3);
            try (Batch batch = dataset.getData(manager).iterator().next()) {
                assertArrayEquals(
                        batch.getData().head().toFloatArray(), set.inputs().head().toFloatArray());
                assertArrayEquals(
                        batch.getLabels().head().toFloatArray(),
                        set.labels().head().toFloatArray());
            }
            assertArrayEquals(new int[] {0, 1, 2}, set.indices());
        }
    }

    /** Any RandomAccessDataset, read in index order whatever its sampler. */
    @Test
    void readsAShufflingDatasetInOrder() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset shuffled = images.toDataset(manager, DataType.FLOAT64, 2, true, 5);
            SampleSet set = SampleSet.of(manager, shuffled);
            assertArrayEquals(new int[] {0, 1, 2}, set.indices());
            assertEquals(new Shape(3, 1, 1, 2), set.inputs().head().getShape());
            assertArrayEquals(new double[] {0, 1, 1}, set.labels().head().toDoubleArray());
        }
    }

    @Test
    void selectAndRowsKeepDatasetIndices() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.arange(10f).reshape(5, 2);
            NDArray y = manager.arange(5f);
            SampleSet set =
                    SampleSet.of(new NDList(x), new NDList(y), new int[] {10, 11, 12, 13, 14});
            SampleSet picked = set.select(manager, 3, 0);
            assertArrayEquals(new int[] {13, 10}, picked.indices());
            assertArrayEquals(new float[] {6, 7, 0, 1}, picked.inputs().head().toFloatArray());
            SampleSet rows = set.rows(manager, 1, 3);
            assertArrayEquals(new int[] {11, 12}, rows.indices());
            assertArrayEquals(new float[] {1, 2}, rows.labels().head().toFloatArray());
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> SampleSet.of(new NDList(x), new NDList(y), new int[] {0, 1}));
            assertTrue(e.getMessage().contains("one row per sample"), e.getMessage());
        }
    }
}
