package ai.hydra.store;

import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;

/**
 * A process that creates a disk store and waits to be killed (for {@link StoreLifetimeTest}):
 * arguments are the store directory, rows and columns; prints READY once the store exists.
 */
public final class StoreHolder {

    private StoreHolder() {}

    public static void main(String[] args) throws Exception {
        MappedFileStore store =
                new MappedFileStore(
                        Path.of(args[0]),
                        "free-d",
                        Integer.parseInt(args[1]),
                        Long.parseLong(args[2]),
                        DataType.FLOAT32);
        System.out.println("READY " + store.describe());
        System.out.flush();
        Thread.sleep(120_000);
        store.close();
    }
}
