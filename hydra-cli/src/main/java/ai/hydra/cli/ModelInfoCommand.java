package ai.hydra.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.hydra.model.Models;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hydra model-info}: prints the trainable parameter count of the built-in models. */
@Command(
        name = "model-info",
        mixinStandardHelpOptions = true,
        description =
                "Print the number of trainable parameters of a model (all models by default).")
public class ModelInfoCommand extends HydraSubcommand {

    @Option(
            names = {"-m", "--model"},
            paramLabel = "NAME",
            completionCandidates = ModelNames.class,
            description = "The model: ${COMPLETION-CANDIDATES}.")
    String model;

    @Override
    protected int execute() {
        List<String> names = model == null ? Models.NAMES : List.of(checked(model));
        for (String name : names) {
            Shape input = Models.inputShape(name);
            long count;
            try (NDManager manager = NDManager.newBaseManager()) {
                count = Models.countTrainableParameters(Models.newBlock(name), input, manager);
            }
            out().printf(
                            Locale.US,
                            "%s: %,d trainable parameters (input %s)%n",
                            name,
                            count,
                            imageShape(input));
        }
        out().flush();
        return 0;
    }

    /** Formats (1, C, H, W) as CxHxW. */
    private static String imageShape(Shape input) {
        StringBuilder text = new StringBuilder();
        for (int i = 1; i < input.dimension(); i++) {
            text.append(i > 1 ? "x" : "").append(input.get(i));
        }
        return text.toString();
    }

    private static String checked(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (!Models.NAMES.contains(lower)) {
            throw new UsageException(
                    "unknown model '"
                            + name
                            + "'; choose one of "
                            + String.join(", ", Models.NAMES));
        }
        return lower;
    }

    /** The model names, for help and shell completion. */
    static final class ModelNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Models.NAMES.iterator();
        }
    }
}
