package dev.nimbus.services.sqs;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.TreeMap;

/**
 * A queue's visible messages in send (sequence) order. Sends take sequence numbers that only
 * grow, so nearly every message arrives after all the others: those are appended to a deque in
 * constant time, and so are those a few places late (a staged send indexed just after a later
 * one); the others (visible again after a receive) go to a sorted map, and iteration merges the
 * two. A tree alone cost a tenth of an SNS fan-out publish: each insertion walked the right edge
 * of a tree of the hundreds of thousands of messages a queue may hold, a cache miss per level.
 * Members carry {@link Message#ready}, so removing one that is not here costs nothing. Guarded by
 * the queue's lock.
 */
final class ReadyMessages implements Iterable<Message> {
    /** Sequence numbers increasing from head to tail. */
    private final ArrayDeque<Message> inOrder = new ArrayDeque<>();
    private final TreeMap<Long, Message> others = new TreeMap<>();

    /** How far from the tail a message that arrives late still goes into the deque (concurrent sends are indexed a few apart). */
    private static final int NEAR_TAIL = 8;

    void add(Message m) {
        if (m.ready) return;
        m.ready = true;
        if (inOrder.isEmpty() || inOrder.peekLast().seq < m.seq) {
            inOrder.addLast(m);
            return;
        }
        Message[] later = new Message[NEAR_TAIL];
        int n = 0;
        while (n < NEAR_TAIL && !inOrder.isEmpty() && inOrder.peekLast().seq > m.seq) later[n++] = inOrder.pollLast();
        if (inOrder.isEmpty() || inOrder.peekLast().seq < m.seq) inOrder.addLast(m);
        else others.put(m.seq, m);
        while (n > 0) inOrder.addLast(later[--n]);
    }

    void remove(Message m) {
        if (!m.ready) return;
        m.ready = false;
        if (others.remove(m.seq) != null) return;
        // From the nearer end: removals are mostly of the oldest messages (expired ones) or of the newest
        if (m.seq - inOrder.peekFirst().seq <= inOrder.peekLast().seq - m.seq) inOrder.removeFirstOccurrence(m);
        else inOrder.removeLastOccurrence(m);
    }

    int size() {
        return inOrder.size() + others.size();
    }

    void clear() {
        inOrder.forEach(m -> m.ready = false);
        others.values().forEach(m -> m.ready = false);
        inOrder.clear();
        others.clear();
    }

    /** In sequence order; its remove() takes the last message returned out. */
    @Override
    public Iterator<Message> iterator() {
        return new Iterator<>() {
            private final Iterator<Message> a = inOrder.iterator();
            private final Iterator<Message> b = others.values().iterator();
            /** Taken from a or b and not yet returned. Each is fetched only by next(), so the iterator last returned from has not moved on when remove() comes. */
            private Message headA, headB;
            private Iterator<Message> last;
            private Message lastReturned;

            @Override
            public boolean hasNext() {
                return headA != null || headB != null || a.hasNext() || b.hasNext();
            }

            @Override
            public Message next() {
                if (headA == null && a.hasNext()) headA = a.next();
                if (headB == null && b.hasNext()) headB = b.next();
                if (headA == null && headB == null) throw new NoSuchElementException();
                if (headB == null || (headA != null && headA.seq < headB.seq)) {
                    lastReturned = headA;
                    headA = null;
                    last = a;
                } else {
                    lastReturned = headB;
                    headB = null;
                    last = b;
                }
                return lastReturned;
            }

            @Override
            public void remove() {
                if (last == null) throw new IllegalStateException();
                last.remove();
                lastReturned.ready = false;
                last = null;
            }
        };
    }
}
