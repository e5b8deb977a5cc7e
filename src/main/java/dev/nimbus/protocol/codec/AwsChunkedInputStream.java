package dev.nimbus.protocol.codec;

import dev.nimbus.protocol.AwsException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Decodes an {@code aws-chunked} request body (SigV4 streaming uploads; the AWS SDKs use it for
 * S3 PutObject and UploadPart, with a trailing checksum): {@code hex-size[;chunk-signature=..]CRLF
 * data CRLF ... 0[;..]CRLF [trailer-name:value CRLF]* CRLF}. Chunk signatures and trailers are
 * parsed past, not verified (trailers are kept for the service to check), as the rest of Nimbus does not verify signatures.
 *
 * A broken or truncated framing is the client's fault, so it surfaces as an AwsException (400)
 * rather than an IOException, which whoever copies the stream would report as a server error.
 */
public final class AwsChunkedInputStream extends InputStream {
    private static final int MAX_LINE = 4096;

    /** trailer name (lower case) to value, known once the stream is read to its end (S3 checks x-amz-checksum-* against them) */
    private final java.util.Map<String, String> trailers = new java.util.HashMap<>();

    private final InputStream in;
    /** bytes left in the current chunk */
    private long remaining;
    private boolean done;

    AwsChunkedInputStream(InputStream in) {
        this.in = new BufferedInputStream(in, 1 << 16);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        if (done) return -1;
        if (remaining == 0) {
            nextChunk();
            if (done) return -1;
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) throw truncated();
        remaining -= n;
        if (remaining == 0) endOfChunk();
        return n;
    }

    private void nextChunk() throws IOException {
        String header = readLine(false);
        int semi = header.indexOf(';');
        String size = (semi < 0 ? header : header.substring(0, semi)).trim();
        try {
            remaining = Long.parseLong(size, 16);
        } catch (NumberFormatException e) {
            throw malformed("bad chunk size '" + size + "'");
        }
        if (remaining < 0) throw malformed("bad chunk size '" + size + "'");
        if (remaining == 0) {
            // Trailers (x-amz-checksum-*, x-amz-trailer-signature) up to the empty line; some
            // clients end the body right after them, which is as good as the empty line.
            for (String line = readLine(true); !line.isEmpty(); line = readLine(true)) {
                int colon = line.indexOf(':');
                if (colon > 0) trailers.put(line.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT), line.substring(colon + 1).trim());
            }
            done = true;
        }
    }

    private void endOfChunk() throws IOException {
        if (!readLine(false).isEmpty()) throw malformed("chunk longer than its declared size");
    }

    /** One CRLF- (or LF-) terminated line; at end of stream, "" if {@code eofIsEnd}, else an error. */
    private String readLine(boolean eofIsEnd) throws IOException {
        StringBuilder sb = new StringBuilder(80);
        while (true) {
            int c = in.read();
            if (c < 0) {
                if (eofIsEnd) return sb.toString();
                throw truncated();
            }
            if (c == '\n') break;
            if (sb.length() >= MAX_LINE) throw malformed("chunk header line too long");
            sb.append((char) c);
        }
        int len = sb.length();
        if (len > 0 && sb.charAt(len - 1) == '\r') sb.setLength(len - 1);
        return sb.toString();
    }

    /** The trailers after the last chunk (empty until the stream has been read to its end). */
    public java.util.Map<String, String> trailers() {
        return trailers;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    private static AwsException truncated() {
        return new AwsException("IncompleteBody", "The request body ended before its last aws-chunked chunk", 400);
    }

    private static AwsException malformed(String why) {
        return new AwsException("InvalidRequest", "Malformed aws-chunked request body: " + why, 400);
    }
}
