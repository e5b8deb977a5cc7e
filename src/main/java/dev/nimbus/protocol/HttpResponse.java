package dev.nimbus.protocol;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/** What the protocol layer answers: status, headers, and a body of bytes or a streaming writer. */
public final class HttpResponse {
    /** A body that writes itself, so large payloads never sit in the heap. */
    @FunctionalInterface
    public interface BodyWriter {
        void writeTo(OutputStream out) throws IOException;
    }

    public int status = 200;
    public final List<String[]> headers = new ArrayList<>(6);
    public byte[] body;
    public BodyWriter stream;
    /** length of the streamed body when known, else -1 (chunked) */
    public long streamLength = -1;

    public HttpResponse header(String name, String value) {
        headers.add(new String[] {name, value});
        return this;
    }

    public String header(String name) {
        for (String[] h : headers) if (h[0].equalsIgnoreCase(name)) return h[1];
        return null;
    }

    public HttpResponse body(String contentType, byte[] bytes) {
        if (contentType != null) header("Content-Type", contentType);
        this.body = bytes;
        return this;
    }
}
