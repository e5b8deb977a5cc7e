package dev.nimbus.protocol;

import java.util.function.Supplier;

/**
 * A value made on first use, once, by whichever thread asks first. For what is dear to make and
 * often never used: a JDK HttpClient costs ~200 ms of a start (the TLS defaults, a selector thread),
 * and most servers never send a request of their own.
 */
public final class Lazy<T> implements Supplier<T> {
    private final Supplier<T> make;
    private volatile T value;

    public Lazy(Supplier<T> make) {
        this.make = make;
    }

    @Override
    public T get() {
        T v = value;
        if (v == null) {
            synchronized (this) {
                v = value;
                if (v == null) value = v = make.get();
            }
        }
        return v;
    }
}
