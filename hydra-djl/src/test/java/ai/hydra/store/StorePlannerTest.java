package ai.hydra.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Budgets say where their numbers come from and how to change them. */
class StorePlannerTest {

    private static final int ROWS = 1_000_000;
    private static final long COLUMNS = 1_000_000_000L; // 4 PB of float32: fits nowhere

    @TempDir Path temp;

    @Test
    void explicitBudgetIsNamed() {
        StorePlanner planner =
                StorePlanner.builder()
                        .optPlacement(StorePlanner.Placement.DEVICE)
                        .optDeviceBudget(2048)
                        .build();
        String message = refused(planner, 10, 100);
        assertTrue(message.contains("device budget is 2.0 KiB"), message);
        assertTrue(message.contains("optDeviceBudget"), message);
        assertTrue(message.contains("10 x 100 x 4 bytes x 2"), message);
    }

    /** A CPU device store is native memory: its budget follows the memory, not -Xmx. */
    @Test
    void cpuDeviceBudgetIsHalfTheAvailableMemoryNotTheHeap() {
        StorePlanner planner =
                StorePlanner.builder().optPlacement(StorePlanner.Placement.DEVICE).build();
        String message = refused(planner, ROWS, COLUMNS);
        assertTrue(message.contains("native memory, not Java heap"), message);
        assertFalse(message.contains("-Xmx"), message);
        if (HostMemory.available().isPresent()) {
            assertTrue(message.contains("of available memory"), message);
        }
    }

    @Test
    void hostBudgetNamesTheDirectMemoryLimitOrTheMemory() {
        StorePlanner planner =
                StorePlanner.builder().optPlacement(StorePlanner.Placement.HOST).build();
        String message = refused(planner, ROWS, COLUMNS);
        assertTrue(
                message.contains("direct-memory limit") || message.contains("available memory"),
                message);
        assertTrue(message.contains("optHostBudget"), message);
    }

    @Test
    void autoFailureListsEveryBudget() {
        StorePlanner planner = StorePlanner.builder().optDirectory(temp).build();
        String message = refused(planner, ROWS, COLUMNS);
        for (String part :
                new String[] {
                    "device budget is", "host budget is", "disk budget is", "Track fewer samples"
                }) {
            assertTrue(message.contains(part), message);
        }
    }

    @Test
    void autoPrefersTheDevice() {
        StorePlanner.Plan plan =
                StorePlanner.builder()
                        .optDirectory(temp)
                        .build()
                        .plan(10, 100, DataType.FLOAT32, 2, Device.cpu());
        assertEquals(StorePlanner.Placement.DEVICE, plan.placement());
        assertEquals(8000, plan.bytes());
    }

    @Test
    void directMemoryLimitIsTheHeapByDefault() {
        HostMemory.Reading limit = HostMemory.directMemoryLimit();
        assertTrue(limit.bytes() > 0);
        assertTrue(
                limit.source().contains("-Xmx") || limit.source().contains("MaxDirectMemorySize"),
                limit.source());
    }

    private static String refused(StorePlanner planner, int rows, long columns) {
        return assertThrows(
                        IllegalStateException.class,
                        () -> planner.plan(rows, columns, DataType.FLOAT32, 2, Device.cpu()))
                .getMessage();
    }
}
