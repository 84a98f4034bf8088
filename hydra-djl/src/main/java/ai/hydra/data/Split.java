package ai.hydra.data;

/** The two standard splits of a dataset. */
public enum Split {
    /** The training split (60,000 images for the MNIST variants, 50,000 for CIFAR-10). */
    TRAIN,
    /** The test split (10,000 images). */
    TEST
}
