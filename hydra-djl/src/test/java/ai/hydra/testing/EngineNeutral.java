package ai.hydra.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Marks a test of the engine-neutral correctness core. {@code mvn verify} runs it twice: with every
 * other test on PyTorch, and again on DJL's MXNet engine (hydra-djl's pom, execution {@code
 * mxnet-engine}). Such a test uses only DJL's engine-neutral API (the engine it runs on is {@code
 * Engine.getInstance()}).
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("engine-neutral")
public @interface EngineNeutral {}
