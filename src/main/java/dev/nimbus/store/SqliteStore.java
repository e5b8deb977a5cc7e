package dev.nimbus.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The embedded store: SQLite in WAL mode through JDBC, all tables in one key-value relation.
 *
 * Durability: WAL with synchronous=NORMAL survives a killed server (kill -9) for every
 * acknowledged write, because a committed transaction is in the OS before the call returns; only a
 * power loss may drop the last transactions. One connection behind a lock serializes access: SQLite
 * has a single writer anyway, and point reads take microseconds.
 */
public final class SqliteStore implements Store {
    /** Schema migrations, applied in order; PRAGMA user_version records how many ran. Append only. */
    private static final List<String> MIGRATIONS = List.of(
            "CREATE TABLE kv (tbl TEXT NOT NULL, k TEXT NOT NULL, v BLOB NOT NULL, PRIMARY KEY (tbl, k)) WITHOUT ROWID");

    /** Highest code point in UTF-8 order: every key with the prefix sorts below prefix + this. */
    private static final String MAX_SUFFIX = new String(Character.toChars(Character.MAX_CODE_POINT));

    private final Connection conn;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Table> tables = new ConcurrentHashMap<>();
    private final FileBlobs blobs;
    private final Path tempDir;
    private final PreparedStatement get, put, putIfAbsent, delete, scanFirst, scanAfter, count;

    private SqliteStore(String url, Path blobDir, Path tempDir) {
        this.tempDir = tempDir;
        try {
            conn = DriverManager.getConnection(url);
            try (Statement s = conn.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=NORMAL");
                s.execute("PRAGMA busy_timeout=5000");
            }
            migrate();
            get = conn.prepareStatement("SELECT v FROM kv WHERE tbl=? AND k=?");
            put = conn.prepareStatement("INSERT OR REPLACE INTO kv (tbl, k, v) VALUES (?, ?, ?)");
            putIfAbsent = conn.prepareStatement("INSERT OR IGNORE INTO kv (tbl, k, v) VALUES (?, ?, ?)");
            delete = conn.prepareStatement("DELETE FROM kv WHERE tbl=? AND k=?");
            scanFirst = conn.prepareStatement("SELECT k, v FROM kv WHERE tbl=? AND k>=? AND k<? ORDER BY k LIMIT ?");
            scanAfter = conn.prepareStatement("SELECT k, v FROM kv WHERE tbl=? AND k>? AND k<? ORDER BY k LIMIT ?");
            count = conn.prepareStatement("SELECT count(*) FROM kv WHERE tbl=? AND k>=? AND k<?");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open store " + url + ": " + e.getMessage(), e);
        }
        this.blobs = new FileBlobs(blobDir);
    }

    /** The durable store in {@code dataDir} (created if needed). */
    public static SqliteStore open(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data dir " + dataDir, e);
        }
        return new SqliteStore("jdbc:sqlite:" + dataDir.resolve("nimbus.db"), dataDir.resolve("blobs"), null);
    }

    /** Everything in memory (blobs in a temporary directory removed on close): for tests and --ephemeral. */
    public static SqliteStore inMemory() {
        try {
            Path tmp = Files.createTempDirectory("nimbus-ephemeral-");
            return new SqliteStore("jdbc:sqlite:file:nimbus-" + UUID.randomUUID() + "?mode=memory&cache=shared", tmp.resolve("blobs"), tmp);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void migrate() throws SQLException {
        int version;
        try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("PRAGMA user_version")) {
            version = rs.next() ? rs.getInt(1) : 0;
        }
        if (version > MIGRATIONS.size()) {
            throw new IllegalStateException("the data dir was written by a newer Nimbus (schema " + version + ", this one knows " + MIGRATIONS.size() + ")");
        }
        for (int i = version; i < MIGRATIONS.size(); i++) {
            conn.setAutoCommit(false);
            try (Statement s = conn.createStatement()) {
                s.execute(MIGRATIONS.get(i));
                s.execute("PRAGMA user_version=" + (i + 1));
                conn.commit();
            } catch (SQLException e) {
                conn.rollback();
                throw e;
            } finally {
                conn.setAutoCommit(true);
            }
        }
    }

    @Override
    public Table table(String name) {
        return tables.computeIfAbsent(name, SqlTable::new);
    }

    @Override
    public <T> T transaction(Supplier<T> work) {
        lock.lock();
        try {
            if (lock.getHoldCount() > 1) return work.get(); // nested: joins the outer transaction
            conn.setAutoCommit(false);
            try {
                T result = work.get();
                conn.commit();
                return result;
            } catch (RuntimeException | Error e) {
                conn.rollback();
                throw e;
            } finally {
                conn.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("store transaction failed: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Blobs blobs() {
        return blobs;
    }

    @Override
    public void close() {
        lock.lock();
        try {
            conn.close();
        } catch (SQLException ignored) {
            // closing on shutdown: nothing left to save
        } finally {
            lock.unlock();
        }
        if (tempDir != null) FileBlobs.deleteTree(tempDir);
    }

    private final class SqlTable implements Table {
        private final String name;

        SqlTable(String name) {
            this.name = name;
        }

        @Override
        public byte[] get(String key) {
            lock.lock();
            try {
                get.setString(1, name);
                get.setString(2, key);
                try (ResultSet rs = get.executeQuery()) {
                    return rs.next() ? rs.getBytes(1) : null;
                }
            } catch (SQLException e) {
                throw failure(e);
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void put(String key, byte[] value) {
            write(put, key, value);
        }

        @Override
        public boolean putIfAbsent(String key, byte[] value) {
            return write(putIfAbsent, key, value) > 0;
        }

        private int write(PreparedStatement st, String key, byte[] value) {
            lock.lock();
            try {
                st.setString(1, name);
                st.setString(2, key);
                st.setBytes(3, value);
                return st.executeUpdate();
            } catch (SQLException e) {
                throw failure(e);
            } finally {
                lock.unlock();
            }
        }

        @Override
        public boolean delete(String key) {
            lock.lock();
            try {
                delete.setString(1, name);
                delete.setString(2, key);
                return delete.executeUpdate() > 0;
            } catch (SQLException e) {
                throw failure(e);
            } finally {
                lock.unlock();
            }
        }

        @Override
        public List<Entry> scan(String prefix, String startAfter, int limit) {
            lock.lock();
            try {
                PreparedStatement st = startAfter == null ? scanFirst : scanAfter;
                st.setString(1, name);
                st.setString(2, startAfter == null ? prefix : startAfter);
                st.setString(3, prefix + MAX_SUFFIX);
                st.setInt(4, limit);
                List<Entry> out = new ArrayList<>();
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) out.add(new Entry(rs.getString(1), rs.getBytes(2)));
                }
                return out;
            } catch (SQLException e) {
                throw failure(e);
            } finally {
                lock.unlock();
            }
        }

        @Override
        public long count(String prefix) {
            lock.lock();
            try {
                count.setString(1, name);
                count.setString(2, prefix);
                count.setString(3, prefix + MAX_SUFFIX);
                try (ResultSet rs = count.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : 0;
                }
            } catch (SQLException e) {
                throw failure(e);
            } finally {
                lock.unlock();
            }
        }
    }

    private static IllegalStateException failure(SQLException e) {
        return new IllegalStateException("store failure: " + e.getMessage(), e);
    }
}
