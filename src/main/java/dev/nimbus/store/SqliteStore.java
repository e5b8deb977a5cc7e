package dev.nimbus.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The embedded store: SQLite in WAL mode through JDBC, all tables in one key-value relation.
 *
 * Durability: WAL with synchronous=NORMAL survives a killed server (kill -9) for every
 * acknowledged write, because a committed transaction is in the OS before the call returns; only a
 * power loss may drop the last transactions.
 *
 * Concurrency: SQLite has one writer at a time, so all writes go through one connection behind a
 * lock, and a transaction holds that lock from start to end. Reads use a small pool of their own
 * connections: in WAL mode each read sees the last committed state and neither waits for a writer
 * nor holds one up. Reads inside a transaction use the writer's connection, so they see the
 * transaction's own writes. The ephemeral store has no WAL, so there everything uses the one
 * connection.
 */
public final class SqliteStore implements Store {
    /** Schema migrations, applied in order; PRAGMA user_version records how many ran. Append only. */
    static final List<String> MIGRATIONS = List.of(
            "CREATE TABLE kv (tbl TEXT NOT NULL, k TEXT NOT NULL, v BLOB NOT NULL, PRIMARY KEY (tbl, k)) WITHOUT ROWID");
    /**
     * Reads run on virtual threads, at most one per core at a time, so one connection per core
     * keeps every core reading; capped so a big machine does not hold dozens of page caches.
     */
    private static final int READERS = Math.clamp(Runtime.getRuntime().availableProcessors(), 2, 8);

    /**
     * Each durable connection maps the first GiB of the database file and reads the pages it holds from
     * there (those not newer in the WAL), without a system call or a copy into its page cache.
     */
    private static final String MMAP = "PRAGMA mmap_size=" + (1L << 30);

    private static final String GET = "SELECT v FROM kv WHERE tbl=? AND k=?";
    private static final String PUT = "INSERT OR REPLACE INTO kv (tbl, k, v) VALUES (?, ?, ?)";
    private static final String PUT_IF_ABSENT = "INSERT OR IGNORE INTO kv (tbl, k, v) VALUES (?, ?, ?)";
    private static final String DELETE = "DELETE FROM kv WHERE tbl=? AND k=?";
    /** Data dirs open in this process. */
    private static final Set<Path> OPEN_DIRS = ConcurrentHashMap.newKeySet();

    private final String url;
    private final Db writer;
    private final ReentrantLock writeLock = new ReentrantLock();
    /** nesting depth of the transaction on the writer connection; guarded by writeLock */
    private int depth;
    /** null for the ephemeral store */
    private final BlockingQueue<Db> readers;
    private final Map<String, Table> tables = new ConcurrentHashMap<>();
    private final FileBlobs blobs;
    private final Path tempDir;
    /** held while open; null for the ephemeral store */
    private final FileChannel lockFile;
    private final Path dataDir;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SqliteStore(String url, int readerCount, Path blobDir, Path tempDir, FileChannel lockFile, Path dataDir) {
        this.url = url;
        this.tempDir = tempDir;
        this.lockFile = lockFile;
        this.dataDir = dataDir;
        this.blobs = new FileBlobs(blobDir);
        List<Db> opened = new ArrayList<>();
        try {
            writer = new Db(DriverManager.getConnection(url, connectionProperties()));
            opened.add(writer);
            try (Statement s = writer.conn.createStatement()) {
                // Only a new database takes this (an existing one keeps its page size). kv is WITHOUT ROWID, so a row
                // is kept in its page only up to about a quarter page: ~1,000 bytes at the default 4 KiB, ~2,000 at
                // 8 KiB. An SNS envelope queued in SQS (~1.1 KB) spilled into an overflow page at 4 KiB, which made
                // a publish to 10 queues cost 1,100 us of CPU against 640 us at 8 KiB; 16 KiB wrote more WAL per
                // commit and made durable SQS sends dearer (bench/README.md, sqs.sh and SnsBench).
                s.execute("PRAGMA page_size=8192");
                if (tempDir == null) {
                    s.execute("PRAGMA journal_mode=WAL");
                    s.execute("PRAGMA synchronous=NORMAL");
                    // A checkpoint syncs the WAL and the database, inside the commit that triggers it, so
                    // one commit in a thousand waited milliseconds for the disk (its p99.9 ~6 ms).
                    // Every 10,000 pages instead: a tenth as many waits, and a page changed by many
                    // commits (a queue's last leaf) is copied back once per checkpoint.
                    s.execute("PRAGMA wal_autocheckpoint=10000");
                    // The writer's page cache is kept small (8 MiB, default 2) and the database file is
                    // mapped instead, so that a page the cache lacks is a memory read rather than a pread.
                    // The cache's size is a cost of its own: when a B-tree page splits, SQLite briefly
                    // renumbers a page to one past 1 GiB, and the commit after it walks the cache's whole
                    // hash table (as large as the cache) to drop pages past the end of the file. At 32 MiB
                    // that walk was ~6% of an S3 PUT's CPU (bench/README.md, s3.sh).
                    s.execute("PRAGMA cache_size=-8192");
                    s.execute(MMAP);
                } else {
                    // Ephemeral: nothing outlives the process, so no WAL, no syncs, and the one connection keeps the lock.
                    s.execute("PRAGMA journal_mode=MEMORY");
                    s.execute("PRAGMA synchronous=OFF");
                    s.execute("PRAGMA locking_mode=EXCLUSIVE");
                }
                s.execute("PRAGMA busy_timeout=5000");
            }
            migrate(writer.conn, url);
            readers = readerCount == 0 ? null : new ArrayBlockingQueue<>(readerCount);
            for (int i = 0; i < readerCount; i++) {
                Db r = new Db(DriverManager.getConnection(url, connectionProperties()));
                opened.add(r);
                try (Statement s = r.conn.createStatement()) {
                    s.execute("PRAGMA busy_timeout=5000");
                    s.execute("PRAGMA query_only=1");
                    s.execute(MMAP);
                }
                readers.add(r);
            }
        } catch (SQLException | RuntimeException e) {
            for (Db db : opened) db.close();
            if (e instanceof RuntimeException r) throw r;
            throw new IllegalStateException("cannot open store " + url + ": " + e.getMessage(), e);
        }
    }

    /**
     * The durable store in {@code dataDir} (created if needed). One store per data dir: the single
     * writer and the sweep of unfinished blobs assume nobody else writes there, so a second open,
     * from this process or another, fails while the first is open.
     */
    public static SqliteStore open(Path dataDir) {
        Path dir = dataDir.toAbsolutePath().normalize();
        // The OS lock below cannot see a second open by the same process, and closing its channel would drop the first one's lock.
        if (!OPEN_DIRS.add(dir)) throw new IllegalStateException("data dir " + dir + " is already open in this process");
        FileChannel lock = null;
        try {
            Files.createDirectories(dir);
            lock = FileChannel.open(dir.resolve("nimbus.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            if (lock.tryLock() == null) throw new IllegalStateException("data dir " + dir + " is in use by another Nimbus process");
            return new SqliteStore("jdbc:sqlite:" + dir.resolve("nimbus.db"), READERS, dir.resolve("blobs"), null, lock, dir);
        } catch (IOException | RuntimeException e) {
            if (lock != null) closeQuietly(lock);
            OPEN_DIRS.remove(dir);
            if (e instanceof IOException io) throw new UncheckedIOException("cannot open data dir " + dir + ": " + io, io);
            throw (RuntimeException) e;
        }
    }

    /**
     * A store that lives as long as this process (for tests and --ephemeral): database and blobs in a
     * temporary directory, removed on close.
     *
     * <p>Not an in-memory SQLite database ({@code mode=memory}): when a B-tree page splits, SQLite
     * briefly renumbers a page to the one past 1 GiB, and the next commit then scans the whole page
     * cache's hash table. An in-memory database is all page cache, so every such commit cost time in
     * proportion to the database: an SNS publish to ten queues went from ~100 to ~400 us of SQLite
     * as 500,000 messages piled up. A file's page cache is bounded (its pages live in the OS's).
     */
    public static SqliteStore ephemeral() {
        try {
            Path tmp = Files.createTempDirectory("nimbus-ephemeral-");
            return new SqliteStore("jdbc:sqlite:" + tmp.resolve("nimbus.db"), 0, tmp.resolve("blobs"), tmp, null, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Generated keys off: otherwise the driver runs a regular expression over the SQL and a
     * "SELECT last_insert_rowid()" after every INSERT, for keys nothing here asks for (kv has none).
     */
    private static java.util.Properties connectionProperties() {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("jdbc.get_generated_keys", "false");
        return p;
    }

    private static void migrate(Connection conn, String url) throws SQLException {
        int version;
        try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("PRAGMA user_version")) {
            version = rs.next() ? rs.getInt(1) : 0;
        }
        if (version > MIGRATIONS.size()) {
            throw new IllegalStateException(url.substring("jdbc:sqlite:".length()) + " was written by a newer Nimbus (schema version " + version
                    + ", this Nimbus knows up to " + MIGRATIONS.size() + "): run that version or newer, or use another data dir");
        }
        for (int i = version; i < MIGRATIONS.size(); i++) {
            try (Statement s = conn.createStatement()) {
                s.execute("BEGIN IMMEDIATE");
                try {
                    s.execute(MIGRATIONS.get(i));
                    s.execute("PRAGMA user_version=" + (i + 1));
                    s.execute("COMMIT");
                } catch (SQLException e) {
                    s.execute("ROLLBACK");
                    throw e;
                }
            }
        }
    }

    @Override
    public Table table(String name) {
        return tables.computeIfAbsent(name, SqlTable::new);
    }

    /**
     * The outermost call is a SQLite transaction; a nested call is a savepoint in it, so it commits
     * with the outer one, and an exception leaving it undoes its writes alone. Transactions are
     * begun and ended with plain statements (the connection stays in JDBC auto-commit), so that
     * nothing else begins one behind our back.
     */
    @Override
    public <T> T transaction(Supplier<T> work) {
        writeLock.lock();
        try {
            String savepoint = depth == 0 ? null : "nested" + depth;
            // IMMEDIATE takes the write lock at BEGIN, waiting for it under the busy timeout. A deferred
            // transaction that reads before it writes must upgrade its lock instead, and SQLite fails
            // that upgrade at once, without waiting, whenever a reader holds the WAL's write lock for a
            // moment (as readers do when they catch the WAL index mid-update).
            execute(savepoint == null ? "BEGIN IMMEDIATE" : "SAVEPOINT " + savepoint);
            depth++;
            boolean done = false;
            try {
                T result = work.get();
                execute(savepoint == null ? "COMMIT" : "RELEASE " + savepoint);
                done = true;
                return result;
            } finally {
                depth--;
                if (!done) undo(savepoint);
            }
        } finally {
            writeLock.unlock();
        }
    }

    private void execute(String sql) {
        try {
            writer.prepare(sql).execute();
        } catch (SQLException e) {
            throw failure(e);
        }
    }

    /** Rolls back the failed transaction or savepoint; the exception that failed it is what the caller sees. */
    private void undo(String savepoint) {
        try {
            if (savepoint == null) {
                writer.prepare("ROLLBACK").execute();
            } else {
                writer.prepare("ROLLBACK TO " + savepoint).execute();
                writer.prepare("RELEASE " + savepoint).execute();
            }
        } catch (SQLException ignored) {
            // SQLite already rolled back (after I/O errors it does), or the connection is broken: the next statement says so
        }
    }

    @Override
    public Blobs blobs() {
        return blobs;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        writeLock.lock();
        try {
            writer.close();
        } finally {
            writeLock.unlock();
        }
        if (readers != null) {
            // Wait briefly for reads in flight; a connection not returned by then is closed by the JVM's exit.
            for (int i = 0; i < READERS; i++) {
                try {
                    Db r = readers.poll(5, TimeUnit.SECONDS);
                    if (r == null) break;
                    r.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        if (lockFile != null) {
            closeQuietly(lockFile);
            OPEN_DIRS.remove(dataDir);
        }
        if (tempDir != null) FileBlobs.deleteTree(tempDir);
    }

    @Override
    public String toString() {
        return "SqliteStore(" + url + ")";
    }

    /** Work on one connection; SQLException is the only failure JDBC reports. */
    @FunctionalInterface
    private interface Query<T> {
        T run(Db db) throws SQLException;
    }

    private <T> T write(Query<T> q) {
        writeLock.lock();
        try {
            return q.run(writer);
        } catch (SQLException e) {
            throw failure(e);
        } finally {
            writeLock.unlock();
        }
    }

    private <T> T read(Query<T> q) {
        if (readers == null || writeLock.isHeldByCurrentThread()) return write(q);
        Db db;
        try {
            db = readers.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a store connection", e);
        }
        try {
            return q.run(db);
        } catch (SQLException e) {
            throw failure(e);
        } finally {
            readers.add(db);
        }
    }

    /** A connection and its prepared statements; used by one thread at a time. */
    private static final class Db {
        final Connection conn;
        private final Map<String, PreparedStatement> statements = new HashMap<>();

        Db(Connection conn) {
            this.conn = conn;
        }

        PreparedStatement prepare(String sql) throws SQLException {
            PreparedStatement st = statements.get(sql);
            if (st == null) {
                st = conn.prepareStatement(sql);
                statements.put(sql, st);
            }
            return st;
        }

        void close() {
            try {
                conn.close();
            } catch (SQLException ignored) {
                // closing on shutdown: nothing left to save
            }
        }
    }

    private final class SqlTable implements Table {
        private final String name;

        SqlTable(String name) {
            this.name = name;
        }

        @Override
        public byte[] get(String key) {
            checkKey(key);
            return read(db -> {
                PreparedStatement st = db.prepare(GET);
                st.setString(1, name);
                st.setString(2, key);
                try (ResultSet rs = st.executeQuery()) {
                    return rs.next() ? rs.getBytes(1) : null;
                }
            });
        }

        @Override
        public void put(String key, byte[] value) {
            update(PUT, key, value);
        }

        @Override
        public boolean putIfAbsent(String key, byte[] value) {
            return update(PUT_IF_ABSENT, key, value) > 0;
        }

        private int update(String sql, String key, byte[] value) {
            checkKey(key);
            if (value == null) throw new IllegalArgumentException("null value for key " + key);
            return write(db -> {
                PreparedStatement st = db.prepare(sql);
                st.setString(1, name);
                st.setString(2, key);
                st.setBytes(3, value);
                return st.executeUpdate();
            });
        }

        @Override
        public boolean delete(String key) {
            checkKey(key);
            return write(db -> {
                PreparedStatement st = db.prepare(DELETE);
                st.setString(1, name);
                st.setString(2, key);
                return st.executeUpdate() > 0;
            });
        }

        @Override
        public List<Entry> scan(String prefix, String startAfter, int limit) {
            checkKey(prefix);
            if (startAfter != null) checkKey(startAfter);
            if (limit <= 0) return List.of();
            // Start after startAfter, or at the prefix when startAfter sorts before it.
            boolean after = startAfter != null && Keys.compare(startAfter, prefix) >= 0;
            String end = Keys.successor(prefix);
            String sql = "SELECT k, v FROM kv WHERE tbl=? AND k" + (after ? ">" : ">=") + "?" + (end == null ? "" : " AND k<?") + " ORDER BY k LIMIT ?";
            return read(db -> {
                PreparedStatement st = db.prepare(sql);
                int i = 1;
                st.setString(i++, name);
                st.setString(i++, after ? startAfter : prefix);
                if (end != null) st.setString(i++, end);
                st.setInt(i, limit);
                List<Entry> out = new ArrayList<>();
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) out.add(new Entry(rs.getString(1), rs.getBytes(2)));
                }
                return out;
            });
        }

        @Override
        public List<Entry> range(String low, boolean lowInclusive, String high, boolean highInclusive, boolean descending, int limit) {
            if (low != null) checkKey(low);
            if (high != null) checkKey(high);
            if (limit <= 0) return List.of();
            String sql = "SELECT k, v FROM kv WHERE tbl=?" + (low == null ? "" : lowInclusive ? " AND k>=?" : " AND k>?")
                    + (high == null ? "" : highInclusive ? " AND k<=?" : " AND k<?") + " ORDER BY k" + (descending ? " DESC" : "") + " LIMIT ?";
            return read(db -> {
                PreparedStatement st = db.prepare(sql);
                int i = 1;
                st.setString(i++, name);
                if (low != null) st.setString(i++, low);
                if (high != null) st.setString(i++, high);
                st.setInt(i, limit);
                List<Entry> out = new ArrayList<>();
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) out.add(new Entry(rs.getString(1), rs.getBytes(2)));
                }
                return out;
            });
        }

        @Override
        public long count(String prefix) {
            checkKey(prefix);
            String end = Keys.successor(prefix);
            String sql = "SELECT count(*) FROM kv WHERE tbl=? AND k>=?" + (end == null ? "" : " AND k<?");
            return read(db -> {
                PreparedStatement st = db.prepare(sql);
                st.setString(1, name);
                st.setString(2, prefix);
                if (end != null) st.setString(3, end);
                try (ResultSet rs = st.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : 0;
                }
            });
        }
    }

    /**
     * Keys travel as UTF-8, where a lone surrogate has no encoding: the driver would replace it,
     * and two different keys would become one.
     */
    private static void checkKey(String key) {
        if (key == null) throw new IllegalArgumentException("null key");
        if (!Keys.isWellFormed(key)) throw new IllegalArgumentException("key is not well-formed Unicode (lone surrogate): " + key);
    }

    private static IllegalStateException failure(SQLException e) {
        return new IllegalStateException("store failure: " + e.getMessage(), e);
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // releasing the lock on the way out
        }
    }
}
