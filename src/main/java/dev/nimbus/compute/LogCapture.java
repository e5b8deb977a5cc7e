package dev.nimbus.compute;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Collects an environment's output (stdout and stderr go to one file, so lines keep their order)
 * into the log of the invocation being served.
 *
 * A file, not a pipe: a runtime writes its output before it posts its answer, and a write to a file
 * is visible to a reader the moment it returns, so reading to the end of the file once the answer
 * has arrived gets every line of the invocation, with no reader thread to race (a pipe's reader may
 * not have run yet when the answer arrives, and its lines then went to the next invocation or were
 * lost). Output between invocations (init, background threads) goes to the next invocation's log.
 */
final class LogCapture implements AutoCloseable {
    /** What one invocation keeps: the tail AWS returns is 4 KB, a little more keeps whole lines around it. */
    private static final int KEEP = 64 * 1024;
    final Path file;
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(8192);
    private final ByteArrayOutputStream current = new ByteArrayOutputStream();
    private long offset;

    LogCapture() {
        try {
            file = Files.createTempFile("nimbus-env-", ".log");
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create an environment's log file", e);
        }
    }

    /** Appends a line of Nimbus's own (START, END, REPORT), after everything the runtime wrote so far. */
    synchronized void append(String s) {
        pull();
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        write(b, b.length);
    }

    /** Appends Nimbus's closing lines (END, REPORT) and takes the log collected since the last take: a fresh start for the next invocation. */
    synchronized String appendAndTake(String s) {
        append(s);
        return drained();
    }

    private String drained() {
        String s = current.toString(StandardCharsets.UTF_8);
        current.reset();
        return s;
    }

    private void pull() {
        try {
            while (true) {
                buffer.clear();
                int n = channel.read(buffer, offset);
                if (n <= 0) return;
                offset += n;
                write(buffer.array(), n);
            }
        } catch (IOException e) {
            // the file is gone with the environment: nothing more to read
        }
    }

    private void write(byte[] bytes, int length) {
        current.write(bytes, 0, length);
        if (current.size() > 2 * KEEP) {
            byte[] all = current.toByteArray();
            current.reset();
            current.write(all, all.length - KEEP, KEEP);
        }
    }

    /** Reads what is left (an appendAndTake after close still returns it), then removes the file. */
    @Override
    public synchronized void close() {
        pull();
        try {
            channel.close();
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // a temporary file: the OS's tmp cleaning takes what is left
        }
    }
}
