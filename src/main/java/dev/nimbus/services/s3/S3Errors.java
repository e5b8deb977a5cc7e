package dev.nimbus.services.s3;

import dev.nimbus.protocol.AwsException;

/** S3's errors as the S3 API reference lists them: code, message, status and the fields S3 adds. */
final class S3Errors {
    private S3Errors() {}

    static AwsException noSuchBucket(String bucket) {
        return new AwsException("NoSuchBucket", "The specified bucket does not exist", 404).with("BucketName", bucket);
    }

    static AwsException noSuchKey(String key) {
        return new AwsException("NoSuchKey", "The specified key does not exist.", 404).with("Key", key);
    }

    static AwsException invalidBucketName(String bucket) {
        return new AwsException("InvalidBucketName", "The specified bucket is not valid.", 400).with("BucketName", bucket);
    }

    static AwsException invalidArgument(String message, String name, String value) {
        AwsException e = new AwsException("InvalidArgument", message, 400);
        if (name != null) e.with("ArgumentName", name).with("ArgumentValue", value == null ? "" : value);
        return e;
    }

    static AwsException invalidRequest(String message) {
        return new AwsException("InvalidRequest", message, 400);
    }

    static AwsException malformedXml() {
        return new AwsException("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", 400);
    }

    static AwsException preconditionFailed(String condition) {
        return new AwsException("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412).with("Condition", condition);
    }

    static AwsException notModified() {
        return new AwsException("NotModified", "Not Modified", 304);
    }

    static AwsException noSuchUpload(String uploadId) {
        return new AwsException("NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been"
                + " aborted or completed.", 404).with("UploadId", uploadId);
    }

    static AwsException noSuchConfiguration(String code, String message, String bucket) {
        return new AwsException(code, message, 404).with("BucketName", bucket);
    }
}
