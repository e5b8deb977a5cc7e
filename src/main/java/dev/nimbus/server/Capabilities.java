package dev.nimbus.server;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** What this machine offers function sandboxes, detected once at start-up for the banner and /_nimbus/health. */
public record Capabilities(boolean bubblewrap, String cgroups, boolean memoryLimits, boolean python3, boolean node) {
    public static Capabilities detect() {
        return new Capabilities(onPath("bwrap"), detectCgroups(), dev.nimbus.compute.Compute.memoryLimits(), onPath("python3"), onPath("node"));
    }

    /** "v2", "v1" or "none": which cgroup hierarchy could cap a sandbox's memory. */
    private static String detectCgroups() {
        if (Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"))) return "v2";
        if (Files.isDirectory(Path.of("/sys/fs/cgroup/memory"))) return "v1";
        return "none";
    }

    static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) return true;
        }
        return false;
    }

    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bubblewrap", bubblewrap);
        m.put("cgroups", cgroups);
        m.put("memoryLimits", memoryLimits);
        m.put("python3", python3);
        m.put("node", node);
        return m;
    }

    @Override
    public String toString() {
        return "bubblewrap=" + (bubblewrap ? "yes" : "no") + " cgroups=" + cgroups + " memory limits=" + (memoryLimits ? "yes" : "no") + " python3=" + (python3 ? "yes" : "no")
                + " node=" + (node ? "yes" : "no");
    }
}
