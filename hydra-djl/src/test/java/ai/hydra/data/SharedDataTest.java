package ai.hydra.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Integration checks against the real datasets in {@code shared/data}, found through system
 * property {@code hydra.shared.data} or by walking up from the working directory; skipped when
 * absent.
 */
class SharedDataTest {

    private static Path sharedData() {
        String property = System.getProperty("hydra.shared.data");
        Optional<Path> found = Optional.empty();
        if (property != null) {
            found = Optional.of(Paths.get(property)).filter(Files::isDirectory);
        } else {
            for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
                Path candidate = dir.resolve("shared/data");
                if (Files.isDirectory(candidate.resolve("mnist"))) {
                    found = Optional.of(candidate);
                    break;
                }
            }
        }
        Assumptions.assumeTrue(found.isPresent(), "shared/data not found; skipping");
        return found.get();
    }

    @Test
    void mnistHasItsWellKnownFirstLabels() throws IOException {
        Path mnist = sharedData().resolve("mnist");
        ImageData train = DatasetLoader.load(DatasetName.MNIST, Split.TRAIN, mnist);
        assertEquals(60_000, train.size());
        assertArrayEquals(
                new int[] {5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, Arrays.copyOf(train.labels(), 10));
        ImageData test = DatasetLoader.load(DatasetName.MNIST, Split.TEST, mnist);
        assertEquals(10_000, test.size());
        assertArrayEquals(
                new int[] {7, 2, 1, 0, 4, 1, 4, 9, 5, 9}, Arrays.copyOf(test.labels(), 10));
    }

    @Test
    void bundledSubsetIsTheOriginalImagesAtTheListedIndices() throws IOException {
        Path fashion = sharedData().resolve("fashion-mnist");
        ImageData train = DatasetLoader.load(DatasetName.FASHION_MNIST, Split.TRAIN, fashion);
        ImageData bundled = BundledData.train();
        ImageData expected = train.subset(BundledData.trainIndices());
        assertArrayEquals(expected.pixels(), bundled.pixels());
        assertArrayEquals(expected.labels(), bundled.labels());
        ImageData test = DatasetLoader.load(DatasetName.FASHION_MNIST, Split.TEST, fashion);
        ImageData expectedTest = test.subset(BundledData.testIndices());
        assertArrayEquals(expectedTest.pixels(), BundledData.test().pixels());
        assertArrayEquals(expectedTest.labels(), BundledData.test().labels());
        assertArrayEquals(
                BundledData.trainIndices(), SubsetTool.firstPerClass(train.labels(), 10, 200));
    }
}
