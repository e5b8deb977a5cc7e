package dev.nimbus.compute;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * Memory caps for environments: one cgroup per environment, below the cgroup Nimbus itself runs in,
 * limited to the function's MemorySize (swap included where the kernel accounts it), so that an
 * environment over its limit is killed by the kernel's OOM killer as Lambda's would be. cgroup v2
 * (memory.max, memory.peak, memory.events) or v1 (memory.limit_in_bytes, memory.max_usage_in_bytes,
 * memory.failcnt); {@link #detect} finds out, by trying, whether either is writable here.
 */
final class Cgroups {
    private static final Logger LOG = Logger.getLogger("nimbus.lambda");
    /** The memory controller's directory of Nimbus's own cgroup, under which environments' groups are made. */
    private final Path parent;
    private final boolean v2;

    private Cgroups(Path parent, boolean v2) {
        this.parent = parent;
        this.v2 = v2;
    }

    /** The usable hierarchy, or null when cgroups are absent or not writable (then memory is not capped). */
    static Cgroups detect() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
                String[] f = line.split(":", 3);
                if (f.length < 3) continue;
                Cgroups c = null;
                if (f[0].equals("0") && f[1].isEmpty() && Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"))) {
                    c = new Cgroups(Path.of("/sys/fs/cgroup" + f[2]), true);
                } else if (List.of(f[1].split(",")).contains("memory")) {
                    c = new Cgroups(Path.of("/sys/fs/cgroup/memory" + f[2]), false);
                }
                if (c != null && c.works()) {
                    c.sweep();
                    return c;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc unreadable: no caps
        }
        return null;
    }

    /** Whether a group can be made and limited here (v2 needs the memory controller enabled for children). */
    private boolean works() {
        try {
            Group g = create(128);
            g.close();
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Groups are named after the server that made them, so that a later one can tell which are left over. */
    private static final String PREFIX = "nimbus-" + ProcessHandle.current().pid() + "-";

    /**
     * Removes groups left by Nimbus servers that ended without closing their environments (killed,
     * or stopped while environments were still dying); a group of a server still running is not touched.
     */
    private void sweep() {
        try (var groups = Files.newDirectoryStream(parent, "nimbus-*-*")) {
            for (Path g : groups) {
                String[] part = g.getFileName().toString().split("-");
                try {
                    if (ProcessHandle.of(Long.parseLong(part[1])).map(ProcessHandle::isAlive).orElse(false)) continue;
                    Files.deleteIfExists(g); // refused while a process is still inside: left for the next sweep
                } catch (IOException | NumberFormatException e) {
                    // not ours, or still in use
                }
            }
        } catch (IOException e) {
            // nothing to sweep
        }
    }

    /** A new, empty group limited to {@code memoryMb}. */
    Group create(int memoryMb) throws IOException {
        Path dir = parent.resolve(PREFIX + UUID.randomUUID().toString().replace("-", ""));
        Files.createDirectory(dir);
        Group g = new Group(dir);
        try {
            long bytes = memoryMb * 1024L * 1024L;
            if (v2) {
                Files.writeString(dir.resolve("memory.max"), Long.toString(bytes));
                if (Files.exists(dir.resolve("memory.swap.max"))) Files.writeString(dir.resolve("memory.swap.max"), "0");
            } else {
                Files.writeString(dir.resolve("memory.limit_in_bytes"), Long.toString(bytes));
                // memory+swap, where swap accounting is on: without it a capped process would page out instead of dying.
                if (Files.exists(dir.resolve("memory.memsw.limit_in_bytes"))) Files.writeString(dir.resolve("memory.memsw.limit_in_bytes"), Long.toString(bytes));
            }
        } catch (IOException | RuntimeException e) {
            g.close();
            throw e;
        }
        return g;
    }

    /** One environment's group. */
    final class Group implements AutoCloseable {
        final Path dir;

        Group(Path dir) {
            this.dir = dir;
        }

        /**
         * The command, started so that it joins the group before it runs anything: a shell writes
         * its own pid into cgroup.procs, then execs the command; whatever it forks stays inside.
         */
        List<String> wrap(List<String> command) {
            List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", dir.resolve("cgroup.procs").toString()));
            cmd.addAll(command);
            return cmd;
        }

        /** The peak file, kept open: it is read after every invocation, and opening it walks the cgroup path each time. */
        private java.nio.channels.FileChannel peak;
        private final java.nio.ByteBuffer peakBuffer = java.nio.ByteBuffer.allocate(32);

        /** The group's peak memory use in MB (rounded up), or -1 if the kernel does not say. */
        synchronized long peakMb() {
            long bytes;
            try {
                if (peak == null) peak = java.nio.channels.FileChannel.open(dir.resolve(v2 ? "memory.peak" : "memory.max_usage_in_bytes"));
                peakBuffer.clear();
                // A read from offset 0 makes the kernel produce the current value again.
                int n = peak.read(peakBuffer, 0);
                bytes = n <= 0 ? -1 : Long.parseLong(new String(peakBuffer.array(), 0, n, java.nio.charset.StandardCharsets.US_ASCII).strip());
            } catch (IOException | RuntimeException e) {
                bytes = -1;
            }
            return bytes < 0 ? -1 : (bytes + (1 << 20) - 1) >> 20;
        }

        /** Whether the kernel killed a process of the group for going over the limit. */
        boolean oomKilled() {
            try {
                if (v2) {
                    for (String line : Files.readAllLines(dir.resolve("memory.events"))) {
                        if (line.startsWith("oom_kill ") && Long.parseLong(line.substring(9).strip()) > 0) return true;
                    }
                    return false;
                }
                for (String line : Files.readAllLines(dir.resolve("memory.oom_control"))) {
                    if (line.startsWith("oom_kill ")) return Long.parseLong(line.substring(9).strip()) > 0;
                }
                return number("memory.failcnt") > 0 && number("memory.max_usage_in_bytes") >= number("memory.limit_in_bytes");
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }

        private long number(String file) {
            try {
                return Long.parseLong(Files.readString(dir.resolve(file)).strip());
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }

        /** Removes the group; the kernel refuses while a process is still in it, so callers close after the processes ended. */
        @Override
        public void close() {
            synchronized (this) {
                if (peak != null) {
                    try {
                        peak.close();
                    } catch (IOException ignored) {
                        // read-only: nothing lost
                    }
                }
            }
            for (int attempt = 0; attempt < 50; attempt++) {
                try {
                    Files.deleteIfExists(dir);
                    return;
                } catch (IOException e) {
                    // a killed process leaves the group a moment after it is reaped
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
            LOG.warning("could not remove cgroup " + dir);
        }
    }
}
