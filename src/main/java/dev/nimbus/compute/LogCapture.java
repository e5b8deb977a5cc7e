package dev.nimbus.compute;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Collects an environment's output (stdout and stderr share one pipe, so lines keep their order)
 * into the log of the invocation being served. A reader thread drains the pipe; {@link #settle}
 * lets an invocation that just ended wait until the reader is back in a blocking read with all it
 * read appended, without polling. A runtime writes its output before it posts its answer, and the
 * kernel wakes the reader on that write, so by the time the answer has crossed the runtime API the
 * output is read. (The pipe cannot be asked how much it holds while the reader blocks on it: Java's
 * process streams take one lock for read and available.)
 */
final class LogCapture {
    /** What one invocation keeps: the tail AWS returns is 4 KB, a little more keeps whole lines around it. */
    private static final int KEEP = 64 * 1024;
    private final InputStream pipe;
    private final StringBuilder current = new StringBuilder();
    /** True while the reader waits in read() with everything before it appended. */
    private boolean idle;
    private boolean ended;

    LogCapture(InputStream pipe) {
        this.pipe = pipe;
        // A platform thread: a read on a process pipe blocks its carrier, and the virtual-thread
        // scheduler compensates only up to 256 carriers; hundreds of environments would starve it.
        Thread.ofPlatform().daemon().name("lambda-log").stackSize(128 * 1024).start(this::drain);
    }

    private void drain() {
        byte[] buf = new byte[8192];
        try {
            while (true) {
                synchronized (this) {
                    idle = true;
                    notifyAll();
                }
                int n = pipe.read(buf);
                synchronized (this) {
                    idle = false;
                    if (n < 0) break;
                    append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
        synchronized (this) {
            ended = true;
            notifyAll();
        }
    }

    synchronized void append(String s) {
        current.append(s);
        if (current.length() > 2 * KEEP) current.delete(0, current.length() - KEEP);
    }

    /** Waits (briefly at most) until the reader has consumed all output written so far. */
    synchronized void settle() {
        long until = System.currentTimeMillis() + 200;
        try {
            while (!ended && !idle) {
                long left = until - System.currentTimeMillis();
                if (left <= 0) return;
                wait(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The log collected since the last take, and a fresh start for the next invocation. */
    synchronized String take() {
        String s = current.toString();
        current.setLength(0);
        return s;
    }
}
