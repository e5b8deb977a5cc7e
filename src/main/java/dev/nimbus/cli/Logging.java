package dev.nimbus.cli;

import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** One concise line per log record; request lines at FINE, shown with --debug. */
final class Logging {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    private Logging() {}

    static void configure(boolean debug) {
        Logger root = Logger.getLogger("");
        for (var h : root.getHandlers()) root.removeHandler(h);
        ConsoleHandler handler = new ConsoleHandler();
        handler.setLevel(debug ? Level.FINE : Level.INFO);
        handler.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                String line = LocalTime.now().format(TIME) + " " + r.getLevel().getName().charAt(0) + " " + r.getLoggerName() + ": " + formatMessage(r) + "\n";
                if (r.getThrown() != null) {
                    java.io.StringWriter sw = new java.io.StringWriter();
                    r.getThrown().printStackTrace(new java.io.PrintWriter(sw));
                    line += sw;
                }
                return line;
            }
        });
        root.addHandler(handler);
        root.setLevel(Level.INFO);
        Logger.getLogger("nimbus").setLevel(debug ? Level.FINE : Level.INFO);
        Logger.getLogger("dev.nimbus").setLevel(debug ? Level.FINE : Level.INFO);
        Logger.getLogger("io.helidon").setLevel(Level.WARNING);
    }
}
