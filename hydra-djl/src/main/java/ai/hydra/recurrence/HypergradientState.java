package ai.hydra.recurrence;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.hydra.store.HypergradientStore;
import ai.hydra.store.StoreFiles;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The pair (d, m) of every tracked sample: two stores, or one when momentum is 0 (then m never
 * feeds back into d and need not be kept).
 */
final class HypergradientState implements AutoCloseable {

    private final HypergradientStore d;
    private final HypergradientStore m;

    HypergradientState(HypergradientStore d, HypergradientStore m) {
        this.d = d;
        this.m = m;
    }

    HypergradientStore d() {
        return d;
    }

    boolean hasMomentum() {
        return m != null;
    }

    int rows() {
        return d.rows();
    }

    NDArray readD(NDManager manager, int[] rows) {
        return d.read(manager, rows);
    }

    /** Reads m, or zeros when momentum is not kept. */
    NDArray readM(NDManager manager, int[] rows, NDArray like) {
        return m == null ? like.zerosLike() : m.read(manager, rows);
    }

    void write(int[] rows, NDArray newD, NDArray newM) {
        d.write(rows, newD);
        if (m != null) {
            m.write(rows, newM);
        }
    }

    void save(NDManager manager, Path directory, String prefix) throws IOException {
        StoreFiles.save(d, manager, directory.resolve(prefix + "-d.bin"));
        if (m != null) {
            StoreFiles.save(m, manager, directory.resolve(prefix + "-m.bin"));
        }
    }

    void load(NDManager manager, Path directory, String prefix) throws IOException {
        StoreFiles.load(d, manager, directory.resolve(prefix + "-d.bin"));
        if (m != null) {
            StoreFiles.load(m, manager, directory.resolve(prefix + "-m.bin"));
        }
    }

    @Override
    public void close() {
        d.close();
        if (m != null) {
            m.close();
        }
    }
}
