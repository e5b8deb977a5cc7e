package dev.nimbus.services.sqs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The visible messages' index: sequence order whatever the order of arrival, removal while iterating and by message. */
class ReadyMessagesTest {
    private static Message message(long seq) {
        return new Message(seq, "id" + seq, "body", null, "md5", null, null, "sender", 0, null, null, null, 0);
    }

    private static List<Long> seqs(ReadyMessages ready) {
        List<Long> out = new ArrayList<>();
        ready.forEach(m -> out.add(m.seq));
        return out;
    }

    @Test
    void iteratesInSequenceOrderWhateverTheOrderOfArrival() {
        ReadyMessages ready = new ReadyMessages();
        Message[] m = new Message[10];
        for (int i = 0; i < m.length; i++) m[i] = message(i);
        for (int i : new int[] {2, 4, 5, 1, 8, 3, 9, 0}) ready.add(m[i]); // 1, 3 and 0 late
        ready.add(m[4]); // already there: no second copy
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 8L, 9L), seqs(ready));
        assertEquals(8, ready.size());
        ready.add(m[7]);
        ready.add(m[6]);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), seqs(ready));
    }

    @Test
    void removesWhileIteratingAndByMessage() {
        ReadyMessages ready = new ReadyMessages();
        Message[] m = new Message[30];
        for (int i = 0; i < m.length; i++) m[i] = message(i);
        for (int i = 10; i < m.length; i++) ready.add(m[i]);
        for (int i : new int[] {1, 0, 2}) ready.add(m[i]); // far behind the deque's tail: to the sorted map
        for (int i = 10; i < 22; i++) ready.remove(m[i]);
        for (int i : new int[] {3, 4, 6, 5, 7}) ready.add(m[i]); // no more than eight behind the tail (22-29): into the deque
        for (int i = 22; i < m.length; i++) ready.remove(m[i]);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L), seqs(ready));
        Iterator<Message> it = ready.iterator();
        while (it.hasNext()) {
            Message x = it.next();
            if (x.seq % 3 == 0) it.remove(); // 0 (in the sorted map), 3 and 6 (in the deque)
        }
        assertFalse(m[0].ready || m[3].ready || m[6].ready);
        assertEquals(List.of(1L, 2L, 4L, 5L, 7L), seqs(ready));
        ready.remove(m[7]);
        ready.remove(m[2]);
        ready.remove(m[1]);
        ready.remove(m[1]); // not there any more: nothing happens
        ready.remove(m[0]);
        assertEquals(List.of(4L, 5L), seqs(ready));
        assertEquals(2, ready.size());
        assertTrue(m[4].ready && m[5].ready);
        ready.add(m[0]);
        assertEquals(List.of(0L, 4L, 5L), seqs(ready));
        ready.clear();
        assertEquals(0, ready.size());
        assertFalse(m[0].ready || m[4].ready);
        assertEquals(List.of(), seqs(ready));
    }
}
