// Runs SPARQL and SHACL on Apache Jena (external/jena.py): one JVM for a whole script of commands,
// one per line, read from the file named by the first argument, or from standard input when it is "-":
//   load FILE            parse an RDF file (by its extension) into the data model
//   construct RQ OUT.nt  run a CONSTRUCT (strict SPARQL 1.1), write its triples and add them to the model
//   select RQ OUT.json   run a SELECT (strict SPARQL 1.1), write SPARQL JSON results
//   shapes FILE          parse a SHACL shapes file
//   validate OUT.ttl     validate the data model against the shapes, write the report as Turtle
// A command that fails writes OUT.error (one line: the exception) and the script goes on.
// From standard input, the runner first writes "ready", then one line per command once it is done:
// "ok NANOSECONDS" (the command's time inside the JVM) or "error MESSAGE".
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;

import org.apache.jena.query.*;
import org.apache.jena.rdf.model.*;
import org.apache.jena.riot.*;
import org.apache.jena.shacl.*;

public class JenaRunner {
    private final Model data = ModelFactory.createDefaultModel();
    private final Model shapes = ModelFactory.createDefaultModel();

    public static void main(String[] args) throws IOException {
        JenaRunner runner = new JenaRunner();
        boolean interactive = args[0].equals("-");
        InputStream in = interactive ? System.in : new FileInputStream(args[0]);
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        if (interactive) out.println("ready");
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                String[] cmd = line.trim().split(" ", 3);
                if (cmd[0].isEmpty()) continue;
                String target = cmd.length > 2 ? cmd[2] : (cmd.length > 1 ? cmd[1] : "");
                long start = System.nanoTime();
                try {
                    runner.run(cmd);
                    if (interactive) out.println("ok " + (System.nanoTime() - start));
                } catch (Exception e) {
                    String msg = (e.getClass().getSimpleName() + ": " + e.getMessage()).replace('\n', ' ');
                    Files.write(Paths.get(target + ".error"), msg.getBytes(StandardCharsets.UTF_8));
                    if (interactive) out.println("error " + msg);
                }
            }
        }
    }

    private void run(String[] cmd) throws IOException {
        switch (cmd[0]) {
            case "load": RDFDataMgr.read(data, cmd[1]); break;
            case "shapes": RDFDataMgr.read(shapes, cmd[1]); break;
            case "construct": {
                Query q = QueryFactory.create(read(cmd[1]), Syntax.syntaxSPARQL_11);
                try (QueryExecution qe = QueryExecutionFactory.create(q, data)) {
                    Model derived = qe.execConstruct();
                    try (OutputStream os = new FileOutputStream(cmd[2])) {
                        RDFDataMgr.write(os, derived, Lang.NTRIPLES);
                    }
                    data.add(derived);
                }
                break;
            }
            case "select": {
                Query q = QueryFactory.create(read(cmd[1]), Syntax.syntaxSPARQL_11);
                try (QueryExecution qe = QueryExecutionFactory.create(q, data);
                     OutputStream os = new FileOutputStream(cmd[2])) {
                    ResultSetFormatter.outputAsJSON(os, qe.execSelect());
                }
                break;
            }
            case "validate": {
                Shapes s = Shapes.parse(shapes.getGraph());
                ValidationReport report = ShaclValidator.get().validate(s, data.getGraph());
                try (OutputStream os = new FileOutputStream(cmd[1])) {
                    RDFDataMgr.write(os, report.getModel(), Lang.TURTLE);
                }
                break;
            }
            default: throw new IllegalArgumentException("unknown command " + cmd[0]);
        }
    }

    private static String read(String path) throws IOException {
        return new String(Files.readAllBytes(Paths.get(path)), StandardCharsets.UTF_8);
    }
}
