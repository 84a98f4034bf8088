package ai.hydra.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.hydra.testing.EngineNeutral;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The engine-neutral tests run on the engine the build names ({@code ai.djl.default_engine}), and
 * it is the only one on their classpath: a pass on MXNet is not PyTorch in disguise.
 */
@EngineNeutral
class EngineSelectionTest {

    @Test
    void testsRunOnTheNamedEngineAlone() {
        String named = System.getProperty("ai.djl.default_engine");
        assertEquals(named, Engine.getInstance().getEngineName());
        try (NDManager manager = NDManager.newBaseManager()) {
            assertEquals(named, manager.getEngine().getEngineName());
        }
        Set<String> engines = new HashSet<>(Engine.getAllEngines());
        engines.remove("RPC"); // DJL's remote-inference engine, part of its API jar
        assertEquals(Set.of(named), engines);
    }
}
