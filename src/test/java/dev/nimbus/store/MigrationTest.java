package dev.nimbus.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data dir's database: its schema created fresh, kept across restarts, a newer one refused; its pages and how they are read. */
class MigrationTest {
    @TempDir
    Path dir;

    private static int userVersion(Path dataDir) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("nimbus.db"));
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("PRAGMA user_version")) {
            return rs.getInt(1);
        }
    }

    private void setUserVersion(int v) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("nimbus.db")); Statement s = c.createStatement()) {
            s.execute("PRAGMA user_version=" + v);
        }
    }

    private static int pageSize(Path dataDir) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("nimbus.db"));
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("PRAGMA page_size")) {
            return rs.getInt(1);
        }
    }

    @Test
    void aNewDatabaseHasEightKiBPagesAnOldOneKeepsItsOwn() throws SQLException {
        Path fresh = dir.resolve("fresh");
        try (SqliteStore s = SqliteStore.open(fresh)) {
            s.table("t").put("k", new byte[1500]);
        }
        assertEquals(8192, pageSize(fresh));
        Path old = dir.resolve("old");
        old.toFile().mkdirs();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + old.resolve("nimbus.db")); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE before_us (x)"); // a database made with SQLite's default 4 KiB pages
        }
        try (SqliteStore s = SqliteStore.open(old)) {
            s.table("t").put("k", new byte[1500]);
            assertEquals(1500, s.table("t").get("k").length);
        }
        assertEquals(4096, pageSize(old));
    }

    /** Reads come from a mapping of the file (PRAGMA mmap_size), which a SQLite built without mmap would silently ignore. */
    @Test
    void theDatabaseFileIsReadThroughAMapping() throws Exception {
        Path data = dir.resolve("mapped");
        try (SqliteStore s = SqliteStore.open(data)) {
            for (int i = 0; i < 200; i++) s.table("t").put("k" + i, new byte[1500]);
        } // closing checkpoints the WAL into the database file, where the next reads find the rows
        Path db = data.resolve("nimbus.db").toRealPath();
        try (SqliteStore s = SqliteStore.open(data)) {
            assertEquals(1500, s.table("t").get("k150").length);
            assertTrue(mapped(db), "nimbus.db is mapped");
        }
        assertFalse(mapped(db), "the mapping goes with the store");
    }

    /** Whether this process maps the file itself (its -shm, the WAL index, is always mapped). */
    private static boolean mapped(Path file) throws java.io.IOException {
        return java.nio.file.Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch(l -> l.endsWith(" " + file));
    }

    @Test
    void freshDirGetsTheSchemaAndReopeningKeepsData() throws SQLException {
        Path data = dir.resolve("not/yet/there");
        try (SqliteStore s = SqliteStore.open(data)) {
            s.table("t").put("k", "v".getBytes(StandardCharsets.UTF_8));
        }
        assertEquals(SqliteStore.MIGRATIONS.size(), userVersion(data));
        try (SqliteStore s = SqliteStore.open(data)) {
            assertArrayEquals("v".getBytes(StandardCharsets.UTF_8), s.table("t").get("k"));
        }
        assertEquals(SqliteStore.MIGRATIONS.size(), userVersion(data), "reopening runs no migration twice");
    }

    @Test
    void dataFromANewerNimbusIsRefusedClearly() throws SQLException {
        try (SqliteStore s = SqliteStore.open(dir)) {
            s.table("t").put("k", "v".getBytes(StandardCharsets.UTF_8));
        }
        int newer = SqliteStore.MIGRATIONS.size() + 1;
        setUserVersion(newer);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SqliteStore.open(dir));
        assertTrue(e.getMessage().contains("newer Nimbus"), e.getMessage());
        assertTrue(e.getMessage().contains("schema version " + newer), e.getMessage());
        assertTrue(e.getMessage().contains(dir.toAbsolutePath().toString()), "names the data dir: " + e.getMessage());
        assertEquals(newer, userVersion(dir), "the newer data is left untouched");

        // The refused open released everything: once the data fits again, it opens.
        setUserVersion(SqliteStore.MIGRATIONS.size());
        try (SqliteStore s = SqliteStore.open(dir)) {
            assertArrayEquals("v".getBytes(StandardCharsets.UTF_8), s.table("t").get("k"));
        }
    }

    @Test
    void aDataDirIsOpenOnceAtATime() {
        try (SqliteStore s = SqliteStore.open(dir)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> SqliteStore.open(dir.resolve(".")));
            assertTrue(e.getMessage().contains("already open"), e.getMessage());
            s.table("t").put("still", new byte[] {1});
            assertArrayEquals(new byte[] {1}, s.table("t").get("still"));
        }
        try (SqliteStore s = SqliteStore.open(dir)) {
            assertArrayEquals(new byte[] {1}, s.table("t").get("still"));
        }
    }
}
