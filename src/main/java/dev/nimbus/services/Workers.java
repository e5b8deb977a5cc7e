package dev.nimbus.services;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/** Stopping a service's background worker: its queued work stays stored for the next start. */
public final class Workers {
    private Workers() {}

    /**
     * Interrupts the worker thread (null: never started), waits briefly for it to end and for the
     * tasks it started to give back all {@code permits} of {@code running}.
     */
    public static void stop(Thread worker, Semaphore running, int permits) {
        if (worker == null) return;
        worker.interrupt();
        try {
            worker.join(Duration.ofSeconds(5));
            if (running.tryAcquire(permits, 10, TimeUnit.SECONDS)) running.release(permits);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
