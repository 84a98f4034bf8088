package ai.hydra.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files replaced atomically, folders claimed by one run, folders checked for writing. */
class AtomicFilesTest {

    @TempDir Path temp;

    /** A write that fails half-way (as on a full disk) leaves the previous file and no debris. */
    @Test
    void failedWriteKeepsThePreviousFile() throws Exception {
        Path file = temp.resolve("report.csv");
        AtomicFiles.writeString(file, "old,complete\n");
        IOException e =
                assertThrows(
                        IOException.class,
                        () ->
                                AtomicFiles.write(
                                        file,
                                        out -> {
                                            out.write("new,part".getBytes());
                                            throw new IOException("No space left on device");
                                        }));
        assertEquals("No space left on device", e.getMessage());
        assertEquals("old,complete\n", Files.readString(file));
        assertEquals(List.of(file), list(temp), "no temporary file is left");
        AtomicFiles.writeText(file, writer -> writer.write("new,complete\n"));
        assertEquals("new,complete\n", Files.readString(file));
        assertEquals(List.of(file), list(temp));
    }

    /** Issue 10: two runs writing to the same --out mixed their files. */
    @Test
    void aClaimedFolderIsRefusedToASecondRun() throws Exception {
        Path lockFile = temp.resolve("out/.hydra.lock");
        try (FolderLock first = FolderLock.acquire(lockFile, "report folder out")) {
            assertTrue(FolderLock.isHeld(lockFile));
            FolderInUseException e =
                    assertThrows(
                            FolderInUseException.class,
                            () -> FolderLock.acquire(lockFile, "report folder out"));
            assertTrue(
                    e.getMessage()
                            .startsWith(
                                    "The report folder out is in use by another hydra run"
                                            + " (process "
                                            + ProcessHandle.current().pid()
                                            + ")"),
                    e.getMessage());
        }
        assertTrue(!FolderLock.isHeld(lockFile), "released on close");
        FolderLock.acquire(lockFile, "report folder out").close();
    }

    /** Issue 10: an --out that is a file was found only after training. */
    @Test
    void aFileInPlaceOfAFolderIsNotWritable() throws Exception {
        Path file = Files.writeString(temp.resolve("taken"), "x");
        IOException e =
                assertThrows(
                        IOException.class,
                        () -> Folders.requireWritable(file, "report folder (--out)"));
        assertTrue(
                e.getMessage().startsWith("Cannot write to the report folder (--out) " + file),
                e.getMessage());
        assertTrue(e.getMessage().contains("not a folder"), e.getMessage());
        IOException below =
                assertThrows(
                        IOException.class,
                        () -> Folders.requireWritable(file.resolve("sub"), "checkpoint folder"));
        assertTrue(below.getMessage().contains("checkpoint folder"), below.getMessage());
        Path fresh = Folders.requireWritable(temp.resolve("a/b"), "report folder");
        assertTrue(Files.isDirectory(fresh));
        assertEquals(List.of(), list(fresh), "the probe file is removed");
    }

    private static List<Path> list(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.sorted().toList();
        }
    }
}
