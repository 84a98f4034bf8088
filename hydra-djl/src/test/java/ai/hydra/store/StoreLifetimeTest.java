package ai.hydra.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10: disk stores left their files behind after kill -9, SIGTERM or Ctrl-C (28 GB for all of
 * MNIST), the next run counted them as used space, and a full disk crashed the JVM.
 */
class StoreLifetimeTest {

    private static final int ROWS = 64;
    private static final long COLUMNS = 4096; // 1 MiB of float32

    @TempDir Path temp;

    @Test
    void killedProcessLeavesNoStoreData() throws Exception {
        Process holder = startHolder(temp);
        try {
            holder.destroyForcibly(); // SIGKILL: no hook runs
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        } finally {
            holder.destroyForcibly();
        }
        assertEquals(List.of(), dataFiles(temp), "no store data survives the process");
        StoreFolders.removeStale(temp);
        assertEquals(List.of(), list(temp), "the next run removes the dead process's folder");
    }

    @Test
    void terminatedProcessRemovesItsFolder() throws Exception {
        Process holder = startHolder(temp);
        try {
            holder.destroy(); // SIGTERM, as Ctrl-C's SIGINT: shutdown hooks run
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        } finally {
            holder.destroyForcibly();
        }
        assertEquals(List.of(), list(temp));
    }

    /** A folder of a process that is gone no longer counts against the disk budget. */
    @Test
    void plannerRemovesStoresOfProcessesThatAreGone() throws Exception {
        Path stale = Files.createDirectories(temp.resolve(StoreFolders.PREFIX + "1-123"));
        Files.createFile(stale.resolve(StoreFolders.LOCK));
        Files.write(stale.resolve("free-d-0.bin"), new byte[1 << 20]);
        StorePlanner.builder()
                .optPlacement(StorePlanner.Placement.DISK)
                .optDirectory(temp)
                .build()
                .plan(1, 8, DataType.FLOAT32, 1, Device.cpu());
        assertFalse(Files.exists(stale));
    }

    /** A full disk fails when the store is created, with a message, not later in a mapping. */
    @Test
    void fullDiskIsAnErrorAtCreation() throws Exception {
        long free = Files.getFileStore(temp).getUsableSpace();
        long columns = 1L << 28; // 1 GiB per float32 row
        int rows = (int) Math.min(Integer.MAX_VALUE, free / (columns * 4) + 1);
        UncheckedIOException e =
                assertThrows(
                        UncheckedIOException.class,
                        () -> new MappedFileStore(temp, "free-d", rows, columns, DataType.FLOAT32));
        assertTrue(
                e.getMessage().startsWith("Cannot create the hypergradient store in " + temp),
                e.getMessage());
        assertTrue(e.getMessage().contains("are free there"), e.getMessage());
        Path devFull = Path.of("/dev/full");
        Assumptions.assumeTrue(Files.isWritable(devFull), "no /dev/full on this system");
        try (FileChannel full = FileChannel.open(devFull, StandardOpenOption.WRITE)) {
            IOException noSpace =
                    assertThrows(
                            IOException.class, () -> MappedFileStore.fillWithZeros(full, 4096));
            assertTrue(noSpace.getMessage().contains("No space left"), noSpace.getMessage());
        }
    }

    private static Process startHolder(Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process =
                new ProcessBuilder(
                                java,
                                "-cp",
                                System.getProperty("java.class.path"),
                                StoreHolder.class.getName(),
                                dir.toString(),
                                Integer.toString(ROWS),
                                Long.toString(COLUMNS))
                        .redirectErrorStream(true)
                        .start();
        BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        for (String line = out.readLine(); ; line = out.readLine()) {
            if (line == null) {
                throw new IllegalStateException("the store holder ended before creating a store");
            }
            if (line.startsWith("READY")) {
                return process;
            }
        }
    }

    /** Files holding data (anything but lock files) under a folder. */
    private static List<Path> dataFiles(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile)
                    .filter(f -> !f.getFileName().toString().equals(StoreFolders.LOCK))
                    .toList();
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }
}
