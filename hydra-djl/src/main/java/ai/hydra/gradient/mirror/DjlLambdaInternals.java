package ai.hydra.gradient.mirror;

import ai.djl.nn.LambdaBlock;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Every reflective access the mirror makes to DJL's internals (DJL 0.35.1): the arguments DJL's
 * block factories ({@code Pool.maxPool2dBlock(kernel, stride, padding, ceilMode)}, {@code
 * Activation.leakyReluBlock(alpha)}, ...) capture in the lambda of the {@link LambdaBlock} they
 * return, which DJL does not expose.
 *
 * <p>What is read here is never trusted alone: {@link BlockMirror} recomputes the block's function
 * from the arguments on a probe input and compares it with the block's own output, so a DJL whose
 * lambdas capture differently makes the block "unknown" (handled as such), never silently wrong.
 */
final class DjlLambdaInternals {

    private DjlLambdaInternals() {}

    /**
     * Returns the values a DJL factory's lambda captured, in capture order.
     *
     * <p>The lambda is {@code LambdaBlock}'s private field {@code lambda}; a block made by {@code
     * LambdaBlock.singleton(function, name)} wraps the factory's function in a second lambda, which
     * is unwrapped. Captured values are the synthetic fields {@code arg$1, arg$2, ...} of the JDK's
     * lambda classes.
     *
     * @param block the block
     * @return the captured values (empty for a method reference or a non-capturing lambda), or
     *     empty if DJL's or the JDK's internals differ from the expected ones
     */
    static Optional<List<Object>> capturedArguments(LambdaBlock block) {
        try {
            Object lambda = read(LambdaBlock.class.getDeclaredField("lambda"), block);
            List<Object> captured = captured(lambda);
            if (isSingletonWrapper(lambda, captured)) {
                captured = captured(captured.get(0));
            }
            return Optional.of(captured);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * {@code LambdaBlock.singleton}'s lambda, defined in LambdaBlock, captures only the function.
     */
    private static boolean isSingletonWrapper(Object lambda, List<Object> captured) {
        return lambda.getClass().getName().startsWith(LambdaBlock.class.getName() + "$$Lambda")
                && captured.size() == 1
                && captured.get(0) instanceof Function;
    }

    private static List<Object> captured(Object lambda) throws ReflectiveOperationException {
        if (!lambda.getClass().isSynthetic() && !lambda.getClass().getName().contains("$$Lambda")) {
            throw new IllegalStateException("not a lambda: " + lambda.getClass());
        }
        List<Field> fields = new ArrayList<>();
        for (Field field : lambda.getClass().getDeclaredFields()) {
            if (!Modifier.isStatic(field.getModifiers())) {
                fields.add(field);
            }
        }
        fields.sort(Comparator.comparingInt(DjlLambdaInternals::argumentNumber));
        List<Object> values = new ArrayList<>(fields.size());
        for (Field field : fields) {
            values.add(read(field, lambda));
        }
        return values;
    }

    /** The n of a lambda class's field {@code arg$n}. */
    private static int argumentNumber(Field field) {
        String name = field.getName();
        int dollar = name.lastIndexOf('$');
        if (!name.startsWith("arg$") || dollar < 0) {
            throw new IllegalStateException("unexpected lambda field " + name);
        }
        return Integer.parseInt(name.substring(dollar + 1));
    }

    private static Object read(Field field, Object target) throws IllegalAccessException {
        field.setAccessible(true);
        return field.get(target);
    }
}
