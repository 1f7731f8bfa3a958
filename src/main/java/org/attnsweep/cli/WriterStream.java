package org.attnsweep.cli;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/** Bytes to a PrintWriter, decoded as UTF-8 on every flush: lets a PrintStream log go to picocli's err writer. */
final class WriterStream extends OutputStream {
    private final PrintWriter writer;
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

    WriterStream(PrintWriter writer) {
        this.writer = writer;
    }

    @Override
    public void write(int b) {
        buf.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        buf.write(b, off, len);
    }

    @Override
    public void flush() {
        writer.write(buf.toString(StandardCharsets.UTF_8));
        writer.flush();
        buf.reset();
    }
}
