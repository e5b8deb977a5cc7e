package dev.nimbus.protocol;

import java.io.InputStream;

/** A streaming blob member (an S3 object body): read once, never held whole in memory. */
public record Payload(InputStream stream, long length, String contentType) {}
