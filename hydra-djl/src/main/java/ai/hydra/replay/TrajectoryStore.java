package ai.hydra.replay;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.hydra.io.AtomicFiles;
import ai.hydra.io.Sha256;
import ai.hydra.store.StoreFolders;
import ai.hydra.store.StorePlanner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The checkpoints of a recorded training: at chosen steps, the flat weights and (with momentum) the
 * flat momentum buffers, kept on the training device, in host memory or in files.
 *
 * <p>Files are written like every other file of hydra-djl: atomically ({@link AtomicFiles}, so a
 * full disk fails the write with a clear error instead of leaving a truncated checkpoint), with the
 * SHA-256 of their content recorded while they are written and checked before they are read back (a
 * damaged checkpoint would replay into wrong weights), in this process's folder of the store
 * directory ({@link StoreFolders}: removed on exit, and by the next run after {@code kill -9}).
 */
public final class TrajectoryStore implements AutoCloseable {

    /** Where checkpoints are kept. */
    public enum Placement {
        /** Arrays on the training device (on a CPU training, host memory). */
        DEVICE,
        /** Arrays in host memory, copied from and to the training device. */
        HOST,
        /** One file per checkpoint in a directory, deleted on {@link #close()}. */
        DISK
    }

    private final Placement placement;
    private final NDManager manager;
    private final Path directory;
    private final Map<Integer, NDList> inMemory = new TreeMap<>();
    private final Map<Integer, Long> sizes = new TreeMap<>();
    private final Map<Integer, String> checksums = new TreeMap<>();
    private long bytes;

    /**
     * Creates an empty store.
     *
     * @param parent a manager on the training device that outlives the store
     * @param placement where to keep checkpoints
     * @param directory the parent folder of the checkpoint files (DISK only; may be null otherwise)
     */
    public TrajectoryStore(NDManager parent, Placement placement, Path directory) {
        this.placement = placement;
        this.manager =
                placement == Placement.HOST
                        ? parent.newSubManager(Device.cpu())
                        : parent.newSubManager();
        if (placement == Placement.DISK) {
            try {
                this.directory =
                        Files.createTempDirectory(
                                StoreFolders.ofThisProcess(directory), "trajectory-");
            } catch (IOException | RuntimeException e) {
                throw new UncheckedIOException(
                        "Cannot create the trajectory checkpoint folder under "
                                + directory
                                + ": "
                                + e.getMessage()
                                + ". Choose a writable folder.",
                        e instanceof IOException io ? io : new IOException(e));
            }
        } else {
            this.directory = null;
        }
    }

    /**
     * Stores a checkpoint (copies of the arrays).
     *
     * @param step the number of steps done at the checkpoint (0 = before the first)
     * @param weights the flat weights {@code w_step}
     * @param momentum the flat momentum buffers {@code v_step}, or null without momentum
     */
    public void put(int step, NDArray weights, NDArray momentum) {
        remove(step);
        NDList arrays = momentum == null ? new NDList(weights) : new NDList(weights, momentum);
        long size = 0;
        for (NDArray array : arrays) {
            size += array.size() * array.getDataType().getNumOfBytes();
        }
        if (placement == Placement.DISK) {
            write(step, arrays);
        } else {
            NDList copies = new NDList(arrays.size());
            for (NDArray array : arrays) {
                NDArray copy = array.toDevice(manager.getDevice(), true);
                copy.attach(manager);
                copies.add(copy);
            }
            inMemory.put(step, copies);
        }
        sizes.put(step, size);
        bytes += size;
    }

    /**
     * Reads a checkpoint onto a manager's device.
     *
     * @param target the manager of the result
     * @param step a stored step
     * @return the weights, then the momentum buffers if stored
     * @throws IllegalArgumentException if the step is not stored
     */
    public NDList get(NDManager target, int step) {
        if (!sizes.containsKey(step)) {
            throw new IllegalArgumentException("No checkpoint is stored at step " + step);
        }
        NDList out = new NDList();
        if (placement == Placement.DISK) {
            try {
                for (NDArray array : NDList.decode(target, readChecked(step))) {
                    NDArray local = array.toDevice(target.getDevice(), false);
                    local.attach(target);
                    out.add(local);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "Cannot read the trajectory checkpoint "
                                + file(step)
                                + ": "
                                + e.getMessage(),
                        e);
            }
            return out;
        }
        for (NDArray array : inMemory.get(step)) {
            NDArray copy = array.toDevice(target.getDevice(), true);
            copy.attach(target);
            out.add(copy);
        }
        return out;
    }

    /**
     * Drops a checkpoint, if stored.
     *
     * @param step the step
     */
    public void remove(int step) {
        Long size = sizes.remove(step);
        if (size == null) {
            return;
        }
        bytes -= size;
        NDList arrays = inMemory.remove(step);
        if (arrays != null) {
            arrays.close();
        }
        if (placement == Placement.DISK) {
            try {
                Files.deleteIfExists(file(step));
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot delete " + file(step), e);
            }
        }
    }

    /**
     * Whether a checkpoint is stored at a step.
     *
     * @param step the step
     * @return true if stored
     */
    public boolean hasStep(int step) {
        return sizes.containsKey(step);
    }

    /**
     * Returns the stored steps, ascending.
     *
     * @return the steps
     */
    public int[] steps() {
        return sizes.keySet().stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Returns the bytes of all stored checkpoints.
     *
     * @return the size
     */
    public long bytes() {
        return bytes;
    }

    /**
     * Returns where checkpoints are kept.
     *
     * @return the placement
     */
    public Placement placement() {
        return placement;
    }

    /**
     * Describes the store for reports: count, size and place.
     *
     * @return e.g. "14 checkpoints, 6.6 MiB, on device cpu()"
     */
    public String describe() {
        String where =
                switch (placement) {
                    case DEVICE -> "on device " + manager.getDevice();
                    case HOST -> "in host memory";
                    case DISK -> "in files under " + directory;
                };
        return String.format(
                Locale.ROOT,
                "%d checkpoints, %s, %s",
                sizes.size(),
                StorePlanner.human(bytes),
                where);
    }

    /** Frees the checkpoints (and deletes their files). */
    @Override
    public void close() {
        for (int step : steps()) {
            remove(step);
        }
        manager.close();
        if (directory != null) {
            try (Stream<Path> files = Files.walk(directory)) {
                for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot delete " + directory, e);
            }
        }
    }

    private void write(int step, NDList arrays) {
        Path file = file(step);
        MessageDigest digest = Sha256.digest();
        try {
            AtomicFiles.write(file, out -> arrays.encode(new DigestOutputStream(out, digest)));
            checksums.put(step, Sha256.hex(digest));
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "Cannot write the trajectory checkpoint "
                            + file
                            + ": "
                            + e.getMessage()
                            + ". Free disk space or record into memory.",
                    e);
        }
    }

    /** The bytes of a checkpoint file, after checking them against the checksum written. */
    private byte[] readChecked(int step) throws IOException {
        byte[] bytes = Files.readAllBytes(file(step));
        MessageDigest digest = Sha256.digest();
        digest.update(bytes);
        if (!Sha256.hex(digest).equals(checksums.get(step))) {
            throw new IOException(
                    "its SHA-256 differs from the one recorded when it was written: the file was"
                            + " damaged or changed on the disk, and the replay cannot trust it."
                            + " Record the training again, or keep the checkpoints in memory");
        }
        return bytes;
    }

    private Path file(int step) {
        return directory.resolve("step-" + step + ".ndlist");
    }
}
