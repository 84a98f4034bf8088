package ai.hydra.io;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/** Writes CSV files (RFC 4180, Commons CSV's default format) atomically ({@link AtomicFiles}). */
public final class CsvFiles {

    private CsvFiles() {}

    /** Prints a CSV file's records. */
    @FunctionalInterface
    public interface Records {

        /**
         * Prints the records, after the header.
         *
         * @param csv the printer
         * @throws IOException if writing fails
         */
        void printTo(CSVPrinter csv) throws IOException;
    }

    /**
     * Writes a CSV file with a header line, replacing the file atomically.
     *
     * @param file the file
     * @param header the column names
     * @param records prints the records
     * @throws IOException if writing fails; {@code file} is then unchanged
     */
    public static void write(Path file, String[] header, Records records) throws IOException {
        AtomicFiles.writeText(
                file,
                writer -> {
                    CSVPrinter csv =
                            CSVFormat.DEFAULT.builder().setHeader(header).build().print(writer);
                    records.printTo(csv);
                    csv.flush();
                });
    }
}
