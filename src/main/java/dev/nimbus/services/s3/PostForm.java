package dev.nimbus.services.s3;

import dev.nimbus.protocol.AwsException;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A browser POST upload's multipart/form-data body, read as a stream: the fields before the
 * "file" part are collected (S3 ignores fields after it), and the file's content is an InputStream
 * that ends at the next boundary, so the object streams into its blob like a PUT body.
 */
final class PostForm {
    private static final int MAX_FIELD = 64 * 1024;

    final Map<String, String> fields = new LinkedHashMap<>();
    String filename;
    String fileContentType;
    InputStream file;

    private final InputStream in;
    private final byte[] delimiter;

    private PostForm(InputStream body, String boundary) {
        this.in = new BufferedInputStream(body, 1 << 16);
        this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The boundary of a multipart/form-data Content-Type, or null when it is not one. */
    static String boundary(String contentType) {
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) return null;
        for (String p : contentType.split(";")) {
            String t = p.trim();
            if (t.toLowerCase(Locale.ROOT).startsWith("boundary=")) {
                String b = t.substring(9);
                return b.startsWith("\"") && b.endsWith("\"") && b.length() > 1 ? b.substring(1, b.length() - 1) : b;
            }
        }
        return null;
    }

    /** Reads fields up to the file part; {@link #file} is then positioned at the file's first byte. */
    static PostForm read(InputStream body, String boundary) throws IOException {
        PostForm form = new PostForm(body, boundary);
        // the body starts with "--boundary" (no CRLF before the first one)
        String first = form.line();
        if (!first.equals("--" + boundary)) throw malformed();
        while (true) {
            String name = null, filename = null, type = null;
            for (String h = form.line(); !h.isEmpty(); h = form.line()) {
                String lower = h.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-disposition:")) {
                    name = param(h, "name");
                    filename = param(h, "filename");
                } else if (lower.startsWith("content-type:")) {
                    type = h.substring(13).trim();
                }
            }
            if (name == null) throw malformed();
            if (name.equalsIgnoreCase("file")) {
                form.filename = filename == null ? "" : filename;
                form.fileContentType = type;
                form.file = form.new Part();
                return form;
            }
            ByteArrayOutputStream value = new ByteArrayOutputStream();
            try (InputStream part = form.new Part()) {
                byte[] buf = new byte[8192];
                for (int n = part.read(buf); n >= 0; n = part.read(buf)) {
                    value.write(buf, 0, n);
                    if (value.size() > MAX_FIELD) throw new AwsException("MaxPostPreDataLengthExceeded",
                            "Your POST request fields preceding the upload file were too large.", 400);
                }
            }
            form.fields.put(name.toLowerCase(Locale.ROOT), value.toString(StandardCharsets.UTF_8));
            if (form.afterBoundaryIsEnd()) throw new AwsException("InvalidArgument", "POST requires exactly one file upload per request.", 400)
                    .with("ArgumentName", "file").with("ArgumentValue", "0");
        }
    }

    private static String param(String header, String name) {
        for (String p : header.split(";")) {
            String t = p.trim();
            if (t.toLowerCase(Locale.ROOT).startsWith(name + "=")) {
                String v = t.substring(name.length() + 1);
                return v.startsWith("\"") && v.endsWith("\"") && v.length() > 1 ? v.substring(1, v.length() - 1) : v;
            }
        }
        return null;
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            int c = in.read();
            if (c < 0) throw malformed();
            if (c == '\n') break;
            if (b.size() > MAX_FIELD) throw malformed();
            b.write(c);
        }
        String s = b.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /** After a part's closing delimiter: "--" ends the body, CRLF starts another part. */
    private boolean afterBoundaryIsEnd() throws IOException {
        int a = in.read(), b = in.read();
        if (a == '-' && b == '-') return true;
        if (a == '\r' && b == '\n') return false;
        throw malformed();
    }

    static AwsException malformed() {
        return new AwsException("MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.", 400);
    }

    /** One part's content: bytes up to the delimiter, which is consumed. */
    private final class Part extends InputStream {
        private boolean ended;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (ended || len == 0) return ended ? -1 : 0;
            int n = 0;
            while (n < len) {
                in.mark(delimiter.length);
                int c = in.read();
                if (c < 0) throw malformed();
                if (c == delimiter[0] && matchesRest()) {
                    ended = true;
                    break;
                }
                if (c == delimiter[0]) {
                    in.reset();
                    in.read();
                }
                b[off + n++] = (byte) c;
            }
            return n == 0 && ended ? -1 : n;
        }

        /** Whether the bytes after a first delimiter byte complete it (consumed if so; else the caller resets). */
        private boolean matchesRest() throws IOException {
            for (int i = 1; i < delimiter.length; i++) {
                int c = in.read();
                if (c != delimiter[i]) return false;
            }
            return true;
        }
    }

    /** The file's content ends at its delimiter; whatever follows (the closing "--", later fields) S3 ignores. */
    void finish() throws IOException {
        in.transferTo(java.io.OutputStream.nullOutputStream());
    }
}
