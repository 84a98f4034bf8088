package ai.hydra.gradient.mirror;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.nn.convolutional.Deconvolution;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.util.Pair;
import ai.hydra.train.DjlInternals;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Function;

/**
 * A functional copy of a block tree whose kinks can be frozen: it computes the block's forward with
 * whatever parameters a {@link MirrorPass} hands out, and either records the piecewise-linear
 * choices (ReLU masks, max-pool selections) or replays recorded ones.
 *
 * <p>DJL has no activation hooks, so the mirror walks the tree itself: {@link SequentialBlock}s are
 * chained child by child, {@link ParallelBlock}s run their branches through the pass and join them
 * with their own function (known only when that join is checked linear and sample-wise on a probe),
 * blocks implementing {@link MirroredBlock} run their own mirrored forward, DJL's factory blocks
 * ({@code Activation.reluBlock()}, {@code Pool.maxPool2dBlock(...)}, ...) are recognized (see
 * {@link KnownLambdas}), and the smooth parametric layers ({@link Linear}, {@link Convolution},
 * {@link Deconvolution}, {@link BatchNorm}, {@link LayerNorm}) run as they are. Any other block
 * also runs as it is but may hide a kink the mirror cannot freeze: it is listed by {@link
 * #unfrozenBlocks()}, and users of the mirror must check for crossings themselves.
 */
public final class BlockMirror {

    private static final long PARALLEL_PROBE_SEED = 20210524L;

    private final Block block;
    private final Map<Block, Node> nodes = new IdentityHashMap<>();
    private final List<String> unfrozen = new ArrayList<>();
    private final List<String> unbatched = new ArrayList<>();

    private BlockMirror(Block block) {
        this.block = block;
        visit(block, "the model");
    }

    /**
     * Mirrors an initialized block.
     *
     * @param block the block; its factory blocks are recognized from their initialized shapes
     * @return the mirror
     */
    public static BlockMirror of(Block block) {
        return new BlockMirror(block);
    }

    /**
     * Returns the mirrored block.
     *
     * @return the block
     */
    public Block block() {
        return block;
    }

    /**
     * Whether every kink of the block is frozen by frozen passes, i.e. no block runs as it is
     * without being known to be smooth.
     *
     * @return true if a frozen pass is a smooth function of the weights
     */
    public boolean freezesEveryKink() {
        return unfrozen.isEmpty();
    }

    /**
     * Describes the blocks that run as they are and may hide kinks (unknown block types, lambdas
     * that are not DJL's factory blocks).
     *
     * @return one description per block, with its path in the tree
     */
    public List<String> unfrozenBlocks() {
        return Collections.unmodifiableList(unfrozen);
    }

    /**
     * Whether a {@link MirrorPass#probing probing pass} gives every sample's parameter gradients of
     * a batch: every block is known, treats samples independently, and its parameters (if any)
     * belong to layers {@link SampleProbes} supports.
     *
     * @return true if per-sample gradients can be batched
     */
    public boolean batchesSamples() {
        return unbatched.isEmpty();
    }

    /**
     * Describes the blocks that keep per-sample gradients from being batched (see {@link
     * #batchesSamples()}).
     *
     * @return one description per block, with its path in the tree and why
     */
    public List<String> unbatchedBlocks() {
        return Collections.unmodifiableList(unbatched);
    }

    Node node(Block child) {
        Node node = nodes.get(child);
        if (node == null) {
            throw new IllegalStateException(
                    "Block "
                            + child
                            + " is not part of the mirrored tree: a MirroredBlock may forward only"
                            + " its own children");
        }
        return node;
    }

    private void visit(Block current, String path) {
        if (nodes.containsKey(current)) {
            return; // a block shared by several parents is mirrored once
        }
        Optional<Node> known = classify(current);
        String batching = batchingObstacle(current, known.isPresent());
        if (batching != null) {
            unbatched.add(path + " (" + describe(current) + ": " + batching + ")");
        }
        if (known.isPresent()) {
            nodes.put(current, known.get());
            if (current instanceof MirroredBlock
                    || current instanceof SequentialBlock
                    || current instanceof ParallelBlock) {
                for (Pair<String, Block> child : current.getChildren()) {
                    visit(child.getValue(), path + "/" + child.getKey());
                }
            }
            return;
        }
        nodes.put(current, asIs(current));
        unfrozen.add(path + " (" + describe(current) + ")");
    }

    private static String describe(Block block) {
        return block instanceof LambdaBlock
                ? "LambdaBlock '" + ((LambdaBlock) block).getName() + "'"
                : block.getClass().getName();
    }

    /** Why a block keeps per-sample gradients from being batched, or null if it does not. */
    private static String batchingObstacle(Block block, boolean known) {
        if (SampleProbes.supports(block)) {
            return null;
        }
        if (!known) {
            return "unknown block, may mix samples";
        }
        if (!block.getDirectParameters().isEmpty()) {
            return "no batched per-sample gradient for its parameters";
        }
        return null;
    }

    private static Optional<Node> classify(Block block) {
        if (block instanceof MirroredBlock) {
            MirroredBlock mirrored = (MirroredBlock) block;
            return Optional.of(mirrored::mirrorForward);
        }
        if (block instanceof SequentialBlock) {
            return Optional.of(sequence((SequentialBlock) block));
        }
        if (block instanceof ParallelBlock) {
            return parallel((ParallelBlock) block);
        }
        if (block instanceof LambdaBlock) {
            return KnownLambdas.recognize((LambdaBlock) block);
        }
        if (block instanceof BatchNorm) {
            return Optional.of((pass, inputs) -> pass.batchNorm((BatchNorm) block, inputs));
        }
        if (block instanceof LayerNorm) {
            return Optional.of((pass, inputs) -> pass.layerNorm((LayerNorm) block, inputs));
        }
        if (SampleProbes.supports(block)) {
            return Optional.of((pass, inputs) -> pass.layer(block, inputs));
        }
        if (block instanceof Deconvolution) {
            return Optional.of(asIs(block));
        }
        return Optional.empty();
    }

    /** Runs a block as it is: its forward, with the pass's parameters and training flag. */
    static Node asIs(Block block) {
        return (pass, inputs) -> block.forward(pass.parameterStore(), inputs, pass.isTraining());
    }

    /** {@link SequentialBlock}'s forward, children through the pass. */
    private static Node sequence(SequentialBlock block) {
        List<Block> children = block.getChildren().values();
        boolean intermediate = block.isReturnIntermediate();
        return (pass, inputs) -> {
            NDList current = inputs;
            NDList all = new NDList();
            for (Block child : children) {
                current = pass.forward(child, current);
                all.addAll(current);
            }
            return intermediate ? all : current;
        };
    }

    /**
     * {@link ParallelBlock}'s forward, branches through the pass, their outputs joined by the
     * block's own function. Known only if the join is smooth and keeps samples apart, which is
     * checked on a probe: the join of a batch of two must equal the joins of each row alone, and
     * its derivative must not depend on the values (a join that only concatenates, adds or stacks
     * the branches' outputs is linear).
     */
    private static Optional<Node> parallel(ParallelBlock block) {
        List<Block> children = block.getChildren().values();
        Function<List<NDList>, NDList> join = DjlInternals.parallelJoin(block);
        if (!block.isInitialized() || !joinIsLinearPerSample(block, children, join)) {
            return Optional.empty();
        }
        return Optional.of(
                (pass, inputs) -> {
                    List<NDList> outputs = new ArrayList<>(children.size());
                    for (Block child : children) {
                        outputs.add(pass.forward(child, inputs));
                    }
                    return join.apply(outputs);
                });
    }

    /**
     * Whether the join is linear and maps each sample's branch outputs to that sample's output
     * alone: join(a + 2b) = join(a) + 2 join(b) on random branch outputs of batch 2, and row k of
     * the joined batch equals the join of row k alone.
     */
    private static boolean joinIsLinearPerSample(
            ParallelBlock block, List<Block> children, Function<List<NDList>, NDList> join) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Shape[] in = block.getInputShapes();
            Shape[] batchOfTwo = new Shape[in.length];
            for (int i = 0; i < in.length; i++) {
                batchOfTwo[i] = new Shape(2).addAll(in[i].slice(1));
            }
            List<NDList> a = new ArrayList<>();
            List<NDList> b = new ArrayList<>();
            List<NDList> combined = new ArrayList<>();
            List<List<NDList>> rows = List.of(new ArrayList<>(), new ArrayList<>());
            Random random = new Random(PARALLEL_PROBE_SEED);
            for (Block child : children) {
                NDList first = new NDList();
                NDList second = new NDList();
                NDList sum = new NDList();
                for (Shape shape : child.getOutputShapes(batchOfTwo)) {
                    NDArray x = KnownLambdas.gaussian(manager, shape, random);
                    NDArray y = KnownLambdas.gaussian(manager, shape, random);
                    first.add(x);
                    second.add(y);
                    sum.add(x.add(y.mul(2)));
                }
                a.add(first);
                b.add(second);
                combined.add(sum);
                for (int k = 0; k < 2; k++) {
                    NDList row = new NDList();
                    for (NDArray x : first) {
                        row.add(x.get(new NDIndex("{}:{}", k, k + 1)));
                    }
                    rows.get(k).add(row);
                }
            }
            NDArray joinedA = join.apply(a).singletonOrThrow();
            NDArray linear = joinedA.add(join.apply(b).singletonOrThrow().mul(2));
            if (!join.apply(combined).singletonOrThrow().allClose(linear, 1e-12, 1e-12, false)) {
                return false;
            }
            for (int k = 0; k < 2; k++) {
                NDArray alone = join.apply(rows.get(k)).singletonOrThrow();
                if (!alone.contentEquals(joinedA.get(new NDIndex("{}:{}", k, k + 1)))) {
                    return false;
                }
            }
            return true;
        } catch (RuntimeException e) {
            return false; // a join this probe cannot run is not recognized
        }
    }

    /** The mirrored forward of one block. */
    @FunctionalInterface
    interface Node {

        NDList forward(MirrorPass pass, NDList inputs);
    }
}
