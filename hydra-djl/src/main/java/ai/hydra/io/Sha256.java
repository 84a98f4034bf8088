package ai.hydra.io;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 digests (checksums of files, fingerprints of data and settings), as hex text. */
public final class Sha256 {

    private Sha256() {}

    /**
     * Creates a SHA-256 digest.
     *
     * @return a fresh digest
     */
    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("This Java runtime lacks SHA-256", e);
        }
    }

    /**
     * Completes a digest and formats it.
     *
     * @param digest the digest
     * @return its 64 lowercase hex digits
     */
    public static String hex(MessageDigest digest) {
        return HexFormat.of().formatHex(digest.digest());
    }
}
