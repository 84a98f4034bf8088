package ai.hydra.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;

/** Indexing every array of an {@link NDList} (inputs and labels) the same way. */
public final class NDLists {

    private NDLists() {}

    /**
     * Applies one index to every array.
     *
     * @param list the arrays, batch axis first
     * @param index the index, e.g. a row range
     * @return the indexed arrays (attached to each array's manager)
     */
    public static NDList get(NDList list, NDIndex index) {
        NDList out = new NDList(list.size());
        for (NDArray array : list) {
            out.add(array.get(index));
        }
        return out;
    }

    /**
     * Gathers the same rows from every array.
     *
     * @param list the arrays, batch axis first
     * @param rows the row numbers (an integer array)
     * @return the gathered arrays
     */
    public static NDList get(NDList list, NDArray rows) {
        NDList out = new NDList(list.size());
        for (NDArray array : list) {
            out.add(array.get(rows));
        }
        return out;
    }
}
