package ai.hydra.experiment;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.DuplicateKeyException;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Reads configuration text strictly: UTF-8 only, and no key given twice in one mapping (SnakeYAML
 * would otherwise keep the last value without a word).
 */
final class ConfigYaml {

    private static final String DUPLICATE_PREFIX = "found duplicate key ";

    private ConfigYaml() {}

    /** Returns a loader of plain data (no custom tags) that refuses duplicate keys. */
    static Yaml loader() {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        return new Yaml(new SafeConstructor(options));
    }

    /**
     * Describes a key given twice, e.g. "gives the key 'seed' twice (again at line 3, column 1)".
     *
     * @param e SnakeYAML's error
     * @return the description, without the subject (the file or override)
     */
    static String describe(DuplicateKeyException e) {
        String problem = String.valueOf(e.getProblem());
        String key =
                problem.startsWith(DUPLICATE_PREFIX)
                        ? problem.substring(DUPLICATE_PREFIX.length())
                        : problem;
        String where =
                e.getProblemMark() == null
                        ? ""
                        : " (again at line "
                                + (e.getProblemMark().getLine() + 1)
                                + ", column "
                                + (e.getProblemMark().getColumn() + 1)
                                + ")";
        return "gives the key '" + key + "' twice" + where + "; keep only one of them";
    }

    /**
     * Decodes a config file as UTF-8, refusing malformed bytes instead of replacing them.
     *
     * @param bytes the file's content
     * @param file the file name used in the message
     * @return the text
     * @throws ConfigException naming the file, the line and the first bad byte
     */
    static String decodeUtf8(byte[] bytes, String file) {
        CharsetDecoder decoder =
                StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            int at = in.position();
            int line = 1;
            for (int i = 0; i < at; i++) {
                line += bytes[i] == '\n' ? 1 : 0;
            }
            throw new ConfigException(
                    "config file "
                            + file
                            + " is not UTF-8 text: byte 0x"
                            + String.format("%02x", bytes[at] & 0xff)
                            + " on line "
                            + line
                            + " (byte offset "
                            + at
                            + ") is not valid UTF-8; was it saved as Latin-1, Windows-1252 or"
                            + " UTF-16? Save it as UTF-8");
        }
        decoder.flush(out);
        return out.flip().toString();
    }
}
