package ai.hydra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.hydra.data.BundledData;
import ai.hydra.data.ImageData;
import ai.hydra.model.LeNet5;
import java.io.File;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library examples of README.md compile against the current API, and the first one runs (on a
 * slice of the bundled data). Each {@code ```java} block becomes the body of a method whose
 * parameters are the variables the README names.
 */
class ReadmeExampleTest {

    private static final Path README = Path.of("..", "README.md");

    private static final String PARAMETERS =
            "Model model, ImageData trainImages, ImageData testImages, NDManager manager,"
                    + " int epochs, Shape inputShape, Path reportDir";

    private static final String[] IMPORTS = {
        "ai.djl.Model",
        "ai.djl.ndarray.NDManager",
        "ai.djl.ndarray.types.DataType",
        "ai.djl.ndarray.types.Shape",
        "ai.djl.training.DefaultTrainingConfig",
        "ai.djl.training.EasyTrain",
        "ai.djl.training.Trainer",
        "ai.djl.training.dataset.ArrayDataset",
        "ai.djl.training.loss.Loss",
        "ai.hydra.attribution.*",
        "ai.hydra.checkpoint.Checkpoint",
        "ai.hydra.data.*",
        "ai.hydra.gradient.ShadowModel",
        "ai.hydra.influence.*",
        "ai.hydra.listener.HydraListener",
        "ai.hydra.listener.TrajectoryRecorder",
        "ai.hydra.model.LeNet5",
        "ai.hydra.recurrence.HydraMode",
        "ai.hydra.train.*",
        "java.nio.file.Path"
    };

    @TempDir Path temp;

    @Test
    void everyJavaExampleCompiles() throws Exception {
        long examples =
                java.util.Arrays.stream(compile().getDeclaredMethods())
                        .filter(m -> m.getName().startsWith("example"))
                        .count();
        assertEquals(3, examples, "three java examples in README.md");
    }

    @Test
    void libraryExampleRuns() throws Exception {
        Class<?> examples = compile();
        Method first = examples.getDeclaredMethod("example0", parameterTypes());
        ImageData train = BundledData.train().subset(IntStream.range(0, 256).toArray());
        ImageData test = BundledData.test().subset(IntStream.range(0, 50).toArray());
        Path report = Files.createDirectories(temp.resolve("report"));
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Model.newInstance("lenet5")) {
            model.setBlock(LeNet5.newBlock());
            first.invoke(
                    examples.getDeclaredConstructor().newInstance(),
                    model,
                    train,
                    test,
                    manager,
                    1,
                    LeNet5.INPUT_SHAPE,
                    report);
        }
        List<String> csv = Files.readAllLines(report.resolve("contributions.csv"));
        assertEquals(4, csv.size(), "three tracked samples and a header");
    }

    private static Class<?>[] parameterTypes() {
        return new Class<?>[] {
            Model.class,
            ImageData.class,
            ImageData.class,
            NDManager.class,
            int.class,
            Shape.class,
            Path.class
        };
    }

    /** Compiles every java block of the README into one class, example0, example1, ... */
    private Class<?> compile() throws Exception {
        String source = source(javaBlocks(Files.readString(README)));
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        assertNotNull(compiler, "the tests need a JDK");
        Path classes = Files.createDirectories(temp.resolve("classes"));
        StringWriter errors = new StringWriter();
        JavaFileObject file =
                new SimpleJavaFileObject(
                        URI.create("string:///ReadmeExamples.java"), JavaFileObject.Kind.SOURCE) {
                    @Override
                    public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                        return source;
                    }
                };
        List<String> options =
                List.of("-classpath", classPath(), "-d", classes.toString(), "-proc:none");
        boolean ok = compiler.getTask(errors, null, null, options, null, List.of(file)).call();
        assertTrue(ok, "README examples do not compile:\n" + errors + "\n" + source);
        URLClassLoader loader =
                new URLClassLoader(
                        new URL[] {classes.toUri().toURL()}, getClass().getClassLoader());
        return loader.loadClass("ReadmeExamples");
    }

    private static List<String> javaBlocks(String readme) {
        List<String> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }

    private static String source(List<String> blocks) {
        StringBuilder java = new StringBuilder();
        for (String name : IMPORTS) {
            java.append("import ").append(name).append(";\n");
        }
        java.append("public class ReadmeExamples {\n");
        for (int k = 0; k < blocks.size(); k++) {
            java.append("public void example")
                    .append(k)
                    .append('(')
                    .append(PARAMETERS)
                    .append(") throws Exception {\n")
                    .append(blocks.get(k))
                    .append("}\n");
        }
        return java.append("}\n").toString();
    }

    /** Surefire may hide the class path in a manifest-only jar; it names it in a property. */
    private static String classPath() {
        String path = System.getProperty("surefire.test.class.path");
        return path != null ? path : System.getProperty("java.class.path", "") + File.pathSeparator;
    }
}
