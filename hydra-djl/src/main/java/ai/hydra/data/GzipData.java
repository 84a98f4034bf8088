package ai.hydra.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Strict gzip decoding (RFC 1952) of a whole file in memory. Members may follow one another (as
 * {@code cat a.gz b.gz} makes), but anything else after the last member is an error: {@link
 * java.util.zip.GZIPInputStream} silently ignores such trailing bytes, which hides a damaged or
 * appended-to file.
 */
final class GzipData {

    private static final int FHCRC = 2;
    private static final int FEXTRA = 4;
    private static final int FNAME = 8;
    private static final int FCOMMENT = 16;
    private static final int RESERVED = 0xe0;

    private GzipData() {}

    /** Returns true if {@code bytes} start with the gzip magic number. */
    static boolean isGzip(byte[] bytes, int offset) {
        return bytes.length - offset >= 2
                && (bytes[offset] & 0xff) == 0x1f
                && (bytes[offset + 1] & 0xff) == 0x8b;
    }

    /**
     * Inflates every member of a gzip file.
     *
     * @param bytes the whole file, starting with the gzip magic number
     * @param name the file name used in error messages
     * @return the concatenated content of all members
     * @throws IOException naming the file if it is truncated, corrupt or has trailing bytes
     */
    static byte[] inflate(byte[] bytes, String name) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(sizeHint(bytes));
        int offset = 0;
        do {
            if (offset > 0 && !isGzip(bytes, offset)) {
                throw new IOException(
                        "File "
                                + name
                                + " has "
                                + (bytes.length - offset)
                                + " bytes after the end of its gzip data (at byte "
                                + offset
                                + "); it is damaged or something was appended to it;"
                                + " download it again");
            }
            try {
                offset = inflateMember(bytes, offset, out);
            } catch (IOException | DataFormatException e) {
                throw new IOException(
                        "File "
                                + name
                                + " is a corrupt or truncated gzip file ("
                                + e.getMessage()
                                + (offset > 0
                                        ? " in the gzip member starting at byte " + offset
                                        : "")
                                + "); download it again",
                        e);
            }
        } while (offset < bytes.length);
        return out.toByteArray();
    }

    /** Inflates the member at {@code start} into {@code out}; returns the offset after it. */
    private static int inflateMember(byte[] bytes, int start, ByteArrayOutputStream out)
            throws IOException, DataFormatException {
        int offset = skipHeader(bytes, start);
        Inflater inflater = new Inflater(true);
        CRC32 crc = new CRC32();
        long size = 0;
        try {
            inflater.setInput(bytes, offset, bytes.length - offset);
            byte[] buffer = new byte[1 << 16];
            while (!inflater.finished()) {
                int n = inflater.inflate(buffer);
                if (n == 0 && !inflater.finished()) {
                    throw new IOException("unexpected end of the compressed data");
                }
                out.write(buffer, 0, n);
                crc.update(buffer, 0, n);
                size += n;
            }
            offset = bytes.length - inflater.getRemaining();
        } finally {
            inflater.end();
        }
        require(bytes, offset, 8, "trailer");
        if (littleEndian(bytes, offset) != crc.getValue()) {
            throw new IOException("CRC-32 mismatch");
        }
        if (littleEndian(bytes, offset + 4) != (size & 0xffffffffL)) {
            throw new IOException("size mismatch");
        }
        return offset + 8;
    }

    /** Checks a member header and returns the offset of its compressed data. */
    private static int skipHeader(byte[] bytes, int start) throws IOException {
        require(bytes, start, 10, "header");
        int method = bytes[start + 2] & 0xff;
        int flags = bytes[start + 3] & 0xff;
        if (method != 8 || (flags & RESERVED) != 0) {
            throw new IOException("not a deflate gzip header");
        }
        int offset = start + 10;
        if ((flags & FEXTRA) != 0) {
            require(bytes, offset, 2, "header");
            offset += 2 + ((bytes[offset] & 0xff) | (bytes[offset + 1] & 0xff) << 8);
        }
        if ((flags & FNAME) != 0) {
            offset = skipZeroTerminated(bytes, offset);
        }
        if ((flags & FCOMMENT) != 0) {
            offset = skipZeroTerminated(bytes, offset);
        }
        if ((flags & FHCRC) != 0) {
            require(bytes, offset, 2, "header");
            CRC32 crc = new CRC32();
            crc.update(bytes, start, offset - start);
            int expected = (bytes[offset] & 0xff) | (bytes[offset + 1] & 0xff) << 8;
            if (expected != (int) (crc.getValue() & 0xffff)) {
                throw new IOException("header CRC mismatch");
            }
            offset += 2;
        }
        require(bytes, offset, 0, "header");
        return offset;
    }

    /**
     * The content size the last trailer declares (exact for one member), within deflate's limit.
     */
    private static int sizeHint(byte[] bytes) {
        long declared = bytes.length < 4 ? 0 : littleEndian(bytes, bytes.length - 4);
        long limit = Math.min(Integer.MAX_VALUE - 8, 1032L * bytes.length); // deflate's max ratio
        return (int) Math.max(32, Math.min(declared, limit));
    }

    private static int skipZeroTerminated(byte[] bytes, int offset) throws IOException {
        for (int i = offset; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                return i + 1;
            }
        }
        throw new IOException("unexpected end of the header");
    }

    private static void require(byte[] bytes, int offset, int count, String part)
            throws IOException {
        if (offset > bytes.length || bytes.length - offset < count) {
            throw new IOException("unexpected end of the " + part);
        }
    }

    private static long littleEndian(byte[] bytes, int offset) {
        return (bytes[offset] & 0xffL)
                | (bytes[offset + 1] & 0xffL) << 8
                | (bytes[offset + 2] & 0xffL) << 16
                | (bytes[offset + 3] & 0xffL) << 24;
    }
}
