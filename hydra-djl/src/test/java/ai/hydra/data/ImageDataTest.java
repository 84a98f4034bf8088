package ai.hydra.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ImageDataTest {

    /** Two 2x2x3 images with known pixels. */
    private static ImageData tiny() {
        byte[] pixels = new byte[24];
        for (int i = 0; i < 24; i++) {
            pixels[i] = (byte) (i * 11); // 0, 11, ..., 253
        }
        return new ImageData(pixels, new int[] {2, 0}, 2, 2, 3, List.of("a", "b", "c"));
    }

    @ParameterizedTest
    @EnumSource(
            value = DataType.class,
            names = {"FLOAT32", "FLOAT64"})
    void toDatasetScalesPixelsAndKeepsLayout(DataType dataType) throws Exception {
        ImageData data = tiny();
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset dataset = data.toDataset(manager, dataType, 5);
            Batch batch = dataset.getData(manager).iterator().next();
            NDArray x = batch.getData().singletonOrThrow();
            NDArray y = batch.getLabels().singletonOrThrow();
            assertEquals(new Shape(2, 2, 2, 3), x.getShape());
            assertEquals(dataType, x.getDataType());
            assertEquals(new Shape(2), y.getShape());
            double[] values = x.toType(DataType.FLOAT64, false).toDoubleArray();
            for (int i = 0; i < 24; i++) {
                assertEquals(i * 11 / 255.0, values[i], 1e-6);
            }
            assertArrayEquals(
                    new double[] {2, 0}, y.toType(DataType.FLOAT64, false).toDoubleArray());
            batch.close();
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = DataType.class,
            names = {"FLOAT32", "FLOAT64"})
    void labelsWorkWithSoftmaxCrossEntropy(DataType dataType) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Batch batch = tiny().toDataset(manager, dataType, 2).getData(manager).iterator().next();
            // logits favour class 2 for image 0 and class 0 for image 1, i.e. the true labels
            NDArray logits =
                    manager.create(new double[][] {{0, 0, 10}, {0, 10, 0}}).toType(dataType, false);
            double loss =
                    Loss.softmaxCrossEntropyLoss()
                            .evaluate(batch.getLabels(), new NDList(logits))
                            .toType(DataType.FLOAT64, false)
                            .getDouble();
            double good = Math.log(1 + 2 * Math.exp(-10));
            double bad = 10 + Math.log(1 + 2 * Math.exp(-10));
            assertEquals((good + bad) / 2, loss, 1e-5);
            batch.close();
        }
    }

    @Test
    void subsetAndWithLabelsCopyTheRightImages() {
        ImageData data = tiny();
        ImageData swapped = data.subset(new int[] {1, 0, 1});
        assertEquals(3, swapped.size());
        assertArrayEquals(new int[] {0, 2, 0}, swapped.labels());
        assertEquals(12 * 11, swapped.pixel(0, 0, 0, 0));
        assertEquals(0, swapped.pixel(1, 0, 0, 0));
        assertEquals(23 * 11, swapped.pixel(2, 1, 1, 2));
        ImageData relabelled = data.withLabels(new int[] {1, 1});
        assertArrayEquals(new int[] {1, 1}, relabelled.labels());
        assertArrayEquals(data.pixels(), relabelled.pixels());
        assertArrayEquals(new int[] {2, 0}, data.labels());
    }

    @Test
    void invalidInputIsRejected() {
        ImageData data = tiny();
        assertThrows(IllegalArgumentException.class, () -> data.withLabels(new int[] {1}));
        assertThrows(IllegalArgumentException.class, () -> data.withLabels(new int[] {1, 3}));
        assertThrows(IndexOutOfBoundsException.class, () -> data.subset(new int[] {2}));
        assertThrows(
                IllegalArgumentException.class,
                () -> new ImageData(new byte[5], new int[] {0}, 1, 2, 2, List.of("a")));
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThrows(
                    IllegalArgumentException.class,
                    () -> data.toDataset(manager, DataType.INT32, 2));
        }
    }

    @Test
    void returnedArraysAreCopies() {
        ImageData data = tiny();
        data.labels()[0] = 1;
        data.pixels()[0] = 9;
        assertEquals(2, data.label(0));
        assertEquals(0, data.pixel(0, 0, 0, 0));
    }
}
