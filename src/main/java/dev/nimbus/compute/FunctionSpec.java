package dev.nimbus.compute;

import java.nio.file.Path;
import java.util.Map;

/**
 * What an execution environment runs: one function's code and configuration at one revision.
 * Environments are only reused for the same {@code revision}; a new revision (code or configuration
 * update) gets fresh ones.
 *
 * @param environment every variable the function sees except those that name its environment
 *                    (runtime API address, task root, log stream), which {@link Environment} adds
 * @param optDir      the function's layers merged into one directory, seen at /opt; null without layers
 * @param ephemeralStorageMb the size of the function's private /tmp (EphemeralStorage)
 */
public record FunctionSpec(String arn, String functionName, String version, String revision, String runtime, String handler,
                           String role, int memoryMb, int timeoutSeconds, Path codeDir, Map<String, String> environment, Path optDir,
                           int ephemeralStorageMb) {
    /** Lambda's default /tmp: 512 MB. */
    public FunctionSpec(String arn, String functionName, String version, String revision, String runtime, String handler,
                        String role, int memoryMb, int timeoutSeconds, Path codeDir, Map<String, String> environment, Path optDir) {
        this(arn, functionName, version, revision, runtime, handler, role, memoryMb, timeoutSeconds, codeDir, environment, optDir, 512);
    }

    /** A function without layers. */
    public FunctionSpec(String arn, String functionName, String version, String revision, String runtime, String handler,
                        String role, int memoryMb, int timeoutSeconds, Path codeDir, Map<String, String> environment) {
        this(arn, functionName, version, revision, runtime, handler, role, memoryMb, timeoutSeconds, codeDir, environment, null);
    }
}
