package ai.hydra.recurrence;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.hydra.store.HypergradientStore;
import java.util.LinkedHashMap;
import java.util.Map;

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

    /** The stores by name: d, and m when momentum is kept. */
    Map<String, HypergradientStore> stores() {
        Map<String, HypergradientStore> stores = new LinkedHashMap<>();
        stores.put("d", d);
        if (m != null) {
            stores.put("m", m);
        }
        return stores;
    }

    @Override
    public void close() {
        d.close();
        if (m != null) {
            m.close();
        }
    }
}
