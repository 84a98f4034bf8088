package ai.hydra.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Marks a test that needs the PyTorch engine (e.g. a double-backward oracle through PyTorch's JNI):
 * it never runs on another engine, even inside a class marked {@link EngineNeutral}.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("pytorch-only")
public @interface PyTorchOnly {}
