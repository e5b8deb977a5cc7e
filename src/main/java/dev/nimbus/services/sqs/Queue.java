package dev.nimbus.services.sqs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * One queue: its messages in memory, indexed for receiving (visible ones in send order, the
 * others by the time they become visible), and in the store: a send writes the message (on FIFO
 * queues with its deduplication id) before it is acknowledged, a delete removes it before it is
 * acknowledged, and delivery states (receive count, visibility, receipt token) are written behind,
 * once a second ({@link #saveStates}). At start the index is rebuilt from the store, so a restart
 * or kill -9 loses no acknowledged send and revives no acknowledged delete; what it may lose is
 * the last second's receives (see {@link #saveStates} for why that is within SQS's guarantees).
 * Long polls wait on a condition signalled by sends and by visibility changes, with a timeout at
 * the next message's visibility: no polling loop.
 */
final class Queue {
    static final String MESSAGES = "sqs.messages";
    static final String STATES = "sqs.states";
    /** FIFO deduplication ids of the last five minutes, by queue key + "/" + {@link #dedupKey}: what a duplicate send answers. */
    static final String DEDUP = "sqs.dedup";
    /** FIFO deduplication interval and ReceiveRequestAttemptId lifetime. */
    static final long FIVE_MINUTES = 5 * 60_000;

    /** A message handed out by a receive, with its content and the delivery state as of that receive. */
    record Delivery(Message message, Message.Content content, String receiptHandle, int receiveCount, long firstReceive) {}

    private record Due(long at, long seq) {}

    /** A deduplication id seen, with the message it sent (without its body: a duplicate's answer needs ids and digests only). */
    private record Dedup(Message original, long expires) {}

    private record Attempt(List<Delivery> deliveries, long expires) {}

    final String key;
    final String account;
    final String region;
    final String name;
    final String arn;
    final boolean fifo;
    private final Store store;
    private final Table messages;
    private final Table states;
    private final Table dedupIds;
    private final LongSupplier clock;
    private final BodyBudget bodies;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Monotonic sequence numbers that start from the clock (microseconds), so a queue deleted and created again never reuses one. */
    private final AtomicLong lastSeq;
    private volatile QueueConfig config;

    private final Map<Long, Message> all = new HashMap<>();
    private final ReadyMessages ready = new ReadyMessages();
    private final PriorityQueue<Due> pending = new PriorityQueue<>((a, b) -> Long.compare(a.at, b.at));
    private final Set<Long> inFlight = new HashSet<>();
    /** FIFO: groups with a message in flight, and how many; their other messages wait. */
    private final Map<String, Integer> lockedGroups = new HashMap<>();
    /** In the order sent, so expiry order: expired ones are dropped from the front (memory and store) as sends come. */
    private final LinkedHashMap<String, Dedup> dedup = new LinkedHashMap<>();
    private final Map<String, Attempt> attempts = new HashMap<>();
    /** Messages whose delivery state changed since {@link #saveStates} last stored it. */
    private final Set<Message> unsaved = new HashSet<>();
    /**
     * Deleted messages whose delivery state rows are still stored: a delete removes the message
     * row alone (one statement, no transaction), and {@link #saveStates} removes these. A crash
     * leaves them to {@link #load}, which drops states without a message.
     */
    private final List<Long> staleStates = new ArrayList<>();
    private long lastPurge;
    private boolean deleted;

    Queue(String account, String region, String name, QueueConfig config, Store store, LongSupplier clock, BodyBudget bodies) {
        this.account = account;
        this.region = region;
        this.name = name;
        this.key = account + "/" + region + "/" + name;
        this.arn = "arn:aws:sqs:" + region + ":" + account + ":" + name;
        this.fifo = name.endsWith(".fifo");
        this.config = config;
        this.store = store;
        this.messages = store.table(MESSAGES);
        this.states = store.table(STATES);
        this.dedupIds = store.table(DEDUP);
        this.clock = clock;
        this.bodies = bodies;
        this.lastSeq = new AtomicLong(clock.getAsLong() * 1000);
    }

    QueueConfig config() {
        return config;
    }

    void config(QueueConfig c) {
        config = c;
    }

    /**
     * The key of a message's row, and of its delivery state's: the sequence number in 16 hex digits,
     * then the queue's key. Sequence numbers come from the clock, so the rows of every queue sort
     * about in send order, and a message sent to ten queues (an SNS fan-out) adds ten rows side by
     * side at the end of the table instead of into ten places of it: a tenth of the pages to
     * write. Rows stored before this had the queue's key first ({@link #loadAll} rewrites them).
     */
    private String row(long seq) {
        return hex(seq) + "/" + key;
    }

    private static String hex(long seq) {
        String hex = Long.toHexString(seq);
        return "0".repeat(16 - hex.length()) + hex;
    }

    long nextSeq() {
        long now = clock.getAsLong() * 1000;
        return lastSeq.updateAndGet(prev -> Math.max(prev + 1, now));
    }

    /** A stored message as read at start: its row's sequence number and value, with its delivery state (null if none stored). */
    private record Stored(long seq, byte[] value, JsonNode state) {}

    /**
     * Rebuilds every queue's index from the store (at start), one pass over each table. Rows in
     * the form before {@link #row} (queue key, "/", sequence number) are rewritten in the current
     * form on the way. States without a message (of deleted messages whose states a crash kept,
     * or of queues that are gone) are dropped.
     */
    static void loadAll(Store store, Map<String, Queue> queues) {
        Table messages = store.table(MESSAGES), states = store.table(STATES);
        Map<String, JsonNode> stateRows = new HashMap<>();
        for (Iterator<Table.Entry> it = states.iterate("", null, 1000); it.hasNext(); ) {
            Table.Entry e = it.next();
            stateRows.put(e.key(), e.json());
        }
        Map<Queue, List<Stored>> found = new HashMap<>();
        List<String[]> rewrites = new ArrayList<>(); // {old key, new key}
        for (Iterator<Table.Entry> it = messages.iterate("", null, 1000); it.hasNext(); ) {
            Table.Entry e = it.next();
            String k = e.key();
            // The current form: 16 hex digits, '/', the queue's key; the old one: the queue's key, '/', the digits.
            Queue q = k.length() > 17 && k.charAt(16) == '/' ? queues.get(k.substring(17)) : null;
            boolean current = q != null;
            int slash = current ? 16 : k.lastIndexOf('/');
            if (!current) q = queues.get(k.substring(0, Math.max(slash, 0)));
            if (q == null) continue; // a queue deleted while the server stopped midway: nothing reads these
            long seq = Long.parseUnsignedLong(current ? k.substring(0, 16) : k.substring(slash + 1), 16);
            found.computeIfAbsent(q, x -> new ArrayList<>()).add(new Stored(seq, e.value(), stateRows.remove(k)));
            if (!current) rewrites.add(new String[] {k, q.row(seq)});
        }
        for (int i = 0; i < rewrites.size(); i += 1000) {
            List<String[]> batch = rewrites.subList(i, Math.min(rewrites.size(), i + 1000));
            store.transaction(() -> {
                for (String[] r : batch) {
                    for (Table t : List.of(messages, states)) {
                        byte[] v = t.get(r[0]);
                        if (v == null) continue;
                        t.put(r[1], v);
                        t.delete(r[0]);
                    }
                }
            });
        }
        List<String> orphans = List.copyOf(stateRows.keySet());
        for (int i = 0; i < orphans.size(); i += 1000) {
            List<String> batch = orphans.subList(i, Math.min(orphans.size(), i + 1000));
            store.transaction(() -> batch.forEach(states::delete));
        }
        for (Queue q : queues.values()) q.load(found.getOrDefault(q, List.of()));
    }

    /** Rebuilds this queue's index from its stored messages, and its FIFO deduplication ids. */
    private void load(List<Stored> stored) {
        String prefix = key + "/";
        long now = clock.getAsLong();
        List<String> expiredIds = new ArrayList<>();
        lock.lock();
        try {
            for (Stored s : stored) {
                Message m = Message.fromBytes(s.seq, s.value, s.state);
                lastSeq.accumulateAndGet(s.seq, Math::max);
                if (m.receiveCount > 0 && m.visibleAt > now) {
                    inFlight.add(s.seq);
                    if (fifo) lockedGroups.merge(m.groupId, 1, Integer::sum);
                }
                index(m, now);
            }
            List<Map.Entry<Long, Dedup>> seen = new ArrayList<>();
            for (Iterator<Table.Entry> it = dedupIds.iterate(prefix, null, 1000); it.hasNext(); ) {
                Table.Entry e = it.next();
                JsonNode n = e.json();
                long expires = n.get("expires").asLong();
                if (expires > now) seen.add(Map.entry(expires, new Dedup(Message.fromDedupJson(n), expires)));
                else expiredIds.add(e.key());
            }
            seen.sort(Map.Entry.comparingByKey());
            for (Map.Entry<Long, Dedup> d : seen) dedup.put(dedupKey(d.getValue().original().groupId, d.getValue().original().dedupId), d.getValue());
        } finally {
            lock.unlock();
        }
        // Deduplication ids past their five minutes
        if (!expiredIds.isEmpty()) store.transaction(() -> expiredIds.forEach(dedupIds::delete));
    }

    /** Indexes a stored message; its content stays in memory if the budget allows. */
    private void index(Message m, long now) {
        all.put(m.seq, m);
        if (m.content != null && !bodies.take(m.weight)) m.content = null;
        if (m.visibleAt <= now && !inFlight.contains(m.seq)) ready.add(m);
        else pending.add(new Due(m.visibleAt, m.seq));
    }

    /** Takes a message out of the index, and its content's share of the budget. */
    private void unindex(Message m) {
        if (all.remove(m.seq) != null) releaseBody(m);
    }

    /** Gives a message's share of the body budget back, if its body was held in memory. */
    private void releaseBody(Message m) {
        if (m.content != null) bodies.release(m.weight);
    }

    /** A message's content: held in memory, or read from its stored row. */
    Message.Content content(Message m) {
        Message.Content c = m.content != null ? m.content : stored(m.seq);
        if (c == null) throw new IllegalStateException("message " + m.id + " of queue " + arn + " is not stored");
        return c;
    }

    /** The content of a message's stored row, or null when the row is gone. */
    private Message.Content stored(long seq) {
        byte[] row = messages.get(row(seq));
        return row == null ? null : Message.content(row);
    }

    private String dedupKey(String group, String dedupId) {
        return "messageGroup".equals(config.deduplicationScope()) ? group + "\n" + dedupId : dedupId;
    }

    /** A new message for this queue, not yet stored. */
    Message draft(String body, ObjectNode attributes, String traceHeader, String sender, int delaySeconds, String group, String dedupId) {
        long now = clock.getAsLong();
        return new Message(nextSeq(), Values.uuid(), body, attributes, Md5.of(body), Md5.ofAttributes(attributes), traceHeader,
                sender, now, group, dedupId, null, now + delaySeconds * 1000L);
    }


    /** Sends: the message is stored before this returns. A FIFO duplicate within five minutes returns the original instead. */
    Message send(Message m) {
        lock.lock();
        try {
            checkExists();
            long now = clock.getAsLong();
            if (fifo && m.dedupId != null) {
                String id = dedupKey(m.groupId, m.dedupId);
                Dedup d = dedup.get(id);
                if (d != null && d.expires > now) return d.original;
                // The message and its deduplication id in one transaction: a restart within five minutes still knows the id.
                remember(id, m, now, () -> messages.put(row(m.seq), m.toBytes()));
            } else {
                messages.put(row(m.seq), m.toBytes());
            }
            index(m, now);
            if (m.visibleAt <= now) changed.signalAll();
            return m;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Keeps a FIFO message's deduplication id for five minutes: stored, with what {@code alsoStore}
     * writes, in one transaction that also drops the ids expired by now. Under the lock.
     */
    private void remember(String id, Message m, long now, Runnable alsoStore) {
        List<String> expired = new ArrayList<>();
        for (Iterator<Map.Entry<String, Dedup>> it = dedup.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Dedup> e = it.next();
            if (e.getValue().expires > now) break;
            expired.add(e.getKey());
        }
        Dedup fresh = new Dedup(m.original(), now + FIVE_MINUTES);
        store.transaction(() -> {
            for (String x : expired) dedupIds.delete(key + "/" + x);
            dedupIds.put(key + "/" + id, Table.toBytes(fresh.original.dedupJson(fresh.expires)));
            alsoStore.run();
        });
        expired.forEach(dedup::remove);
        dedup.remove(id); // an expired entry of the same id goes to the end
        dedup.put(id, fresh);
    }

    /** Stores the message in the caller's transaction; the returned Runnable makes it receivable once that commits. */
    Runnable stage(Message m) {
        messages.put(row(m.seq), m.toBytes());
        return () -> adopt(m);
    }

    /**
     * {@link #stage} for a FIFO message whose sender named its deduplication id (an SNS FIFO
     * topic's): once the sender commits, a duplicate of an id seen in the last five minutes is
     * removed instead of becoming receivable, as a duplicate send stores nothing; otherwise the id
     * is kept as a send's is. That check waits for the commit because this queue's lock is taken
     * before the store's (a send holds it across its transaction), never inside a transaction; so
     * a crash between the commit and the check can keep a duplicate.
     */
    Runnable stageDeduplicated(Message m) {
        messages.put(row(m.seq), m.toBytes());
        return () -> {
            lock.lock();
            try {
                if (deleted) return;
                long now = clock.getAsLong();
                String id = dedupKey(m.groupId, m.dedupId);
                Dedup d = dedup.get(id);
                if (d != null && d.expires > now) {
                    messages.delete(row(m.seq));
                    return;
                }
                remember(id, m, now, () -> {});
                index(m, now);
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        };
    }

    /** Indexes a message already stored (a staged send, a dead-letter move). */
    void adopt(Message m) {
        lock.lock();
        try {
            if (deleted) return;
            index(m, clock.getAsLong());
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Asked before a receive hands a message out. When the message has been received
     * maxReceiveCount times it is moved (stored in the dead-letter queue, forgotten here, in one
     * transaction) and what indexes it there is returned, to run once this queue's lock is
     * released (two queues may each be the other's dead-letter queue); else null.
     */
    interface Redrive {
        Runnable move(Queue from, Message m);
    }

    /**
     * Receives up to {@code max} messages, waiting up to {@code waitMillis} for the first;
     * each is invisible for {@code visibilitySeconds}. Messages received maxReceiveCount times
     * already go to the dead-letter queue instead ({@code redrive} does that inside the lock).
     */
    List<Delivery> receive(int max, int visibilitySeconds, long waitMillis, String attemptId, Redrive redrive) {
        return withContent(take(max, visibilitySeconds, waitMillis, attemptId, redrive));
    }

    /**
     * The deliveries with their content: what the index does not hold ({@link BodyBudget}) is read
     * from the store here, after the queue's lock is released, so sends to this queue do not wait
     * for those reads. A message purged (or its queue deleted) meanwhile is left out, as if the
     * purge had come first.
     */
    private List<Delivery> withContent(List<Delivery> got) {
        boolean held = true;
        for (Delivery d : got) held &= d.content() != null;
        if (held) return got;
        List<Delivery> out = new ArrayList<>(got.size());
        for (Delivery d : got) {
            if (d.content() != null) {
                out.add(d);
                continue;
            }
            Message.Content c = stored(d.message().seq);
            if (c != null) out.add(new Delivery(d.message(), c, d.receiptHandle(), d.receiveCount(), d.firstReceive()));
        }
        return out;
    }

    /** {@link #receive}'s work under the lock: the deliveries, with the content the index holds (else null). */
    private List<Delivery> take(int max, int visibilitySeconds, long waitMillis, String attemptId, Redrive redrive) {
        long deadline = clock.getAsLong() + waitMillis;
        List<Runnable> moved = new ArrayList<>();
        lock.lock();
        try {
            while (true) {
                checkExists();
                long now = clock.getAsLong();
                promote(now);
                if (attemptId != null) {
                    List<Delivery> again = replay(attemptId, now);
                    if (again != null) return again;
                }
                List<Delivery> out = pick(max, visibilitySeconds, now, redrive, moved);
                if (!out.isEmpty() || now >= deadline) {
                    if (attemptId != null && !out.isEmpty()) attempts.put(attemptId, new Attempt(out, now + FIVE_MINUTES));
                    return out;
                }
                long wake = deadline;
                if (!pending.isEmpty()) wake = Math.min(wake, pending.peek().at);
                try {
                    changed.await(Math.max(1, wake - now), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return List.of();
                }
            }
        } finally {
            lock.unlock();
            moved.forEach(Runnable::run);
        }
    }

    /** The same messages and receipt handles again for a retried FIFO receive, while all are still in flight with them. */
    private List<Delivery> replay(String attemptId, long now) {
        attempts.values().removeIf(a -> a.expires <= now);
        Attempt a = attempts.get(attemptId);
        if (a == null) return null;
        for (Delivery d : a.deliveries) {
            Message m = all.get(d.message().seq);
            if (m == null || !inFlight.contains(m.seq) || !token(d.receiptHandle()).equals(m.token)) return null;
        }
        return a.deliveries;
    }

    private void promote(long now) {
        while (!pending.isEmpty() && pending.peek().at <= now) {
            Due d = pending.poll();
            Message m = all.get(d.seq);
            if (m == null || m.visibleAt != d.at) continue; // deleted, or its visibility changed since
            if (inFlight.remove(m.seq) && fifo) unlockGroup(m.groupId);
            ready.add(m);
        }
    }

    private void unlockGroup(String group) {
        lockedGroups.computeIfPresent(group, (g, n) -> n == 1 ? null : n - 1);
    }

    private List<Delivery> pick(int max, int visibilitySeconds, long now, Redrive redrive, List<Runnable> moved) {
        List<Delivery> out = new ArrayList<>();
        long retention = config.retentionSeconds() * 1000L;
        Set<String> groupsTaken = fifo ? new HashSet<>() : Set.of();
        List<Message> expired = new ArrayList<>();
        Iterator<Message> it = ready.iterator();
        while (it.hasNext() && out.size() < max) {
            Message m = it.next();
            if (m.sent + retention <= now) {
                it.remove();
                expired.add(m);
                continue;
            }
            if (fifo && lockedGroups.containsKey(m.groupId) && !groupsTaken.contains(m.groupId)) continue;
            Runnable move = redrive == null ? null : redrive.move(this, m);
            if (move != null) {
                it.remove();
                unindex(m);
                moved.add(move);
                continue;
            }
            it.remove();
            m.receiveCount++;
            if (m.firstReceive == 0) m.firstReceive = now;
            m.visibleAt = now + visibilitySeconds * 1000L;
            m.token = Values.uuid();
            m.restored = false;
            unsaved.add(m);
            inFlight.add(m.seq);
            pending.add(new Due(m.visibleAt, m.seq));
            if (fifo) {
                groupsTaken.add(m.groupId);
                lockedGroups.merge(m.groupId, 1, Integer::sum);
            }
            out.add(new Delivery(m, m.content, handle(m), m.receiveCount, m.firstReceive));
        }
        if (expired.isEmpty()) return out;
        store.transaction(() -> expired.forEach(this::forget));
        for (Message m : expired) {
            unindex(m);
            unsaved.remove(m);
        }
        return out;
    }

    /**
     * Stores the delivery states changed since the last call and drops those of deleted messages,
     * in one transaction; run once a second, and at shutdown, by {@link Queues}.
     *
     * Why receives need not be durable before they are answered: SQS promises at-least-once
     * delivery, and a message that becomes visible again before its visibility timeout ends is
     * delivered twice, which consumers must already handle (AWS itself redelivers early when a
     * server holding the message fails). So a kill -9 that loses the last second's receives makes
     * those messages visible again early, never loses one (a send is stored before it is
     * acknowledged) and never revives a deleted one (a delete is stored before it is acknowledged,
     * and a receipt handle from a receive the store missed still deletes: see {@link #delete}).
     * The receive count that drives redrive is exact while the server runs; a crash can only lose
     * the receives of the last second, so a poison message received maxReceiveCount times still
     * reaches the dead-letter queue, at worst one receive later per crash (receives of one message
     * are a visibility timeout apart). In return a receive writes nothing, and most messages are
     * deleted before their state would be written at all: a Receive+Delete pair costs one commit.
     */
    void saveStates() {
        lock.lock();
        try {
            if (deleted || (unsaved.isEmpty() && staleStates.isEmpty())) return;
            // Under the queue's lock (taken before the store's writer, as receives do): no delete or move runs between choosing the rows and writing them.
            store.transaction(() -> {
                for (Message m : unsaved) {
                    if (all.get(m.seq) != m) continue; // deleted or moved since
                    states.put(row(m.seq), m.stateBytes());
                    m.stateStored = true;
                }
                for (long seq : staleStates) states.delete(row(seq));
            });
            unsaved.clear();
            staleStates.clear();
        } finally {
            lock.unlock();
        }
    }

    /** Removes a message for a move to a dead-letter queue; the caller stores the copy in the same transaction. */
    void forget(Message m) {
        messages.delete(row(m.seq));
        states.delete(row(m.seq));
    }

    private String handle(Message m) {
        String raw = key + "\t" + Long.toHexString(m.seq) + "\t" + m.token;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    /** The parts of a receipt handle of this queue: [seq, token]; ReceiptHandleIsInvalid when it is not one. */
    private Object[] parse(String handle) {
        try {
            String raw = new String(Base64.getUrlDecoder().decode(handle), StandardCharsets.UTF_8);
            String[] p = raw.split("\t");
            if (p.length == 3 && p[0].equals(key)) return new Object[] {Long.parseUnsignedLong(p[1], 16), p[2]};
        } catch (IllegalArgumentException e) {
            // not base64, or not a number: not a handle
        }
        throw new AwsException("ReceiptHandleIsInvalid", "The input receipt handle \"" + handle + "\" is not a valid receipt handle.", 400);
    }

    private String token(String handle) {
        return (String) parse(handle)[1];
    }

    static AwsException expired(String handle) {
        return new AwsException("InvalidParameterValue",
                "Value " + handle + " for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.", 400);
    }

    /**
     * Deletes the message a receipt handle names. As in AWS: a handle from an earlier receive of
     * a message received again is accepted and deletes nothing (standard queues); on FIFO queues
     * a handle whose visibility timeout passed has expired. A message not received since the
     * server started takes any handle naming it: the handle may come from a receive whose state
     * a crash kept from the store ({@link #saveStates}), and its delete must hold. Returns whether
     * a message was deleted.
     */
    boolean delete(String handle) {
        Object[] p = parse(handle);
        long seq = (Long) p[0];
        lock.lock();
        try {
            checkExists();
            Message m = all.get(seq);
            boolean current = m != null && (m.restored || p[1].equals(m.token));
            if (fifo && (!current || !(m.restored || inFlight.contains(seq)))) {
                if (m == null) return false;
                throw expired(handle);
            }
            if (!current) return false;
            messages.delete(row(seq));
            unsaved.remove(m);
            if (m.stateStored) staleStates.add(seq);
            unindex(m);
            ready.remove(m);
            if (inFlight.remove(seq) && fifo) {
                unlockGroup(m.groupId);
                changed.signalAll();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    void changeVisibility(String handle, int seconds) {
        Object[] p = parse(handle);
        long seq = (Long) p[0];
        lock.lock();
        try {
            checkExists();
            Message m = all.get(seq);
            if (m == null || !(m.restored || p[1].equals(m.token))) throw expired(handle); // restored: as in delete
            long now = clock.getAsLong();
            promote(now);
            if (!inFlight.contains(seq)) {
                throw new AwsException("MessageNotInflight", "Message does not exist or is not available for visibility timeout change.", 400);
            }
            m.visibleAt = now + seconds * 1000L;
            unsaved.add(m);
            pending.add(new Due(m.visibleAt, seq));
            if (seconds == 0) changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** PurgeQueue: once a minute, as AWS allows. */
    void purge() {
        lock.lock();
        try {
            checkExists();
            long now = clock.getAsLong();
            if (lastPurge != 0 && now - lastPurge < 60_000) {
                throw new AwsException("PurgeQueueInProgress", "Only one PurgeQueue operation on " + name + " is allowed every 60 seconds.", 403);
            }
            lastPurge = now;
            removeAll();
        } finally {
            lock.unlock();
        }
    }

    /** DeleteQueue: the messages go with it; waiting receives end with QueueDoesNotExist. */
    void destroy() {
        lock.lock();
        try {
            removeAll();
            List<String> ids = List.copyOf(dedup.keySet());
            store.transaction(() -> ids.forEach(id -> dedupIds.delete(key + "/" + id)));
            dedup.clear();
            deleted = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void removeAll() {
        List<Long> seqs = List.copyOf(all.keySet());
        store.transaction(() -> {
            seqs.forEach(seq -> {
                messages.delete(row(seq));
                states.delete(row(seq));
            });
            staleStates.forEach(seq -> states.delete(row(seq)));
        });
        staleStates.clear();
        unsaved.clear();
        all.values().forEach(this::releaseBody);
        all.clear();
        ready.clear();
        pending.clear();
        inFlight.clear();
        lockedGroups.clear();
        attempts.clear();
    }

    /** [visible, not visible (in flight), delayed], after dropping messages older than the retention period. */
    long[] counts() {
        lock.lock();
        try {
            long now = clock.getAsLong();
            promote(now);
            long retention = config.retentionSeconds() * 1000L;
            List<Message> expired = new ArrayList<>();
            for (Message m : all.values()) if (m.sent + retention <= now) expired.add(m);
            if (!expired.isEmpty()) {
                store.transaction(() -> expired.forEach(this::forget));
                for (Message m : expired) {
                    unindex(m);
                    unsaved.remove(m);
                    ready.remove(m);
                    if (inFlight.remove(m.seq) && fifo) unlockGroup(m.groupId);
                }
            }
            return new long[] {ready.size(), inFlight.size(), all.size() - ready.size() - inFlight.size()};
        } finally {
            lock.unlock();
        }
    }

    /** Up to {@code max} messages for a move task, taken out of the index (the caller stores their copies and forgets them). */
    List<Message> takeForMove(int max) {
        lock.lock();
        try {
            promote(clock.getAsLong());
            List<Message> out = new ArrayList<>();
            Iterator<Message> it = ready.iterator();
            while (it.hasNext() && out.size() < max) {
                Message m = it.next();
                it.remove();
                unindex(m);
                out.add(m);
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    boolean isDeleted() {
        lock.lock();
        try {
            return deleted;
        } finally {
            lock.unlock();
        }
    }

    private void checkExists() {
        if (deleted) throw Queues.nonExistent();
    }
}
